package sipgw

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"strings"
	"time"

	"github.com/dialtone/dialtone/server/lease"
	"github.com/dialtone/dialtone/server/store"
	"github.com/dialtone/dialtone/server/switchboard"
)

// DefaultRealm is the digest realm; passwords are hashed with it, so it is
// fixed rather than configured.
const DefaultRealm = "dialtone"

// Credentials looks up a number's digest secret; *store.Store is one. It
// returns an error wrapping store.ErrNotFound for a number without one.
type Credentials interface {
	SIPCredential(ctx context.Context, number string) (store.SIPCredential, error)
}

// Directory says which numbers the server holds: registered dialtone
// numbers and services. A call to any other number is 404.
type Directory interface{ Known(number string) bool }

// Config describes a Gateway.
type Config struct {
	// Credentials holds the numbers' digest secrets. Required.
	Credentials Credentials
	// Directory answers which numbers exist, for INVITE. Nil: none but
	// the numbers with SIP devices registered.
	Directory Directory
	// Realm is the digest realm. Default DefaultRealm.
	Realm string
	// Algorithms are the digest algorithms challenged with, in order:
	// "SHA-256" and "MD5". Default DefaultAlgorithms. RFC 8760 clients take
	// the first they support; older ones (baresip 1.0 in Debian) take the
	// first and fail on SHA-256, and need MD5 first.
	Algorithms []string
	// Hostname names the server in responses. Default "dialtone".
	Hostname string

	// Switchboard is where calls to and from SIP phones go; nil answers
	// every INVITE to a known number 480, as a registrar alone would.
	Switchboard *switchboard.Switchboard
	// Leases gives each SIP party its address for media: the phone's RTP
	// goes to and from its number's lease. Required with Switchboard.
	Leases *lease.Pool
	// Opus is the codec G.711 phones' audio is transcoded with; nil takes
	// Opus and VP8 only, and answers an offer of G.711 alone 488.
	Opus Opus

	// Routes send calls to numbers the server does not hold to SIP
	// trunks, the longest matching prefix winning. Calls from a trunk's
	// addresses (its host's, resolved by New, and TrunkAllow) to our
	// numbers need no digest.
	Routes     []Route
	TrunkAllow []netip.Prefix
	// LookupHost resolves a trunk's host. Default net.DefaultResolver.
	LookupHost func(ctx context.Context, host string) ([]netip.Addr, error)
	// TLSListener, when set, serves SIP over TLS (transport=tls) beside
	// Serve's UDP and TCP: its connections must be TLS (NewTLSListener).
	// Serve closes it.
	TLSListener net.Listener

	// MaxMessage bounds one SIP message in bytes. Default 8192.
	MaxMessage int
	// MaxHeaders bounds the header fields of one message. Default 64.
	MaxHeaders int
	// Rate and Burst bound the messages a second one source address may
	// send; beyond them its messages are dropped unanswered. Defaults 20, 40.
	Rate  float64
	Burst int
	// MaxSources bounds the source addresses tracked for the rate; new
	// sources beyond it are dropped until idle ones age out. Default 4096.
	MaxSources int

	// NonceTTL is how long a digest challenge may be answered. Default 5m.
	NonceTTL time.Duration
	// MaxNonces bounds the nonces answered and not yet expired (issuing
	// one keeps no state). Default 10000.
	MaxNonces int
	// MinExpires, MaxExpires and DefaultExpires bound a registration's life
	// (RFC 3261 section 10.3). Defaults 60s, 1h, 1h.
	MinExpires, MaxExpires, DefaultExpires time.Duration
	// MaxContacts bounds the devices one number may register; the oldest
	// gives way. Default 8.
	MaxContacts int

	// Now and Rand are the clock and the randomness for nonces. Defaults
	// time.Now, crypto/rand.
	Now  func() time.Time
	Rand io.Reader

	Logger *slog.Logger
}

func (c *Config) validate() error {
	if c.Credentials == nil {
		return errors.New("sipgw: no credentials store")
	}
	if c.Switchboard != nil && c.Leases == nil {
		return errors.New("sipgw: calls need the lease pool")
	}
	for _, p := range c.TrunkAllow {
		if err := checkTrunkAllow(p); err != nil {
			return err
		}
	}
	def := func(v *int, d int) {
		if *v == 0 {
			*v = d
		}
	}
	defDur := func(v *time.Duration, d time.Duration) {
		if *v == 0 {
			*v = d
		}
	}
	if c.Realm == "" {
		c.Realm = DefaultRealm
	}
	if len(c.Algorithms) == 0 {
		c.Algorithms = DefaultAlgorithms
	}
	c.Algorithms = append([]string(nil), c.Algorithms...)
	for i, a := range c.Algorithms {
		switch strings.ToUpper(a) {
		case "SHA-256", "MD5":
			c.Algorithms[i] = strings.ToUpper(a)
		default:
			return fmt.Errorf("sipgw: digest algorithm %q: want SHA-256 or MD5", a)
		}
	}
	if c.Hostname == "" {
		c.Hostname = "dialtone"
	}
	def(&c.MaxMessage, 8192)
	def(&c.MaxHeaders, 64)
	if c.Rate == 0 {
		c.Rate = 20
	}
	def(&c.Burst, 40)
	def(&c.MaxSources, 4096)
	defDur(&c.NonceTTL, 5*time.Minute)
	def(&c.MaxNonces, 10000)
	defDur(&c.MinExpires, time.Minute)
	defDur(&c.MaxExpires, time.Hour)
	defDur(&c.DefaultExpires, time.Hour)
	def(&c.MaxContacts, 8)
	if c.MaxMessage < 512 || c.MaxHeaders < 8 || c.Rate < 0 || c.Burst < 1 || c.MaxSources < 1 ||
		c.NonceTTL < 0 || c.MaxNonces < 1 || c.MaxContacts < 1 {
		return fmt.Errorf("sipgw: a bound is out of range: %+v", *c)
	}
	if c.MinExpires > c.MaxExpires || c.DefaultExpires < c.MinExpires || c.DefaultExpires > c.MaxExpires {
		return fmt.Errorf("sipgw: expiry bounds %v <= %v <= %v do not hold", c.MinExpires, c.DefaultExpires, c.MaxExpires)
	}
	if c.LookupHost == nil {
		c.LookupHost = lookupHost
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return nil
}

// Calls from a trunk's addresses skip the digest, so an allow list wider
// than these would open our numbers to most of the internet.
const (
	minTrunkBits4 = 8
	minTrunkBits6 = 32
)

// checkTrunkAllow refuses a trunk prefix so wide that it would let nearly
// anyone call our numbers unauthenticated (0.0.0.0/0, ::/0, ::ffff:0:0/96).
func checkTrunkAllow(p netip.Prefix) error {
	if !p.IsValid() {
		return fmt.Errorf("sipgw: trunk allow prefix %v is not valid", p)
	}
	bits, min := p.Bits(), minTrunkBits6
	switch {
	case p.Addr().Is4():
		min = minTrunkBits4
	case p.Addr().Is4In6():
		bits, min = bits-96, minTrunkBits4
	}
	if bits < min {
		return fmt.Errorf("sipgw: trunk allow prefix %v is too wide: calls from it need no password, so it may be no wider than /%d (list the trunk provider's own ranges)", p, min+(p.Bits()-bits))
	}
	return nil
}
