package lease

import (
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"sync"
	"testing"
	"time"
)

// A step is one action on a pool in a scripted test, checking its result.
type step func(t *testing.T, p *Pool, clk *fakeClock)

// acq acquires for number and wants addr with refs.
func acq(number, addr string, refs int) step {
	return func(t *testing.T, p *Pool, clk *fakeClock) {
		t.Helper()
		l, err := p.Acquire(number)
		if err != nil {
			t.Fatalf("Acquire(%q): %v", number, err)
		}
		if l.Number != number || l.Addr != netip.MustParseAddrPort(addr) || l.Refs != refs {
			t.Fatalf("Acquire(%q) = %s %v refs %d; want %s refs %d", number, l.Number, l.Addr, l.Refs, addr, refs)
		}
		if want := clk.Now().Add(30 * time.Second); !l.Expires.Equal(want) {
			t.Fatalf("Acquire(%q) expires %v, want now+TTL %v", number, l.Expires, want)
		}
	}
}

// acqErr acquires for number and wants an error matching want.
func acqErr(number string, want error) step {
	return func(t *testing.T, p *Pool, _ *fakeClock) {
		t.Helper()
		if l, err := p.Acquire(number); !errors.Is(err, want) {
			t.Fatalf("Acquire(%q) = %v, %v; want %v", number, l.Addr, err, want)
		}
	}
}

// rel releases number and wants ok and, if ok, refs left.
func rel(number string, ok bool, refs int) step {
	return func(t *testing.T, p *Pool, _ *fakeClock) {
		t.Helper()
		l, gotOK := p.Release(number)
		if gotOK != ok || (ok && (l.Refs != refs || l.Number != number)) {
			t.Fatalf("Release(%q) = %+v, %v; want ok %v refs %d", number, l, gotOK, ok, refs)
		}
	}
}

// renew renews number and wants its new expiry, or ErrNoLease when !ok.
func renew(number string, ok bool) step {
	return func(t *testing.T, p *Pool, clk *fakeClock) {
		t.Helper()
		l, err := p.Renew(number)
		switch {
		case ok && err != nil:
			t.Fatalf("Renew(%q): %v", number, err)
		case ok && !l.Expires.Equal(clk.Now().Add(30*time.Second)):
			t.Fatalf("Renew(%q) expires %v, want now+TTL", number, l.Expires)
		case !ok && !errors.Is(err, ErrNoLease):
			t.Fatalf("Renew(%q) = %+v, %v; want ErrNoLease", number, l, err)
		}
	}
}

// look wants Lookup(number) to find addr, or nothing when addr is "".
// ByAddr must agree.
func look(number, addr string) step {
	return func(t *testing.T, p *Pool, _ *fakeClock) {
		t.Helper()
		l, ok := p.Lookup(number)
		if ok != (addr != "") || (ok && l.Addr != netip.MustParseAddrPort(addr)) {
			t.Fatalf("Lookup(%q) = %v, %v; want %q", number, l.Addr, ok, addr)
		}
		if ok {
			if b, ok := p.ByAddr(l.Addr); !ok || b != l {
				t.Fatalf("ByAddr(%v) = %+v, %v; want %+v", l.Addr, b, ok, l)
			}
		}
	}
}

// byAddr wants ByAddr(addr) to name number, or nothing when number is "".
func byAddr(addr, number string) step {
	return func(t *testing.T, p *Pool, _ *fakeClock) {
		t.Helper()
		l, ok := p.ByAddr(netip.MustParseAddrPort(addr))
		if ok != (number != "") || l.Number != number {
			t.Fatalf("ByAddr(%s) = %q, %v; want %q", addr, l.Number, ok, number)
		}
	}
}

// sweep sweeps at most max and wants exactly the numbers given, in order.
func sweep(max int, numbers ...string) step {
	return func(t *testing.T, p *Pool, _ *fakeClock) {
		t.Helper()
		var got []string
		for _, l := range p.Sweep(max) {
			got = append(got, l.Number)
		}
		if !slices.Equal(got, numbers) {
			t.Fatalf("Sweep(%d) = %q, want %q", max, got, numbers)
		}
	}
}

// list wants List to name exactly these numbers, in this order.
func list(numbers ...string) step {
	return func(t *testing.T, p *Pool, _ *fakeClock) {
		t.Helper()
		var got []string
		for _, l := range p.List() {
			got = append(got, l.Number)
		}
		if !slices.Equal(got, numbers) {
			t.Fatalf("List = %q, want %q", got, numbers)
		}
	}
}

