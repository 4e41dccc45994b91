package lease

import (
	"fmt"
	"net/netip"
	"time"
)

// Defaults for the zero values of Config.
const (
	DefaultPortLo   = 40000
	DefaultPortHi   = 49999
	DefaultTTL      = 30 * time.Second
	DefaultHoldDown = 10 * time.Second
)

// Config describes a Pool. The zero value of every field but Prefixes is
// valid and means the documented default.
type Config struct {
	// Prefixes are the IP ranges leased from, IPv4 and/or IPv6, treated as
	// one concatenated space in the order given. Required; they must not
	// overlap, and IPv4 is written as IPv4 (not ::ffff:a.b.c.d). Host bits
	// are ignored (127.77.0.1/16 means 127.77.0.0/16). In an IPv4 prefix
	// shorter than /31 the network and broadcast addresses are skipped; in an
	// IPv6 prefix shorter than /127 the subnet-router anycast address (all
	// zero host bits) is skipped.
	Prefixes []netip.Prefix

	// PortLo and PortHi bound the leased ports, inclusive. Both zero means
	// DefaultPortLo–DefaultPortHi (40000–49999). Port 0 is never leased.
	PortLo, PortHi uint16

	// TTL is how long a lease lives without renewal. Zero means DefaultTTL
	// (30 s).
	TTL time.Duration

	// HoldDown is how long a released or reclaimed address waits before it
	// is leased again. Zero means DefaultHoldDown (10 s); it cannot be
	// switched off.
	HoldDown time.Duration

	// Now is the clock. Nil means time.Now. It is called with the pool's
	// lock held, so it must not call back into the pool. A clock that steps
	// backwards can only lengthen hold-downs, never shorten them.
	Now func() time.Time
}

// withDefaults returns c with its zero values replaced by the defaults.
func (c Config) withDefaults() Config {
	if c.PortLo == 0 && c.PortHi == 0 {
		c.PortLo, c.PortHi = DefaultPortLo, DefaultPortHi
	}
	if c.TTL == 0 {
		c.TTL = DefaultTTL
	}
	if c.HoldDown == 0 {
		c.HoldDown = DefaultHoldDown
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	c.Prefixes = append([]netip.Prefix(nil), c.Prefixes...)
	for i, p := range c.Prefixes {
		c.Prefixes[i] = p.Masked()
	}
	return c
}

// validate checks a Config that has been through withDefaults.
func (c *Config) validate() error {
	if len(c.Prefixes) == 0 {
		return fmt.Errorf("%w config: no prefixes", ErrInvalid)
	}
	for i, p := range c.Prefixes {
		if !p.IsValid() {
			return fmt.Errorf("%w config: prefix %d is not a valid prefix", ErrInvalid, i)
		}
		if p.Addr().Is4In6() {
			return fmt.Errorf("%w config: prefix %s: write IPv4 as IPv4", ErrInvalid, p)
		}
		for _, q := range c.Prefixes[:i] {
			if p.Overlaps(q) {
				return fmt.Errorf("%w config: prefix %s overlaps %s", ErrInvalid, p, q)
			}
		}
	}
	if c.PortLo == 0 {
		return fmt.Errorf("%w config: port 0 cannot be leased", ErrInvalid)
	}
	if c.PortLo > c.PortHi {
		return fmt.Errorf("%w config: port range %d-%d is empty", ErrInvalid, c.PortLo, c.PortHi)
	}
	if c.TTL < 0 {
		return fmt.Errorf("%w config: negative TTL %v", ErrInvalid, c.TTL)
	}
	if c.HoldDown < 0 {
		return fmt.Errorf("%w config: negative hold-down %v", ErrInvalid, c.HoldDown)
	}
	return nil
}
