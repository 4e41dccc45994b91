package lease

import (
	"errors"
	"net/netip"
	"testing"
	"time"
)

// The first leases after a restart must not be the dead process's: a fresh
// pool would hand out the first addresses again, exactly the ones the
// crashed call held.
func TestRestoreHoldsDown(t *testing.T) {
	p, clk := newTestPool(t, 40000, 40001, "10.0.0.0/29") // 6 IPs × 2 ports
	dead := []netip.AddrPort{netip.MustParseAddrPort("10.0.0.1:40000"), netip.MustParseAddrPort("10.0.0.2:40000")}
	n, err := p.Restore([]Held{{Addr: dead[0], Since: clk.Now()}, {Addr: dead[1], Since: clk.Now()},
		{Addr: netip.MustParseAddrPort("192.0.2.1:40000"), Since: clk.Now()},                 // not ours
		{Addr: netip.MustParseAddrPort("10.0.0.3:40000"), Since: clk.Now().Add(-time.Hour)}}) // over
	if err != nil || n != 2 {
		t.Fatalf("Restore = %d, %v; want 2 held", n, err)
	}
	if st := p.Stats(); st.HeldDown != 2 || st.InUse != 0 {
		t.Fatalf("stats after restore: %+v", st)
	}
	got := map[netip.AddrPort]bool{}
	for _, num := range []string{"a", "b", "c", "d"} {
		l := mustAcquire(t, p, num)
		got[l.Addr] = true
	}
	for _, d := range dead {
		if got[d] {
			t.Fatalf("a dead call's address %v was leased within its hold-down: %v", d, got)
		}
	}
	// Fill the pool: 12 addresses, 2 held, 4 taken; 6 more fit, then none.
	for i := range 6 {
		mustAcquire(t, p, string(rune('e'+i)))
	}
	if _, err := p.Acquire("full"); !errors.Is(err, ErrExhausted) {
		t.Fatalf("acquire with only held addresses left: %v", err)
	}
	clk.Advance(10 * time.Second)
	a, b := mustAcquire(t, p, "x"), mustAcquire(t, p, "y")
	if !(a.Addr == dead[0] || a.Addr == dead[1]) || !(b.Addr == dead[0] || b.Addr == dead[1]) || a.Addr == b.Addr {
		t.Fatalf("after the hold-down the held addresses come back: got %v %v", a.Addr, b.Addr)
	}
}

func TestRestoreOnlyOnAFreshPool(t *testing.T) {
	p, clk := newTestPool(t, 40000, 40000, "10.0.0.0/29")
	mustAcquire(t, p, "a")
	if _, err := p.Restore([]Held{{Addr: netip.MustParseAddrPort("10.0.0.2:40000"), Since: clk.Now()}}); !errors.Is(err, ErrInvalid) {
		t.Fatalf("Restore on a used pool: %v", err)
	}
}

func TestRestoreIPv6AndLaterWins(t *testing.T) {
	p, clk := newTestPool(t, 40000, 40009, "fd00::/64")
	addr := netip.MustParseAddrPort("[fd00::5]:40003")
	n, err := p.Restore([]Held{{Addr: addr, Since: clk.Now().Add(-8 * time.Second)}, {Addr: addr, Since: clk.Now()}})
	if err != nil || n != 1 {
		t.Fatalf("Restore = %d, %v", n, err)
	}
	clk.Advance(5 * time.Second) // the earlier time's hold-down would be over now
	for i := range 40 {
		if l := mustAcquire(t, p, string(rune('A'+i))); l.Addr == addr {
			t.Fatalf("held address leased 5s into a 10s hold-down")
		}
	}
}