// stats wants these counters.
func stats(inUse, heldDown int, exhaustions uint64) step {
	return func(t *testing.T, p *Pool, _ *fakeClock) {
		t.Helper()
		s := p.Stats()
		if s.InUse != inUse || s.HeldDown != heldDown || s.Exhaustions != exhaustions {
			t.Fatalf("Stats = %+v; want InUse %d HeldDown %d Exhaustions %d", s, inUse, heldDown, exhaustions)
		}
	}
}

func adv(d time.Duration) step {
	return func(_ *testing.T, _ *Pool, clk *fakeClock) { clk.Advance(d) }
}

func TestPoolRules(t *testing.T) {
	const s = time.Second
	cases := []struct {
		name     string
		prefixes []string
		lo, hi   uint16
		steps    []step
	}{
		{
			name: "distinct IPs before a second port", prefixes: []string{"10.0.0.0/29"}, lo: 5000, hi: 5001,
			steps: []step{
				acq("a", "10.0.0.1:5000", 1), acq("b", "10.0.0.2:5000", 1), acq("c", "10.0.0.3:5000", 1),
				acq("d", "10.0.0.4:5000", 1), acq("e", "10.0.0.5:5000", 1), acq("f", "10.0.0.6:5000", 1),
				acq("g", "10.0.0.1:5001", 1), list("a", "b", "c", "d", "e", "f", "g"),
			},
		},
		{
			name: "acquire again reuses and renews", prefixes: []string{"10.0.0.0/29"}, lo: 5000, hi: 5000,
			steps: []step{
				acq("a", "10.0.0.1:5000", 1), adv(20 * s), acq("a", "10.0.0.1:5000", 2), adv(20 * s),
				look("a", "10.0.0.1:5000"), acq("a", "10.0.0.1:5000", 3), stats(1, 0, 0),
			},
		},
		{
			name: "release counts down, the last frees the address", prefixes: []string{"10.0.0.0/29"}, lo: 5000, hi: 5000,
			steps: []step{
				acq("a", "10.0.0.1:5000", 1), acq("a", "10.0.0.1:5000", 2),
				rel("a", true, 1), look("a", "10.0.0.1:5000"), stats(1, 0, 0),
				rel("a", true, 0), look("a", ""), byAddr("10.0.0.1:5000", ""), stats(0, 1, 0),
				rel("a", false, 0), rel("nobody", false, 0),
			},
		},
		{
			name: "released address waits out its hold-down", prefixes: []string{"10.0.0.1/32"}, lo: 5000, hi: 5000,
			steps: []step{
				acq("a", "10.0.0.1:5000", 1), rel("a", true, 0),
				acqErr("b", ErrExhausted), adv(10*s - 1), acqErr("b", ErrExhausted), stats(0, 1, 2),
				adv(1), stats(0, 0, 2), acq("b", "10.0.0.1:5000", 1), stats(1, 0, 2),
			},
		},
		{
			name: "other addresses are used during a hold-down", prefixes: []string{"10.0.0.0/30"}, lo: 5000, hi: 5000,
			steps: []step{
				acq("a", "10.0.0.1:5000", 1), rel("a", true, 0), acq("b", "10.0.0.2:5000", 1),
				rel("b", true, 0), acqErr("c", ErrExhausted), adv(10 * s), acq("c", "10.0.0.1:5000", 1),
				acq("d", "10.0.0.2:5000", 1), acqErr("e", ErrExhausted), stats(2, 0, 2),
			},
		},
		{
			name: "a fresh IP beats one idle for less than a hold-down", prefixes: []string{"10.0.0.0/29"}, lo: 5000, hi: 5001,
			steps: []step{
				acq("a", "10.0.0.1:5000", 1), rel("a", true, 0), adv(5 * s),
				acq("b", "10.0.0.2:5000", 1), adv(5 * s),
				// .1 has been idle for a hold-down: back to it, on its rested port.
				acq("c", "10.0.0.1:5000", 1),
			},
		},
		{
			name: "an idle IP beats a busy one when the IPs run out", prefixes: []string{"10.0.0.0/30"}, lo: 5000, hi: 5001,
			steps: []step{
				acq("a", "10.0.0.1:5000", 1), acq("b", "10.0.0.2:5000", 1), rel("a", true, 0),
				// .1:5000 is held down, but .1 has no holder and a free port.
				acq("c", "10.0.0.1:5001", 1), acq("d", "10.0.0.2:5001", 1), acqErr("e", ErrExhausted),
			},
		},
		{
			name: "IPs are shared round robin once all are busy", prefixes: []string{"10.0.0.0/30"}, lo: 5000, hi: 5002,
			steps: []step{
				acq("a", "10.0.0.1:5000", 1), acq("b", "10.0.0.2:5000", 1),
				acq("c", "10.0.0.1:5001", 1), acq("d", "10.0.0.2:5001", 1),
				acq("e", "10.0.0.1:5002", 1), acq("f", "10.0.0.2:5002", 1),
				acqErr("g", ErrExhausted), stats(6, 0, 1),
			},
		},
		{
			name: "renew extends, and needs a live lease", prefixes: []string{"10.0.0.0/29"}, lo: 5000, hi: 5000,
			steps: []step{
				renew("a", false), acq("a", "10.0.0.1:5000", 1), adv(29 * s), renew("a", true),
				adv(29 * s), look("a", "10.0.0.1:5000"), adv(1 * s), look("a", ""),
				renew("a", false), stats(0, 1, 0), // the expired lease was reclaimed
			},
		},
		{
			name: "an expired lease reads as absent until swept", prefixes: []string{"10.0.0.0/29"}, lo: 5000, hi: 5000,
			steps: []step{
				acq("a", "10.0.0.1:5000", 1), acq("b", "10.0.0.2:5000", 1), adv(15 * s), renew("b", true),
				adv(15*s - 1), look("a", "10.0.0.1:5000"), list("a", "b"),
				adv(1), look("a", ""), byAddr("10.0.0.1:5000", ""), list("b"), stats(2, 0, 0),
				sweep(10, "a"), stats(1, 1, 0), sweep(10),
			},
		},
		{
			name: "a swept address goes through hold-down", prefixes: []string{"10.0.0.1/32"}, lo: 5000, hi: 5000,
			steps: []step{
				acq("a", "10.0.0.1:5000", 1), adv(30 * s), acqErr("b", ErrExhausted),
				sweep(1, "a"), acqErr("b", ErrExhausted), adv(10*s - 1), acqErr("b", ErrExhausted),
				adv(1), acq("b", "10.0.0.1:5000", 1),
			},
		},
		{
			name: "sweep is bounded and takes the oldest first", prefixes: []string{"10.0.0.0/28"}, lo: 5000, hi: 5000,
			steps: []step{
				acq("a", "10.0.0.1:5000", 1), adv(1 * s), acq("b", "10.0.0.2:5000", 1), adv(1 * s),
				acq("c", "10.0.0.3:5000", 1), acq("d", "10.0.0.4:5000", 1), adv(1 * s), renew("a", true),
				sweep(5), adv(30 * s), sweep(0), sweep(-1), sweep(2, "b", "c"), sweep(2, "d", "a"), sweep(2),
				stats(0, 4, 0),
			},
		},
		{
			name: "acquire after expiry takes a new address", prefixes: []string{"10.0.0.0/29"}, lo: 5000, hi: 5000,
			steps: []step{
				acq("a", "10.0.0.1:5000", 1), acq("a", "10.0.0.1:5000", 2), adv(30 * s),
				acq("a", "10.0.0.2:5000", 1), stats(1, 1, 0), byAddr("10.0.0.1:5000", ""),
			},
		},
		{
			name: "release after expiry reclaims", prefixes: []string{"10.0.0.0/29"}, lo: 5000, hi: 5000,
			steps: []step{
				acq("a", "10.0.0.1:5000", 1), adv(30 * s), rel("a", false, 0), stats(0, 1, 0), sweep(9),
			},
		},
		{
			name: "empty number is invalid", prefixes: []string{"10.0.0.0/29"}, lo: 5000, hi: 5000,
			steps: []step{acqErr("", ErrInvalid), stats(0, 0, 0)},
		},
		{
			name: "single IP with a port range", prefixes: []string{"198.51.100.7/32"}, lo: 6000, hi: 6003,
			steps: []step{
				acq("a", "198.51.100.7:6000", 1), acq("b", "198.51.100.7:6001", 1),
				acq("c", "198.51.100.7:6002", 1), acq("d", "198.51.100.7:6003", 1),
				acqErr("e", ErrExhausted), rel("b", true, 0), rel("d", true, 0), adv(10 * s),
				acq("e", "198.51.100.7:6001", 1), acq("f", "198.51.100.7:6003", 1), acqErr("g", ErrExhausted),
			},
		},
		{
			name: "mixed IPv4 and IPv6 in order", prefixes: []string{"192.0.2.0/31", "2001:db8::/126", "192.0.2.9/32"}, lo: 7000, hi: 7000,
			steps: []step{
				acq("a", "192.0.2.0:7000", 1), acq("b", "192.0.2.1:7000", 1),
				acq("c", "[2001:db8::1]:7000", 1), acq("d", "[2001:db8::2]:7000", 1), acq("e", "[2001:db8::3]:7000", 1),
				acq("f", "192.0.2.9:7000", 1), acqErr("g", ErrExhausted),
				byAddr("[2001:db8::2]:7000", "d"), look("c", "[2001:db8::1]:7000"),
			},
		},
		{
			name: "tiny pool exhausts and recovers", prefixes: []string{"10.0.0.0/30"}, lo: 5000, hi: 5000,
			steps: []step{
				acq("a", "10.0.0.1:5000", 1), acq("b", "10.0.0.2:5000", 1), acqErr("c", ErrExhausted),
				acq("a", "10.0.0.1:5000", 2), // a number already leased never hits exhaustion
				rel("b", true, 0), acqErr("c", ErrExhausted), adv(10 * s), acq("c", "10.0.0.2:5000", 1),
				acqErr("d", ErrExhausted), stats(2, 0, 3),
			},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p, clk := newTestPool(t, tc.lo, tc.hi, tc.prefixes...)
			for _, st := range tc.steps {
				st(t, p, clk)
			}
		})
	}
}

