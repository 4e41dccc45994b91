package lease

import (
	"net/netip"
	"sync"
	"testing"
	"time"
)

// fakeClock is the pool's clock in tests: it moves only when told to.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newFakeClock() *fakeClock {
	return &fakeClock{t: time.Date(2026, 11, 27, 6, 0, 0, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// newTestPool returns a pool on a fake clock with TTL 30 s and hold-down
// 10 s over the given prefixes and ports.
func newTestPool(t testing.TB, lo, hi uint16, prefixes ...string) (*Pool, *fakeClock) {
	t.Helper()
	clk := newFakeClock()
	cfg := Config{PortLo: lo, PortHi: hi, TTL: 30 * time.Second, HoldDown: 10 * time.Second, Now: clk.Now}
	for _, s := range prefixes {
		cfg.Prefixes = append(cfg.Prefixes, netip.MustParsePrefix(s))
	}
	p, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return p, clk
}

func mustAcquire(t testing.TB, p *Pool, number string) Lease {
	t.Helper()
	l, err := p.Acquire(number)
	if err != nil {
		t.Fatalf("Acquire(%q): %v", number, err)
	}
	return l
}

func mustRelease(t testing.TB, p *Pool, number string) Lease {
	t.Helper()
	l, ok := p.Release(number)
	if !ok {
		t.Fatalf("Release(%q): no lease", number)
	}
	return l
}
