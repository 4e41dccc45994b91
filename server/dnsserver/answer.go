package dnsserver

import (
	"context"
	"log/slog"
	"net/netip"
	"strings"
	"time"

	"github.com/miekg/dns"
)

// TTLs of the records that do not follow a lease.
const (
	// negativeTTL is the SOA minimum and the TTL of SOA records in negative
	// answers: a lease appears when a call is accepted, and "no address"
	// must not be cached for longer than a moment.
	negativeTTL = 1
	// apexTTL is for SOA and NS at the apexes, which change only with the
	// configuration.
	apexTTL = 300
)

// NAPTR fields of ENUM answers; see the package documentation.
const (
	naptrOrder      = 100
	naptrPreference = 10
	naptrFlags      = "u"
	naptrService    = "E2U+x-dialtone"
	uriScheme       = "dialtone:"
	// maxURI keeps "!^.*$!" + URI + "!" within one 255-byte character-string.
	maxURI = 255 - len("!^.*$!!")
)

// answerApex answers at an apex, the dialtone zone or e164.arpa. Owner
// names are the question's, in the case it was asked.
func (s *Server) answerApex(m *dns.Msg, q dns.Question) {
	switch q.Qtype {
	case dns.TypeSOA, dns.TypeANY:
		m.Answer = append(m.Answer, s.soa(q.Name, apexTTL))
	case dns.TypeNS:
		m.Answer = append(m.Answer, &dns.NS{Hdr: hdr(q.Name, dns.TypeNS, apexTTL), Ns: s.nsName})
		m.Extra = s.addrRRs(m.Extra, s.nsName, s.nsAddrs, apexTTL, dns.TypeA)
		m.Extra = s.addrRRs(m.Extra, s.nsName, s.nsAddrs, apexTTL, dns.TypeAAAA)
	default:
		s.nodata(m, q)
	}
}

// answerNS answers for ns.<zone>, the target of the apex NS records.
func (s *Server) answerNS(m *dns.Msg, q dns.Question) {
	s.answerAddrs(m, q, s.nsAddrs, apexTTL)
}

// answerNumber answers <digits>.<zone> from the lease table.
func (s *Server) answerNumber(m *dns.Msg, q dns.Question, digits string, res Resolver) {
	e, number := lookup(res, digits)
	if !e.Registered {
		s.nxdomain(m, q)
		return
	}
	if s.log.Enabled(context.Background(), slog.LevelDebug) {
		s.log.Debug("number looked up", keyNumber, number, keyAddrs, len(e.leased()), keyLife, e.TTL)
	}
	if e.TTL <= 0 {
		// The lease has run out even if the table still lists it.
		s.nodata(m, q)
		return
	}
	s.answerAddrs(m, q, e.leased(), s.leaseTTL(e.TTL))
}

// answerAddrs answers an address query at a name that exists, with addrs.
func (s *Server) answerAddrs(m *dns.Msg, q dns.Question, addrs []netip.Addr, ttl uint32) {
	switch q.Qtype {
	case dns.TypeA, dns.TypeAAAA:
		m.Answer = s.addrRRs(m.Answer, q.Name, addrs, ttl, q.Qtype)
	case dns.TypeANY:
		m.Answer = s.addrRRs(m.Answer, q.Name, addrs, ttl, dns.TypeA)
		if len(m.Answer) == 0 {
			m.Answer = s.addrRRs(m.Answer, q.Name, addrs, ttl, dns.TypeAAAA)
		}
	}
	if len(m.Answer) == 0 {
		s.nodata(m, q)
	}
}

// lookup resolves a number label. Short labels are service codes first.
// It returns the entry and the number it was found as.
func lookup(res Resolver, digits string) (Entry, string) {
	if len(digits) <= maxServiceCode {
		if e := res.Resolve(digits); e.Registered {
			return e, digits
		}
	}
	number := "+" + digits
	return res.Resolve(number), number
}

