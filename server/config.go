package server

import (
	"errors"
	"fmt"
	"github.com/dialtone/dialtone/server/sipgw"
	"log/slog"
	"net"
	"net/netip"
	"strings"
	"time"

	"github.com/dialtone/dialtone/call/wire"
	"github.com/dialtone/dialtone/server/switchboard"
)

// Defaults for a local server.
const (
	DefaultListen = "127.0.0.1:7700"
	DefaultDNS    = "127.0.0.1:7753"
	DefaultRelay  = "127.0.0.1:7778"
	DefaultAdmin  = "127.0.0.1:7790"
	DefaultPool   = "127.77.0.0/16"
)

// Config describes a Server. Every listener takes host:port (port 0 picks
// one); an empty address leaves that part off, except Listen.
type Config struct {
	// Listen is the signalling WebSocket address. Required.
	Listen string
	// TLSCert and TLSKey, both set, make signalling wss://.
	TLSCert, TLSKey string
	// DNS is the number DNS address, served over UDP and TCP.
	DNS string
	// Relay is the TURN relay's UDP (and TCP) address.
	Relay string
	// RelayPublicIP is the address the relay advertises in TURN URLs when it
	// listens on an unspecified address (0.0.0.0 or ::).
	RelayPublicIP netip.Addr
	// Admin serves /metrics, the JSON admin API and pprof. An address that
	// is not loopback is refused unless AdminToken is set.
	Admin string
	// Web serves the browser phone at / on the signalling listener (same
	// origin as /v1); off unless set.
	Web bool
	// AdminToken, when set, is the bearer token every admin request must
	// carry (Authorization: Bearer TOKEN).
	AdminToken string
	// SIP is the SIP registrar's address, served over UDP and TCP; empty
	// leaves it off.
	SIP string
	// SIPDigest are the digest algorithms the registrar challenges with,
	// in order; default SHA-256 then MD5.
	SIPDigest []string
	// SIPRoutes send calls to numbers the server does not hold to SIP
	// trunks (longest prefix wins); calls from the trunks' hosts and
	// SIPTrunkAllow to our numbers need no digest.
	SIPRoutes     []sipgw.Route
	SIPTrunkAllow []netip.Prefix
	// SIPRate is the SIP messages a second one source address may send
	// (burst twice that); 0 is sipgw's default, 20. A trunk carries many
	// calls from one address, and a benchmark many phones.
	SIPRate float64
	// SIPOpus is the Opus codec the SIP gateway transcodes G.711 phones'
	// audio with (the server does not link the media stack; cmd/ gives
	// it). Nil: G.711-only offers are answered 488.
	SIPOpus sipgw.Opus
	// SIPTLS is the address of SIP over TLS (transport=tls) with the
	// TLSCert certificate; it needs SIP and TLSCert. Empty leaves it off.
	SIPTLS string

	// Pools are the prefixes leases come from; default 127.77.0.0/16.
	Pools []netip.Prefix
	// PortLo and PortHi bound the leased ports; default 40000–49999.
	PortLo, PortHi uint16
	// Zone is the DNS zone numbers live under; default dialtone.internal.
	Zone string
	// DNSAllow lists who may query the DNS; default loopback.
	DNSAllow []netip.Prefix
	// DNSRate limits UDP DNS responses per source prefix (IPv4 /24, IPv6
	// /56) per second, DNSSlip how often one over the limit goes out
	// truncated instead of dropped (dnsserver.Config Rate and Slip: zero
	// takes the defaults 200 and 2, negative turns limiting off / drops all).
	DNSRate float64
	DNSSlip int
	// DNSWorkers is how many UDP read loops the number DNS runs, each on
	// its own SO_REUSEPORT socket (dnsserver.Config.UDPWorkers). Zero
	// takes its default, one per two CPUs: fewer loops read and write
	// bigger batches, so a small machine answers more per CPU-second with
	// one; many cores under a flood may want more.
	DNSWorkers int
	// DataDir holds the SQLite store. Required.
	DataDir string
	// Registration is "open" (default) or "invite".
	Registration string
	// Media is "relay" (default) or "auto".
	Media string
	// LeaseTTL, HoldDown and RingTimeout: defaults 30s, 10s, 30s.
	LeaseTTL, HoldDown, RingTimeout time.Duration
	// Grace is how long a dropped client's calls wait for it; default 10s.
	Grace time.Duration
	// DialLimits bound ringing calls and dials a minute per caller and
	// source address (see switchboard.DialLimits); zero fields take its
	// defaults, Off turns them off.
	DialLimits switchboard.DialLimits
	// RecordsKeep is how long call records are kept; zero keeps them for
	// ever (the command line's default is 90 days).
	RecordsKeep time.Duration
	// Heartbeat is how often the open calls are recorded as alive, which
	// bounds how much a crash can shorten a call's recorded length;
	// default 2s.
	Heartbeat time.Duration
	// MaxConnsPerIP and HandshakeTimeout bound the signalling transport;
	// zero takes its defaults (64 connections, 10s).
	MaxConnsPerIP    int
	HandshakeTimeout time.Duration

	// ConnBudget is how many TCP connections the listeners (signalling,
	// DNS, relay, admin, SIP) may hold together. Default: three quarters of
	// RLIMIT_NOFILE (connlimit.BudgetFor); negative: unlimited. Each
	// listener's share and reserve of it are in limits.go.
	ConnBudget int
	// RelayTCPPerIP, DNSTCPPerIP, AdminPerIP and SIPTCPPerIP cap
	// concurrent TCP connections from one source (IPv4 address, IPv6 /64)
	// on those listeners; defaults 64, 16, 16, 64.
	RelayTCPPerIP, DNSTCPPerIP, AdminPerIP, SIPTCPPerIP int
	// HTTPTimeout is how long an HTTP client (signalling before the
	// WebSocket upgrade, admin) may take to send a request's headers, and
	// how long an idle keep-alive connection stays open; default 10s.
	HTTPTimeout time.Duration
	// RelayTCPMessageTimeout and RelayTCPIdleTimeout are the relay's
	// deadlines on TURN over TCP; defaults 5s and 30s (relay.Config).
	RelayTCPMessageTimeout, RelayTCPIdleTimeout time.Duration
	// Echo answers service code 600 with the echo test when a factory is
	// given (the echo needs the media stack, which the server does not
	// import; cmd/ provides it).
	Echo ServiceFactory

	Logger *slog.Logger
}

