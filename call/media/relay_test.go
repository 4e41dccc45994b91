package media

import (
	"context"
	"net"
	"net/netip"
	"sync"
	"testing"

	"github.com/dialtone/dialtone/call/wire"
	"github.com/dialtone/dialtone/server/relay"
)

// relayCalls is the server's side of relay.Calls for one call between two
// numbers.
type relayCalls struct {
	mu     sync.Mutex
	leases map[string]netip.AddrPort
	callID string
}

func (c *relayCalls) Lease(n string) (netip.AddrPort, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	l, ok := c.leases[n]
	return l, ok
}

func (c *relayCalls) Peers(n string) []netip.AddrPort {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []netip.AddrPort
	for num, l := range c.leases {
		if num != n {
			out = append(out, l)
		}
	}
	return out
}

func (c *relayCalls) Live(callID, n string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	_, ok := c.leases[n]
	return callID == c.callID && ok
}

// startRelay runs a real TURN relay on loopback with leases for numbers.
func startRelay(t testing.TB, callID string, numbers ...string) *relay.Relay {
	t.Helper()
	calls := &relayCalls{leases: map[string]netip.AddrPort{}, callID: callID}
	for i, n := range numbers {
		ip := netip.AddrFrom4([4]byte{127, 77, 9, byte(i + 1)})
		pc, err := net.ListenPacket("udp4", ip.String()+":0")
		if err != nil {
			t.Skipf("no loopback address %v: %v", ip, err)
		}
		calls.leases[n] = pc.LocalAddr().(*net.UDPAddr).AddrPort()
		_ = pc.Close()
	}
	r, err := relay.New(relay.Config{Calls: calls})
	if err != nil {
		t.Fatal(err)
	}
	pc, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.Serve(ctx, pc) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("relay: %v", err)
		}
	})
	select {
	case <-r.Ready():
	case err := <-done:
		t.Fatalf("relay: %v", err)
	}
	return r
}

func relayFor(r *relay.Relay, callID, number string) *wire.Relay {
	c := r.Credentials(callID, number)
	return &wire.Relay{URLs: c.URLs, Username: c.Username, Credential: c.Password, Expires: c.Expires}
}

// TestCallThroughRelay: relay-only sessions carry media both ways through
// server/relay; both ends of the selected pair are relay candidates.
func TestCallThroughRelay(t *testing.T) {
	const callID, numA, numB = "c1", "+15550001", "+15550002"
	r := startRelay(t, callID, numA, numB)
	a := newPeer(t, "a", peerOpts{camera: true, toneHz: 440, mutate: func(c *Config) {
		c.Relay, c.RelayOnly = relayFor(r, callID, numA), true
	}})
	b := newPeer(t, "b", peerOpts{camera: true, toneHz: 660, mutate: func(c *Config) {
		c.Relay, c.RelayOnly = relayFor(r, callID, numB), true
	}})
	setup := dial(t, a, b)
	t.Logf("setup through the relay (New → both Connected): %v", setup)
	waitVideo(t, a, 30)
	waitVideo(t, b, 30)
	waitAudio(t, a, 50)
	waitAudio(t, b, 50)
	for _, p := range []*peer{a, b} {
		st := p.s.Stats()
		t.Logf("%s: path %+v; pattern %+v; tone %.0f Hz", p.name, st.Path, *st.Video.Pattern, st.Audio.ToneHz)
		if st.Path.Local != "relay" || st.Path.Remote != "relay" {
			t.Errorf("%s: path %+v, want relay to relay", p.name, st.Path)
		}
	}
}
