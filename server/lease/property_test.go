package lease

import (
	"cmp"
	"errors"
	"fmt"
	"math/rand"
	"net/netip"
	"slices"
	"testing"
	"time"
)

// model is a naive, obviously right lease table the pool is checked against.
type model struct {
	ttl, holdDown time.Duration
	addrs         []netip.AddrPort // every address in the pool
	leases        map[string]*modelLease
	held          map[netip.AddrPort]time.Time // hold-down ends
	exhaustions   uint64
	seq           int
}

type modelLease struct {
	Lease
	seq int
}

// occupied reports whether a cannot be leased at now.
func (m *model) occupied(a netip.AddrPort, now time.Time) bool {
	if until, ok := m.held[a]; ok && now.Before(until) {
		return true
	}
	for _, l := range m.leases {
		if l.Addr == a {
			return true
		}
	}
	return false
}

func (m *model) free(now time.Time) int {
	n := 0
	for _, a := range m.addrs {
		if !m.occupied(a, now) {
			n++
		}
	}
	return n
}

// idleIPWithFreePort reports whether some IP has no holder and a free port.
func (m *model) idleIPWithFreePort(now time.Time) bool {
	for _, a := range m.addrs {
		if !m.occupied(a, now) && !m.ipHeld(a.Addr()) {
			return true
		}
	}
	return false
}

func (m *model) ipHeld(ip netip.Addr) bool {
	for _, l := range m.leases {
		if l.Addr.Addr() == ip {
			return true
		}
	}
	return false
}

func (m *model) remove(number string, now time.Time) {
	m.held[m.leases[number].Addr] = now.Add(m.holdDown)
	delete(m.leases, number)
}

func (m *model) heldDown(now time.Time) int {
	n := 0
	for _, until := range m.held {
		if now.Before(until) {
			n++
		}
	}
	return n
}

func TestPoolAgainstModel(t *testing.T) {
	shapes := []struct {
		name     string
		prefixes []string
		ips      []string // the usable IPs, written out by hand
		lo, hi   uint16
	}{
		{"v4 and v6, two ports", []string{"10.0.0.0/30", "2001:db8::/127"}, []string{"10.0.0.1", "10.0.0.2", "2001:db8::", "2001:db8::1"}, 5000, 5001},
		{"one IP, three ports", []string{"192.0.2.1/32"}, []string{"192.0.2.1"}, 6000, 6002},
		{"six IPs, one port", []string{"10.1.0.0/29"}, []string{"10.1.0.1", "10.1.0.2", "10.1.0.3", "10.1.0.4", "10.1.0.5", "10.1.0.6"}, 7000, 7000},
		{"v6 anycast skipped, two ports", []string{"2001:db8:1::/126"}, []string{"2001:db8:1::1", "2001:db8:1::2", "2001:db8:1::3"}, 8000, 8001},
	}
	for _, sh := range shapes {
		for seed := int64(1); seed <= 3; seed++ {
			t.Run(fmt.Sprintf("%s/seed%d", sh.name, seed), func(t *testing.T) {
				p, clk := newTestPool(t, sh.lo, sh.hi, sh.prefixes...)
				m := &model{ttl: 30 * time.Second, holdDown: 10 * time.Second, leases: map[string]*modelLease{}, held: map[netip.AddrPort]time.Time{}}
				for port := int(sh.lo); port <= int(sh.hi); port++ {
					for _, ip := range sh.ips {
						m.addrs = append(m.addrs, netip.AddrPortFrom(netip.MustParseAddr(ip), uint16(port)))
					}
				}
				if got := p.Stats().Capacity; got != uint64(len(m.addrs)) {
					t.Fatalf("Capacity = %d, want %d", got, len(m.addrs))
				}
				rng := rand.New(rand.NewSource(seed))
				for i := range 1500 {
					desc := randomStep(t, rng, p, clk, m)
					checkInvariants(t, p, clk.Now(), m, fmt.Sprintf("step %d (%s)", i, desc))
				}
			})
		}
	}
}

// randomStep does one random operation on both p and m and checks the
// pool's answer; it returns a description for failure messages.
func randomStep(t *testing.T, rng *rand.Rand, p *Pool, clk *fakeClock, m *model) string {
	t.Helper()
	number := fmt.Sprintf("+1555000%02d", rng.Intn(12))
	now := clk.Now()
	switch r := rng.Intn(100); {
	case r < 40:
		checkAcquire(t, p, now, m, number)
		return "acquire " + number
	case r < 65:
		l, ok := p.Release(number)
		ml := m.leases[number]
		wantOK := ml != nil && now.Before(ml.Expires)
		if ml != nil && !wantOK {
			m.remove(number, now)
		}
		if wantOK {
			ml.Refs--
			if ml.Refs == 0 {
				m.remove(number, now)
			}
		}
		if ok != wantOK || (ok && l != ml.Lease) {
			t.Fatalf("Release(%s) = %+v, %v; want %+v, %v", number, l, ok, ml, wantOK)
		}
		return "release " + number
	case r < 75:
		l, err := p.Renew(number)
		ml := m.leases[number]
		switch {
		case ml != nil && now.Before(ml.Expires):
			ml.Expires = now.Add(m.ttl)
			if err != nil || l != ml.Lease {
				t.Fatalf("Renew(%s) = %+v, %v; want %+v", number, l, err, ml.Lease)
			}
		default:
			if ml != nil {
				m.remove(number, now)
			}
			if !errors.Is(err, ErrNoLease) {
				t.Fatalf("Renew(%s) = %v, want ErrNoLease", number, err)
			}
		}
		return "renew " + number
	case r < 90:
		d := time.Duration(rng.Int63n(int64(12 * time.Second)))
		if rng.Intn(4) == 0 {
			d = d.Truncate(time.Second) // land exactly on expiries and hold-down ends
		}
		clk.Advance(d)
		return "advance " + d.String()
	default:
		max := rng.Intn(4)
		checkSweep(t, p, now, m, max)
		return fmt.Sprintf("sweep %d", max)
	}
}