// answerENUM answers the ENUM name of +<digits>.
func (s *Server) answerENUM(m *dns.Msg, q dns.Question, digits string, res Resolver) {
	number := "+" + digits
	e := res.Resolve(number)
	if !e.Registered {
		s.nxdomain(m, q)
		return
	}
	if q.Qtype != dns.TypeNAPTR && q.Qtype != dns.TypeANY {
		s.nodata(m, q)
		return
	}
	m.Answer = append(m.Answer, &dns.NAPTR{
		Hdr:         hdr(q.Name, dns.TypeNAPTR, s.maxTTL),
		Order:       naptrOrder,
		Preference:  naptrPreference,
		Flags:       naptrFlags,
		Service:     naptrService,
		Regexp:      "!^.*$!" + s.uri(number, e.URI) + "!",
		Replacement: ".",
	})
}

// uri returns the URI for number's NAPTR: the table's, when it can be
// carried in the regexp, else the synthesised dialtone:+<digits>.
func (s *Server) uri(number, uri string) string {
	if uri == "" || len(uri) > maxURI || strings.ContainsAny(uri, "!\\") || !printableASCII(uri) {
		return uriScheme + number
	}
	return uri
}

// addrRRs appends A or AAAA records (as typ says) for the matching addrs.
func (s *Server) addrRRs(rrs []dns.RR, name string, addrs []netip.Addr, ttl uint32, typ uint16) []dns.RR {
	for _, a := range addrs {
		a = a.Unmap()
		switch {
		case typ == dns.TypeA && a.Is4():
			rrs = append(rrs, &dns.A{Hdr: hdr(name, dns.TypeA, ttl), A: a.AsSlice()})
		case typ == dns.TypeAAAA && a.Is6():
			rrs = append(rrs, &dns.AAAA{Hdr: hdr(name, dns.TypeAAAA, ttl), AAAA: a.AsSlice()})
		}
	}
	return rrs
}

// leaseTTL is the TTL of a lease's records: its remaining life, capped at
// MaxTTL, rounded down to whole seconds, at least 1 s.
func (s *Server) leaseTTL(life time.Duration) uint32 {
	secs := uint32(min(life/time.Second, time.Duration(s.maxTTL)))
	return max(secs, 1)
}

// nxdomain says the name does not exist.
func (s *Server) nxdomain(m *dns.Msg, q dns.Question) {
	m.Rcode = dns.RcodeNameError
	m.Answer = m.Answer[:0]
	m.Ns = append(m.Ns, s.soa(s.apexOf(q.Name), negativeTTL))
}

// nodata says the name exists without records of the asked type.
func (s *Server) nodata(m *dns.Msg, q dns.Question) {
	m.Rcode = dns.RcodeSuccess
	m.Ns = append(m.Ns, s.soa(s.apexOf(q.Name), negativeTTL))
}

// apexOf returns the apex of the zone that name (already known to be in one
// of ours) is in.
func (s *Server) apexOf(name string) string {
	if dns.IsSubDomain(enumZone, strings.ToLower(name)) {
		return enumZone
	}
	return s.zone
}

func (s *Server) soa(apex string, ttl uint32) *dns.SOA {
	return &dns.SOA{
		Hdr:  hdr(apex, dns.TypeSOA, ttl),
		Ns:   s.nsName,
		Mbox: s.hostmaster,
		// The zone is the live lease table: it has no versions and is
		// never transferred, so the serial carries no meaning.
		Serial:  1,
		Refresh: 3600,
		Retry:   600,
		Expire:  86400,
		Minttl:  negativeTTL,
	}
}

func hdr(name string, typ uint16, ttl uint32) dns.RR_Header {
	return dns.RR_Header{Name: name, Rrtype: typ, Class: dns.ClassINET, Ttl: ttl}
}

func printableASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] <= ' ' || s[i] > '~' {
			return false
		}
	}
	return true
}