func TestIPv6Slash64(t *testing.T) {
	p, clk := newTestPool(t, 40000, 49999, "2001:db8:5:6::/64")
	if c := p.Stats().Capacity; c < 1<<62 {
		t.Fatalf("Capacity = %d, want saturated", c)
	}
	seen := map[netip.Addr]bool{}
	for i := range 2000 {
		l := mustAcquire(t, p, fmt.Sprintf("+1555%07d", i))
		if l.Addr.Port() != 40000 || seen[l.Addr.Addr()] || !netip.MustParsePrefix("2001:db8:5:6::/64").Contains(l.Addr.Addr()) {
			t.Fatalf("lease %d = %v: want a fresh IP in the /64 on port 40000", i, l.Addr)
		}
		seen[l.Addr.Addr()] = true
	}
	if l, _ := p.Lookup("+15550000000"); l.Addr != netip.MustParseAddrPort("[2001:db8:5:6::1]:40000") {
		t.Fatalf("first lease = %v, want [2001:db8:5:6::1]:40000 (anycast ::0 skipped)", l.Addr)
	}
	// Churn for many hold-downs: the allocator recycles idle IPs instead of
	// walking ever further into the /64, so its state stays bounded.
	for i := range 4000 {
		n := fmt.Sprintf("+1666%07d", i)
		mustAcquire(t, p, n)
		mustRelease(t, p, n)
		clk.Advance(20 * time.Millisecond)
	}
	p.mu.Lock()
	next, tracked := p.alloc.next, len(p.alloc.ips)+p.alloc.idle.len()
	p.mu.Unlock()
	// 2000 held, plus at most one hold-down's worth (500) of releases.
	if next > 2600 || tracked > 2*2600 {
		t.Fatalf("after churn: %d IPs used, %d tracked; want about 2500", next, tracked)
	}
}