// ServiceFactory starts a service party on the switchboard.
type ServiceFactory func(sb *switchboard.Switchboard, log *slog.Logger) (Service, error)

// Service is a running service party; Close stops it.
type Service interface{ Close() error }

func (c *Config) validate() error {
	if c.Listen == "" {
		return errors.New("a signalling address (--listen) is required")
	}
	if c.DataDir == "" {
		return errors.New("a data directory (--data) is required")
	}
	if (c.TLSCert == "") != (c.TLSKey == "") {
		return errors.New("--tls-cert and --tls-key go together")
	}
	if c.SIPTLS != "" && (c.SIP == "" || c.TLSCert == "") {
		return errors.New("SIP over TLS (--sip-tls) needs --sip and --tls-cert/--tls-key")
	}
	if len(c.Pools) == 0 {
		c.Pools = []netip.Prefix{netip.MustParsePrefix(DefaultPool)}
	}
	if c.PortLo > c.PortHi {
		return fmt.Errorf("port range %d-%d is empty", c.PortLo, c.PortHi)
	}
	switch c.Media {
	case "", wire.MediaRelay, wire.MediaAuto:
	default:
		return fmt.Errorf("media policy %q: want relay or auto", c.Media)
	}
	if c.Media == wire.MediaRelay && c.Relay == "" {
		return errors.New("media policy relay needs a relay address (--relay), or choose --media auto")
	}
	if c.DNSWorkers < 0 {
		return fmt.Errorf("--dns-workers %d is negative (0 takes the default)", c.DNSWorkers)
	}
	if c.RecordsKeep < 0 {
		return fmt.Errorf("--records-keep %v is negative", c.RecordsKeep)
	}
	if c.Admin != "" && c.AdminToken == "" && !isLoopback(c.Admin) {
		return fmt.Errorf("admin address %s is not loopback: it would show every number, live call IDs and pprof "+
			"to anyone who reaches it; set an admin token (--admin-token-file) or keep --admin on 127.0.0.1", c.Admin)
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	for _, d := range []struct {
		p *int
		v int
	}{{&c.MaxConnsPerIP, 64}, {&c.RelayTCPPerIP, defaultRelayTCPPerIP}, {&c.DNSTCPPerIP, defaultDNSTCPPerIP}, {&c.AdminPerIP, defaultAdminPerIP}, {&c.SIPTCPPerIP, defaultSIPTCPPerIP}} {
		if *d.p <= 0 {
			*d.p = d.v
		}
	}
	if c.HTTPTimeout <= 0 {
		c.HTTPTimeout = 10 * time.Second
	}
	return nil
}

// isLoopback reports whether a host:port names only loopback: an IP
// address on loopback, or "localhost". An empty host (every interface) or
// another name is not.
func isLoopback(hostport string) bool {
	host, _, err := net.SplitHostPort(hostport)
	if err != nil {
		return false
	}
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip, err := netip.ParseAddr(host)
	return err == nil && ip.Unmap().IsLoopback()
}
