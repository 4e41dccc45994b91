package relay

import (
	"net"
	"net/netip"
	"testing"
	"time"
)

// waitHeld waits until the relay has held n datagrams in all.
func (h *harness) waitHeld(t *testing.T, n uint64) {
	t.Helper()
	tick := time.NewTicker(time.Millisecond)
	defer tick.Stop()
	timeout := time.After(5 * time.Second)
	for h.relay.Stats().Held < n {
		select {
		case <-tick.C:
		case <-timeout:
			t.Fatalf("held %d datagrams, want %d", h.relay.Stats().Held, n)
		}
	}
}

// ICE's first check from the peer's relay can come before this client has
// created its permission for the peer: it is delivered once the permission
// exists, instead of being dropped. Only the call's peer is held: a stranger
// and a neighbour on the peer's IP are refused before and after.
func TestPeerDatagramBeforePermissionIsDelivered(t *testing.T) {
	h := newHarness(t, nil)
	h.calls.start("c1", numA, numB)
	rc, err := h.allocate(t, "c1", numA)
	if err != nil {
		t.Fatal(err)
	}
	b := peer(t, h.lease[numB])
	neighbour := peer(t, netip.AddrPortFrom(h.lease[numB].Addr(), h.lease[numB].Port()+1))
	stranger := peer(t, netip.MustParseAddrPort("127.0.0.1:0"))

	if _, err := b.WriteToUDPAddrPort([]byte("first check"), h.lease[numA]); err != nil {
		t.Fatal(err)
	}
	h.waitHeld(t, 1)
	for _, s := range []*net.UDPConn{stranger, neighbour} {
		h.drainRefusals()
		if _, err := s.WriteToUDPAddrPort([]byte("intruder"), h.lease[numA]); err != nil {
			t.Fatal(err)
		}
		h.waitRefusal(t, ReasonPacketIn)
	}

	if _, err := rc.WriteTo([]byte("open"), udpAddr(h.lease[numB])); err != nil { // creates the permission
		t.Fatal(err)
	}
	if msg, from := readFrom(t, rc); msg != "first check" || from != h.lease[numB] {
		t.Fatalf("client got %q from %v, want B's first check", msg, from)
	}
	if msg, _ := readFrom(t, b); msg != "open" {
		t.Fatalf("B got %q", msg)
	}

	// With the permission in place: the neighbour, whose IP it covers, is
	// still refused, and B's datagrams go straight through, in order.
	h.drainRefusals()
	if _, err := neighbour.WriteToUDPAddrPort([]byte("intruder"), h.lease[numA]); err != nil {
		t.Fatal(err)
	}
	h.waitRefusal(t, ReasonPacketIn)
	for _, m := range []string{"second", "third"} {
		if _, err := b.WriteToUDPAddrPort([]byte(m), h.lease[numA]); err != nil {
			t.Fatal(err)
		}
	}
	for _, want := range []string{"second", "third"} {
		if msg, from := readFrom(t, rc); msg != want || from != h.lease[numB] {
			t.Fatalf("client got %q from %v, want %q from B", msg, from, want)
		}
	}
	if st := h.relay.Stats(); st.Held != 1 || st.HeldDropped != 0 {
		t.Fatalf("held %d, dropped %d; want 1, 0", st.Held, st.HeldDropped)
	}
}

// A peer that floods before the permission gets only holdMax datagrams held.
func TestHoldIsBounded(t *testing.T) {
	h := newHarness(t, nil)
	h.calls.start("c1", numA, numB)
	rc, err := h.allocate(t, "c1", numA)
	if err != nil {
		t.Fatal(err)
	}
	b := peer(t, h.lease[numB])
	for i := range holdMax + 3 {
		if _, err := b.WriteToUDPAddrPort([]byte{byte(i)}, h.lease[numA]); err != nil {
			t.Fatal(err)
		}
	}
	tick := time.NewTicker(time.Millisecond)
	defer tick.Stop()
	timeout := time.After(5 * time.Second)
	for st := h.relay.Stats(); st.Held+st.HeldDropped < holdMax+3; st = h.relay.Stats() {
		select {
		case <-tick.C:
		case <-timeout:
			t.Fatalf("stats %+v", st)
		}
	}
	if st := h.relay.Stats(); st.Held != holdMax || st.HeldDropped != 3 {
		t.Fatalf("held %d, dropped %d; want %d, 3", st.Held, st.HeldDropped, holdMax)
	}
	if _, err := rc.WriteTo([]byte("open"), udpAddr(h.lease[numB])); err != nil {
		t.Fatal(err)
	}
	for i := range holdMax {
		if msg, _ := readFrom(t, rc); msg != string([]byte{byte(i)}) {
			t.Fatalf("datagram %d: got %q", i, msg)
		}
	}
}
