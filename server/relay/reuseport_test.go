package relay

import (
	"net/netip"
	"runtime"
	"testing"
)

// The listener is spread over SO_REUSEPORT sockets, one read loop each: the
// kernel spreads the clients over them, and every client keeps to its
// socket (its allocation, which lives with the socket it was made on,
// keeps working).
func TestListenerSpreadOverSockets(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("SO_REUSEPORT groups are Linux's")
	}
	const sockets, clients = 4, 16
	h := newHarness(t, func(c *Config) {
		c.ListenerSockets = sockets
		c.MaxAllocations = clients
	})
	if got := len(h.relay.listeners); got != sockets {
		t.Fatalf("%d listener sockets, want %d", got, sockets)
	}
	h.calls.start("c1", numA, numB)
	b := peer(t, h.lease[numB])
	relayed := map[netip.AddrPort]bool{}
	for i := range clients {
		rc, err := h.allocate(t, "c1", numA)
		if err != nil {
			t.Fatalf("client %d: %v", i, err)
		}
		// Twice: the permission, then a datagram on it.
		for range 2 {
			if _, err := rc.WriteTo([]byte("hello"), udpAddr(h.lease[numB])); err != nil {
				t.Fatal(err)
			}
			if msg, from := readFrom(t, b); msg != "hello" {
				t.Fatalf("B got %q from %v", msg, from)
			} else {
				relayed[from] = true
			}
		}
	}
	if len(relayed) != clients {
		t.Fatalf("datagrams came from %d relay addresses, want %d", len(relayed), clients)
	}
	used := 0
	for _, l := range h.relay.listeners {
		if l.in.datagrams.Load() > 0 {
			used++
		}
	}
	if used < 2 {
		t.Fatalf("%d of %d sockets read anything", used, sockets)
	}
}
