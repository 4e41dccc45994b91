package dnsserver

import (
	"fmt"
	"log/slog"
	"net/netip"
	"strings"
	"time"

	"github.com/miekg/dns"
)

// Defaults for Config fields left at their zero value.
const (
	DefaultZone   = "dialtone.internal."
	DefaultMaxTTL = 5 * time.Second
)

// enumZone is the ENUM tree (RFC 6116) the server also answers for.
const enumZone = "e164.arpa."

// Config configures a Server. The zero value, with a Resolver, is a working
// loopback-only server for DefaultZone.
type Config struct {
	// Zone is the domain numbers live under, as <digits>.<Zone>. Default
	// DefaultZone ("dialtone.internal.": .internal is reserved for private
	// use, so it never collides with the public DNS). A trailing dot is
	// added if missing; case does not matter. It must not overlap e164.arpa.
	Zone string

	// Allow lists the client prefixes that get answers; everyone else gets
	// REFUSED. Default: loopback only (127.0.0.0/8 and ::1/128). Use
	// 0.0.0.0/0 and ::/0 to answer everyone.
	Allow []netip.Prefix

	// Resolver is the live lease table. Required.
	Resolver Resolver

	// Logger receives per-query lines at Debug. Default: discard.
	Logger *slog.Logger

	// MaxTTL caps the TTL of address and NAPTR records. Default
	// DefaultMaxTTL (5 s). Keep it no longer than the lease hold-down, so
	// that no cache outlives an address's return to the pool. At least 1 s.
	MaxTTL time.Duration

	// NSAddrs are the addresses answered for ns.<Zone>, the name the apex
	// NS records point at, and sent as glue with them. Default none: the
	// name then exists without addresses (NODATA).
	NSAddrs []netip.Addr

	// Rate limits UDP responses per source prefix (IPv4 /24, IPv6 /56),
	// in responses per second, with Burst as the bucket. Over the limit,
	// every Slip-th response is sent empty with TC set, so that a real
	// resolver retries over TCP (which is not limited: a TCP client cannot
	// spoof its address), and the rest are dropped. Defaults: DefaultRate,
	// Burst = Rate, DefaultSlip. A negative Rate turns limiting off; a
	// negative Slip drops every response over the limit; Slip 1 truncates
	// them all.
	Rate  float64
	Burst int
	Slip  int
	// Now is the clock for the rate limit. Default time.Now.
	Now func() time.Time

	// ReadTimeout is how long a TCP client has to send its first query,
	// IdleTimeout how long it may wait before each next one; defaults 2s
	// and 8s (miekg/dns's). Per-source caps on TCP connections are the
	// listener's (the server wraps it with connlimit).
	ReadTimeout, IdleTimeout time.Duration

	// UDPWorkers is how many UDP read loops Serve runs, each on its own
	// SO_REUSEPORT socket (see ListenUDP). Default one per two CPUs
	// (GOMAXPROCS), at least one: a worker answers several hundred
	// thousand queries per CPU-second, and every worker more splits the
	// batches it reads and writes, so that each query pays a larger share
	// of the system calls and of the wake-ups (the worker's, and on
	// loopback the clients', which sendmmsg runs). On 2 CPUs under
	// dnsperf one worker answered 1.2-1.3 times as many queries per
	// CPU-second as two, and about as many per second.
	UDPWorkers int
}

// validate checks c and returns it with defaults filled in and the zone in
// canonical form.
func (c Config) validate() (Config, error) {
	if c.Resolver == nil {
		return c, errNoResolver
	}
	if c.Zone == "" {
		c.Zone = DefaultZone
	}
	c.Zone = strings.ToLower(dns.Fqdn(c.Zone))
	if err := checkZone(c.Zone); err != nil {
		return c, fmt.Errorf("zone %q: %w", c.Zone, err)
	}
	if len(c.Allow) == 0 {
		c.Allow = []netip.Prefix{
			netip.MustParsePrefix("127.0.0.0/8"),
			netip.MustParsePrefix("::1/128"),
		}
	}
	allow := make([]netip.Prefix, len(c.Allow))
	for i, p := range c.Allow {
		if !p.IsValid() {
			return c, fmt.Errorf("allow list entry %d: invalid prefix", i)
		}
		allow[i] = p.Masked()
	}
	c.Allow = allow
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.MaxTTL == 0 {
		c.MaxTTL = DefaultMaxTTL
	}
	if c.MaxTTL < time.Second {
		return c, fmt.Errorf("max TTL %v: shorter than 1s", c.MaxTTL)
	}
	if c.Rate == 0 {
		c.Rate = DefaultRate
	}
	if c.Burst <= 0 {
		c.Burst = max(int(c.Rate), 1)
	}
	switch {
	case c.Slip == 0:
		c.Slip = DefaultSlip
	case c.Slip < 0:
		c.Slip = 0
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.ReadTimeout <= 0 {
		c.ReadTimeout = 2 * time.Second
	}
	if c.IdleTimeout <= 0 {
		c.IdleTimeout = 8 * time.Second
	}
	if c.UDPWorkers < 0 {
		return c, fmt.Errorf("UDP workers %d: negative", c.UDPWorkers)
	}
	for i, a := range c.NSAddrs {
		if !a.IsValid() {
			return c, fmt.Errorf("NS address %d: invalid", i)
		}
	}
	return c, nil
}

// checkZone accepts host-name-like zones only: letters, digits, hyphens and
// dots. Escapes and underscores would make the cheap suffix matching on the
// query path wrong, and no one needs them for a zone name.
func checkZone(zone string) error {
	if zone == "." {
		return fmt.Errorf("the root cannot be the number zone")
	}
	if _, ok := dns.IsDomainName(zone); !ok {
		return fmt.Errorf("not a domain name")
	}
	for _, label := range dns.SplitDomainName(zone) {
		if label == "" || label[0] == '-' || label[len(label)-1] == '-' {
			return fmt.Errorf("label %q: not a host name label", label)
		}
		for i := 0; i < len(label); i++ {
			ch := label[i]
			if !(ch >= 'a' && ch <= 'z' || ch >= '0' && ch <= '9' || ch == '-') {
				return fmt.Errorf("label %q: only letters, digits and hyphens", label)
			}
		}
	}
	if dns.IsSubDomain(enumZone, zone) || dns.IsSubDomain(zone, enumZone) {
		return fmt.Errorf("overlaps %s", enumZone)
	}
	return nil
}
