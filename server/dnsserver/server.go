package dnsserver

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"time"

	"github.com/miekg/dns"
)

// EDNS sizes. 1232 bytes fits in any IPv6 path without fragmentation (DNS
// flag day 2020); it is both what we advertise and the most we send over UDP.
const (
	ednsSize   = 1232
	minUDPSize = dns.MinMsgSize
)

// Log attribute keys.
const (
	keyRemote = "dns.remote"
	keyQName  = "dns.qname"
	keyQType  = "dns.qtype"
	keyRcode  = "dns.rcode"
	keyNumber = "number"
	keyAddrs  = "lease.addrs"
	keyLife   = "lease.ttl"
)

// Server answers DNS queries for numbers. It is safe for concurrent use;
// ServeDNS may be called from any number of goroutines.
type Server struct {
	zone       string // canonical, e.g. "dialtone.internal."
	dotZone    string // "." + zone, for suffix matching
	nsName     string // ns.<zone>
	hostmaster string
	allow      []netip.Prefix
	res        Resolver
	log        *slog.Logger
	maxTTL     uint32 // seconds
	nsAddrs    []netip.Addr
	rrl        *limiter // nil: no rate limit
	readTO     time.Duration
	idleTO     time.Duration
	udpWorkers int // 0: one per two CPUs

	stats counters
}

// New returns a Server for cfg.
func New(cfg Config) (*Server, error) {
	cfg, err := cfg.validate()
	if err != nil {
		return nil, fmt.Errorf("configuring number DNS: %w", err)
	}
	s := &Server{
		zone:       cfg.Zone,
		dotZone:    "." + cfg.Zone,
		nsName:     nsLabel + "." + cfg.Zone,
		hostmaster: "hostmaster." + cfg.Zone,
		allow:      cfg.Allow,
		res:        cfg.Resolver,
		log:        cfg.Logger,
		maxTTL:     uint32(cfg.MaxTTL / time.Second),
		nsAddrs:    cfg.NSAddrs,
		readTO:     cfg.ReadTimeout,
		idleTO:     cfg.IdleTimeout,
		udpWorkers: cfg.UDPWorkers,
	}
	if cfg.Rate > 0 {
		s.rrl = newLimiter(cfg.Rate, cfg.Burst, cfg.Slip, cfg.Now)
	}
	return s, nil
}

// Zone returns the zone the server answers numbers under, e.g.
// "dialtone.internal.".
func (s *Server) Zone() string { return s.zone }

// ServeDNS answers one query. It checks the envelope (client, opcode,
// question count, EDNS version, class) and hands the question to the
// answer for its kind of name.
func (s *Server) ServeDNS(w dns.ResponseWriter, r *dns.Msg) {
	ip, ok := netipAddr(w.RemoteAddr())
	if s.rrl != nil && ok && isUDP(w) && !s.withinRate(w, r, ip) {
		return
	}
	m := new(dns.Msg)
	switch {
	case !ok || !s.allowedIP(ip):
		m.SetRcode(r, dns.RcodeRefused)
	case r.Opcode != dns.OpcodeQuery:
		m.SetRcode(r, dns.RcodeNotImplemented)
	case len(r.Question) != 1:
		m.SetRcode(r, dns.RcodeFormatError)
	case badEDNSVersion(r):
		m.SetRcode(r, dns.RcodeBadVers)
	case r.Question[0].Qclass != dns.ClassINET:
		m.SetRcode(r, dns.RcodeRefused)
	case r.Question[0].Qtype == dns.TypeAXFR || r.Question[0].Qtype == dns.TypeIXFR:
		m.SetRcode(r, dns.RcodeRefused)
	default:
		s.answer(m, r, s.res)
	}
	s.reply(w, r, m)
}

// answer fills m with the answer to r's single question, looking numbers
// up in res (the live table, or a recording of it when the fast path
// compiles an answer).
func (s *Server) answer(m, r *dns.Msg, res Resolver) {
	m.SetReply(r)
	q := r.Question[0]
	name := s.parseName(q.Name)
	if name.kind == nameOutside {
		m.Rcode = dns.RcodeRefused
		return
	}
	m.Authoritative = true
	switch name.kind {
	case nameApex, nameENUMApex:
		s.answerApex(m, q)
	case nameNS:
		s.answerNS(m, q)
	case nameNumber:
		s.answerNumber(m, q, name.digits, res)
	case nameENUM:
		s.answerENUM(m, q, name.digits, res)
	default:
		s.nxdomain(m, q)
	}
}