func TestClockSteppingBackNeverShortensHoldDown(t *testing.T) {
	p, clk := newTestPool(t, 5000, 5000, "10.0.0.0/30")
	mustAcquire(t, p, "a")
	mustRelease(t, p, "a") // .1 held until t0+10s
	clk.Advance(-5 * time.Second)
	mustAcquire(t, p, "b")
	mustRelease(t, p, "b")        // .2 held until t0+5s, queued behind .1
	clk.Advance(11 * time.Second) // t0+6s
	if _, err := p.Acquire("c"); !errors.Is(err, ErrExhausted) {
		t.Fatalf("Acquire = %v, want ErrExhausted while .1 is held (.2 waits behind it)", err)
	}
	clk.Advance(4 * time.Second) // t0+10s
	mustAcquire(t, p, "c")
	mustAcquire(t, p, "d")
}

func TestReturnedLeasesAreCopies(t *testing.T) {
	p, _ := newTestPool(t, 5000, 5000, "10.0.0.0/29")
	l := mustAcquire(t, p, "a")
	l.Refs = 99
	l.Addr = netip.AddrPort{}
	if got, _ := p.Lookup("a"); got.Refs != 1 || !got.Addr.IsValid() {
		t.Fatalf("Lookup after editing the returned lease = %+v", got)
	}
}

func TestConcurrentUse(t *testing.T) {
	p, clk := newTestPool(t, 5000, 5003, "10.0.0.0/28")
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 300 {
				n := fmt.Sprintf("g%d-%d", g, i%5)
				switch i % 4 {
				case 0, 1:
					if _, err := p.Acquire(n); err != nil && !errors.Is(err, ErrExhausted) {
						t.Errorf("Acquire: %v", err)
					}
				case 2:
					p.Release(n)
					p.Renew(n)
				case 3:
					clk.Advance(time.Second)
					p.Sweep(3)
					p.List()
					p.Stats()
				}
			}
		})
	}
	wg.Wait()
	addrs := map[netip.AddrPort]string{}
	for _, l := range p.List() {
		if other, dup := addrs[l.Addr]; dup {
			t.Fatalf("%v leased to %s and %s", l.Addr, other, l.Number)
		}
		addrs[l.Addr] = l.Number
	}
}
