package relay

import (
	"bytes"
	"fmt"
	"log/slog"
	"net/netip"
	"strings"
	"sync"
	"testing"
)

// syncBuffer is a log sink the relay and the test share.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) take() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := s.b.String()
	s.b.Reset()
	return out
}

func (r *Relay) channelsOn(lease netip.AddrPort) int {
	r.mu.Lock()
	c := r.byBound[lease]
	r.mu.Unlock()
	if c == nil || c.channels.Load() == nil {
		return 0
	}
	return len(*c.channels.Load())
}

// Once pion/turn has bound a channel, ChannelData goes both ways through the
// relay's own read loops (pion/turn, logging at Debug, would log every
// datagram), in order, counted and past the peer checks as before.
func TestChannelDataRelayedByTheRelay(t *testing.T) {
	logs := &syncBuffer{}
	h := newHarness(t, func(c *Config) {
		c.Logger = slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	})
	h.calls.start("c1", numA, numB)
	rc, err := h.allocate(t, "c1", numA)
	if err != nil {
		t.Fatal(err)
	}
	b := peer(t, h.lease[numB])
	// pion's client binds a channel after its first datagram to a peer, and
	// sends by Send indication until the binding is made.
	for i := 0; h.relay.channelsOn(h.lease[numA]) == 0; i++ {
		if i == 200 {
			t.Fatal("no channel bound after 200 datagrams")
		}
		if _, err := rc.WriteTo([]byte("warm up"), udpAddr(h.lease[numB])); err != nil {
			t.Fatal(err)
		}
		if msg, _ := readFrom(t, b); msg != "warm up" {
			t.Fatalf("B got %q", msg)
		}
	}
	// The client sends on the channel once it has the binding's answer;
	// until then pion/turn handles its Send indications.
	for i := 0; ; i++ {
		if i == 200 {
			t.Fatalf("pion/turn still handles the client's datagrams:\n%s", logs.take())
		}
		logs.take()
		if _, err := rc.WriteTo([]byte("sync"), udpAddr(h.lease[numB])); err != nil {
			t.Fatal(err)
		}
		_, _ = readFrom(t, b)
		if !strings.Contains(logs.take(), "scope=pion/turn") {
			break
		}
	}
	before := h.relay.Stats().Leases[h.lease[numA]]

	const n = 20
	for i := range n {
		if _, err := rc.WriteTo(fmt.Appendf(nil, "out %d", i), udpAddr(h.lease[numB])); err != nil {
			t.Fatal(err)
		}
		if _, err := b.WriteToUDPAddrPort(fmt.Appendf(nil, "in %d", i), h.lease[numA]); err != nil {
			t.Fatal(err)
		}
	}
	for i := range n {
		if msg, from := readFrom(t, b); msg != fmt.Sprintf("out %d", i) || from != h.lease[numA] {
			t.Fatalf("B got %q from %v, want %q from A's lease", msg, from, fmt.Sprintf("out %d", i))
		}
		if msg, from := readFrom(t, rc); msg != fmt.Sprintf("in %d", i) || from != h.lease[numB] {
			t.Fatalf("client got %q from %v, want %q from B", msg, from, fmt.Sprintf("in %d", i))
		}
	}
	after := h.relay.Stats().Leases[h.lease[numA]]
	if out, in := after.PacketsOut-before.PacketsOut, after.PacketsIn-before.PacketsIn; out != n || in != n {
		t.Errorf("counted %d out, %d in; want %d each", out, in, n)
	}
	for _, line := range strings.Split(logs.take(), "\n") {
		if strings.Contains(line, "ChannelData") || strings.Contains(line, "Relay socket") || strings.Contains(line, "DataPacket") {
			t.Errorf("pion/turn handled a datagram: %s", line)
		}
	}

	// A stranger is still refused on the lease.
	h.drainRefusals()
	stranger := peer(t, netip.MustParseAddrPort("127.0.0.1:0"))
	if _, err := stranger.WriteToUDPAddrPort([]byte("intruder"), h.lease[numA]); err != nil {
		t.Fatal(err)
	}
	h.waitRefusal(t, ReasonPacketIn)
	nothingQueued(t, rc)
}
