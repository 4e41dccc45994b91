package lease

import (
	"errors"
	"net/netip"
	"testing"
	"time"
)

func TestNewRejectsInvalidConfig(t *testing.T) {
	pfx := netip.MustParsePrefix
	cases := []struct {
		name string
		cfg  Config
	}{
		{"no prefixes", Config{}},
		{"zero prefix", Config{Prefixes: []netip.Prefix{{}}}},
		{"4in6 prefix", Config{Prefixes: []netip.Prefix{pfx("::ffff:10.0.0.0/104")}}},
		{"duplicate prefixes", Config{Prefixes: []netip.Prefix{pfx("10.0.0.0/24"), pfx("10.0.0.0/24")}}},
		{"nested prefixes", Config{Prefixes: []netip.Prefix{pfx("10.0.0.0/8"), pfx("10.1.0.0/16")}}},
		{"overlap after masking", Config{Prefixes: []netip.Prefix{pfx("10.0.0.0/24"), pfx("10.0.0.9/25")}}},
		{"port 0", Config{Prefixes: []netip.Prefix{pfx("10.0.0.0/24")}, PortHi: 100}},
		{"empty port range", Config{Prefixes: []netip.Prefix{pfx("10.0.0.0/24")}, PortLo: 2000, PortHi: 1000}},
		{"negative TTL", Config{Prefixes: []netip.Prefix{pfx("10.0.0.0/24")}, TTL: -time.Second}},
		{"negative hold-down", Config{Prefixes: []netip.Prefix{pfx("10.0.0.0/24")}, HoldDown: -time.Second}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p, err := New(tc.cfg)
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("New = %v, %v; want ErrInvalid", p, err)
			}
		})
	}
}

func TestNewDefaults(t *testing.T) {
	start := time.Now()
	p, err := New(Config{Prefixes: []netip.Prefix{netip.MustParsePrefix("127.77.0.0/16")}})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := p.Stats().Capacity, uint64(65534*10000); got != want {
		t.Errorf("Capacity = %d, want %d (a /16 without network and broadcast, 40000-49999)", got, want)
	}
	l := mustAcquire(t, p, "+15551234567")
	if l.Addr.Port() != DefaultPortLo {
		t.Errorf("first port = %d, want %d", l.Addr.Port(), DefaultPortLo)
	}
	if l.Acquired.Before(start) {
		t.Errorf("Acquired = %v, before the test started: default clock is not time.Now", l.Acquired)
	}
	if got := l.Expires.Sub(l.Acquired); got != DefaultTTL {
		t.Errorf("lease life = %v, want %v", got, DefaultTTL)
	}
}

func TestNewDefaultHoldDown(t *testing.T) {
	clk := newFakeClock()
	p, err := New(Config{Prefixes: []netip.Prefix{netip.MustParsePrefix("10.0.0.1/32")}, PortLo: 5000, PortHi: 5000, Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	mustAcquire(t, p, "a")
	mustRelease(t, p, "a")
	clk.Advance(DefaultHoldDown - time.Nanosecond)
	if _, err := p.Acquire("b"); !errors.Is(err, ErrExhausted) {
		t.Fatalf("Acquire inside the default hold-down = %v, want ErrExhausted", err)
	}
	clk.Advance(time.Nanosecond)
	mustAcquire(t, p, "b")
}

func TestNewMasksHostBitsAndCopiesPrefixes(t *testing.T) {
	prefixes := []netip.Prefix{netip.MustParsePrefix("10.9.8.7/24")}
	clk := newFakeClock()
	p, err := New(Config{Prefixes: prefixes, PortLo: 1000, PortHi: 1000, Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	prefixes[0] = netip.MustParsePrefix("192.0.2.0/24") // the pool must not see this
	l := mustAcquire(t, p, "a")
	if want := netip.MustParseAddrPort("10.9.8.1:1000"); l.Addr != want {
		t.Errorf("first lease = %v, want %v", l.Addr, want)
	}
}
