package relay

import (
	"net"
	"net/netip"
	"testing"
)

func relayed(c net.PacketConn) netip.AddrPort {
	ap := c.LocalAddr().(*net.UDPAddr).AddrPort()
	return netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
}

func TestAllocationQuota(t *testing.T) {
	h := newHarness(t, nil)
	h.calls.start("c1", numA, numB)
	first, err := h.allocate(t, "c1", numA)
	if err != nil {
		t.Fatal(err)
	}
	second, err := h.allocate(t, "c1", numA)
	if err != nil {
		t.Fatalf("second allocation (an ICE restart's): %v", err)
	}
	if relayed(first) != h.lease[numA] {
		t.Errorf("first allocation on %v, want the lease %v", relayed(first), h.lease[numA])
	}
	if got := relayed(second); got.Addr() != h.lease[numA].Addr() || got == h.lease[numA] {
		t.Errorf("second allocation on %v, want the lease IP %v on another port", got, h.lease[numA].Addr())
	}
	if _, err := h.allocate(t, "c1", numA); err == nil {
		t.Fatal("third allocation for the same call and number granted")
	}
	st := h.relay.Stats()
	if st.Refusals[ReasonQuota] != 1 || st.Allocations != 2 || st.SecondaryAllocations != 1 {
		t.Errorf("stats %+v, want 1 quota refusal, 2 allocations, 1 secondary", st)
	}
}

// TestCallWaiting: A talks to B in c1 and to C in c2 on its one lease. The
// second call's allocation is on the lease IP with another port, and C's
// relay accepts it as A's.
func TestCallWaiting(t *testing.T) {
	h := newHarness(t, nil)
	h.calls.start("c1", numA, numB)
	h.calls.start("c2", numA, numC)
	if _, err := h.allocate(t, "c1", numA); err != nil {
		t.Fatal(err)
	}
	a2, err := h.allocate(t, "c2", numA)
	if err != nil {
		t.Fatal(err)
	}
	crC := h.relay.Credentials("c2", numC)
	clientC := h.client(t, crC.Username, crC.Password)
	c, err := clientC.Allocate()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	if err := clientC.CreatePermission(net.UDPAddrFromAddrPort(relayed(a2))); err != nil {
		t.Fatalf("C's permission for A's second-call relay address: %v", err)
	}
	if _, err := a2.WriteTo([]byte("A to C"), net.UDPAddrFromAddrPort(h.lease[numC])); err != nil {
		t.Fatal(err)
	}
	if msg, from := readFrom(t, c); msg != "A to C" || from != relayed(a2) {
		t.Fatalf("C got %q from %v, want %q from %v", msg, from, "A to C", relayed(a2))
	}
	if _, err := c.WriteTo([]byte("C to A"), net.UDPAddrFromAddrPort(relayed(a2))); err != nil {
		t.Fatal(err)
	}
	if msg, from := readFrom(t, a2); msg != "C to A" || from != h.lease[numC] {
		t.Fatalf("A got %q from %v, want %q from %v", msg, from, "C to A", h.lease[numC])
	}
}