// reply finishes m for the transport and writes it: it echoes EDNS, limits
// the size, counts the rcode.
func (s *Server) reply(w dns.ResponseWriter, r, m *dns.Msg) {
	limit := dns.MaxMsgSize
	if opt := r.IsEdns0(); opt != nil {
		m.SetEdns0(ednsSize, opt.Do())
		if isUDP(w) {
			limit = min(max(int(opt.UDPSize()), minUDPSize), ednsSize)
		}
	} else if isUDP(w) {
		limit = minUDPSize
	}
	m.Truncate(limit)
	// Names are compressed, as every authoritative server does: the owner
	// repeats the question, the SOA's names the zone (92 → 63 bytes for an A
	// answer, 148 → 97 for NXDOMAIN). Truncate turns compression off when
	// the message fits without it; compressed, it fits all the more.
	m.Compress = true
	if err := w.WriteMsg(m); err != nil {
		s.stats.writeErrors.Add(1)
		s.log.Debug("writing DNS reply", keyRemote, addrString(w.RemoteAddr()), "err", err)
		return
	}
	s.stats.count(m)
	if s.log.Enabled(context.Background(), slog.LevelDebug) {
		s.logReply(w, r, m)
	}
}

func (s *Server) logReply(w dns.ResponseWriter, r, m *dns.Msg) {
	attrs := []any{keyRemote, addrString(w.RemoteAddr()), keyRcode, rcodeName(m.Rcode)}
	if len(r.Question) > 0 {
		attrs = append(attrs, keyQName, r.Question[0].Name, keyQType, dns.Type(r.Question[0].Qtype).String())
	}
	s.log.Debug("DNS query", attrs...)
}

// withinRate takes a token for a UDP response to ip. Over the limit it
// sends the truncated slip reply or nothing, and reports false.
func (s *Server) withinRate(w dns.ResponseWriter, r *dns.Msg, ip netip.Addr) bool {
	switch s.rrl.take(ip) {
	case rrlSend:
		return true
	case rrlSlip:
		m := new(dns.Msg) // the question and TC, nothing else: "ask over TCP"
		m.SetReply(r)
		m.Truncated = true
		if err := w.WriteMsg(m); err != nil {
			s.stats.writeErrors.Add(1)
		} else {
			s.stats.slipped.Add(1)
		}
	default:
		s.stats.rateLimited.Add(1)
	}
	return false
}

// allowedIP reports whether a client at ip may have answers.
func (s *Server) allowedIP(ip netip.Addr) bool {
	for _, p := range s.allow {
		if p.Contains(ip) {
			return true
		}
	}
	return false
}

// netipAddr extracts the IP of a client address, IPv4-mapped IPv6 unmapped
// so that a dual-stack socket's clients match IPv4 prefixes.
func netipAddr(addr net.Addr) (netip.Addr, bool) {
	var ip netip.Addr
	switch a := addr.(type) {
	case *net.UDPAddr:
		ip = a.AddrPort().Addr()
	case *net.TCPAddr:
		ip = a.AddrPort().Addr()
	case interface{ AddrPort() netip.AddrPort }: // queuedAddr
		ip = a.AddrPort().Addr()
	case nil:
		return ip, false
	default:
		ap, err := netip.ParseAddrPort(a.String())
		if err != nil {
			return ip, false
		}
		ip = ap.Addr()
	}
	ip = ip.Unmap()
	return ip, ip.IsValid()
}

// isUDP reports whether w answers over a datagram transport. Unknown
// transports are treated as UDP, the one with a size limit.
func isUDP(w dns.ResponseWriter) bool {
	_, tcp := w.LocalAddr().(*net.TCPAddr)
	return !tcp
}

func addrString(a net.Addr) string {
	if a == nil {
		return ""
	}
	return a.String()
}

// badEDNSVersion reports an OPT record of a version we do not speak.
func badEDNSVersion(r *dns.Msg) bool {
	opt := r.IsEdns0()
	return opt != nil && opt.Version() != 0
}