func checkAcquire(t *testing.T, p *Pool, now time.Time, m *model, number string) {
	t.Helper()
	l, err := p.Acquire(number)
	if ml := m.leases[number]; ml != nil {
		if now.Before(ml.Expires) {
			ml.Refs++
			ml.Expires = now.Add(m.ttl)
			if err != nil || l != ml.Lease {
				t.Fatalf("Acquire(%s) again = %+v, %v; want %+v", number, l, err, ml.Lease)
			}
			return
		}
		m.remove(number, now)
	}
	if m.free(now) == 0 {
		m.exhaustions++
		if !errors.Is(err, ErrExhausted) {
			t.Fatalf("Acquire(%s) on a full pool = %+v, %v; want ErrExhausted", number, l, err)
		}
		return
	}
	if err != nil {
		t.Fatalf("Acquire(%s) with %d free = %v", number, m.free(now), err)
	}
	if !slices.Contains(m.addrs, l.Addr) {
		t.Fatalf("Acquire(%s) = %v, not in the pool", number, l.Addr)
	}
	if until, ok := m.held[l.Addr]; ok && now.Before(until) {
		t.Fatalf("Acquire(%s) = %v, inside its hold-down (until %v, now %v)", number, l.Addr, until, now)
	}
	if m.idleIPWithFreePort(now) && m.ipHeld(l.Addr.Addr()) {
		t.Fatalf("Acquire(%s) = %v, shares an IP while an idle IP has a free port", number, l.Addr)
	}
	for _, o := range m.leases {
		if o.Addr == l.Addr {
			t.Fatalf("Acquire(%s) = %v, held by %s", number, l.Addr, o.Number)
		}
	}
	want := Lease{Number: number, Addr: l.Addr, Acquired: now, Expires: now.Add(m.ttl), Refs: 1}
	if l != want {
		t.Fatalf("Acquire(%s) = %+v, want %+v", number, l, want)
	}
	m.seq++
	m.leases[number] = &modelLease{Lease: l, seq: m.seq}
	delete(m.held, l.Addr)
}

func checkSweep(t *testing.T, p *Pool, now time.Time, m *model, max int) {
	t.Helper()
	var expired []*modelLease
	for _, l := range m.leases {
		if !now.Before(l.Expires) {
			expired = append(expired, l)
		}
	}
	slices.SortFunc(expired, func(a, b *modelLease) int {
		return cmp.Or(a.Expires.Compare(b.Expires), cmp.Compare(a.seq, b.seq))
	})
	expired = expired[:min(max, len(expired))]
	got := p.Sweep(max)
	if len(got) != len(expired) {
		t.Fatalf("Sweep(%d) = %d leases, want %d", max, len(got), len(expired))
	}
	for i, l := range expired {
		if got[i] != l.Lease {
			t.Fatalf("Sweep(%d)[%d] = %+v, want %+v", max, i, got[i], l.Lease)
		}
		m.remove(l.Number, now)
	}
}

// checkInvariants compares every view of the pool with the model.
func checkInvariants(t *testing.T, p *Pool, now time.Time, m *model, where string) {
	t.Helper()
	var live []Lease
	for _, l := range m.leases {
		if now.Before(l.Expires) {
			live = append(live, l.Lease)
		}
		got, ok := p.ByAddr(l.Addr)
		if ok != now.Before(l.Expires) || (ok && got != l.Lease) {
			t.Fatalf("%s: ByAddr(%v) = %+v, %v; model has %+v", where, l.Addr, got, ok, l.Lease)
		}
		got, ok = p.Lookup(l.Number)
		if ok != now.Before(l.Expires) || (ok && got != l.Lease) {
			t.Fatalf("%s: Lookup(%s) = %+v, %v; model has %+v", where, l.Number, got, ok, l.Lease)
		}
	}
	slices.SortFunc(live, func(a, b Lease) int { return cmp.Compare(a.Number, b.Number) })
	list := p.List()
	if !slices.Equal(list, live) {
		t.Fatalf("%s: List = %+v\nwant %+v", where, list, live)
	}
	addrs := map[netip.AddrPort]bool{}
	for _, l := range list {
		if addrs[l.Addr] {
			t.Fatalf("%s: %v leased twice", where, l.Addr)
		}
		addrs[l.Addr] = true
	}
	s := p.Stats()
	want := Stats{Capacity: uint64(len(m.addrs)), InUse: len(m.leases), HeldDown: m.heldDown(now), Exhaustions: m.exhaustions}
	if s != want {
		t.Fatalf("%s: Stats = %+v, want %+v", where, s, want)
	}
	if s.InUse+s.HeldDown > len(m.addrs) {
		t.Fatalf("%s: %d in use + %d held > capacity %d", where, s.InUse, s.HeldDown, len(m.addrs))
	}
}
