package relay

import (
	"fmt"
	"net/netip"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pion/webrtc/v4"
)

// party is one phone: a PeerConnection that may only use the relay.
type party struct {
	pc        *webrtc.PeerConnection
	connected chan struct{}
	got       chan string
}

// newParty builds a relay-only PeerConnection with number's credentials for
// callID, set up as the call engine must: relay candidates accepted at once
// (relayWait 0). A negative relayWait keeps pion's default (2 s).
func newParty(t testing.TB, h *harness, callID, number string, relayWait time.Duration) *party {
	t.Helper()
	var se webrtc.SettingEngine
	if relayWait >= 0 {
		se.SetRelayAcceptanceMinWait(relayWait)
	}
	api := webrtc.NewAPI(webrtc.WithSettingEngine(se))
	cr := h.relay.Credentials(callID, number)
	pc, err := api.NewPeerConnection(webrtc.Configuration{
		ICEServers:         []webrtc.ICEServer{{URLs: cr.URLs, Username: cr.Username, Credential: cr.Password}},
		ICETransportPolicy: webrtc.ICETransportPolicyRelay,
	})
	if err != nil {
		t.Fatal(err)
	}
	p := &party{pc: pc, connected: make(chan struct{}), got: make(chan string, 4)}
	var once atomic.Bool
	pc.OnICEConnectionStateChange(func(s webrtc.ICEConnectionState) {
		if s == webrtc.ICEConnectionStateConnected && once.CompareAndSwap(false, true) {
			close(p.connected)
		}
	})
	t.Cleanup(func() { _ = pc.Close() })
	return p
}

// dial runs offer and answer between a and b, trickling candidates, and
// returns a's data channel.
func dial(t testing.TB, a, b *party) *webrtc.DataChannel {
	t.Helper()
	a.pc.OnICECandidate(func(c *webrtc.ICECandidate) {
		if c != nil {
			_ = b.pc.AddICECandidate(c.ToJSON())
		}
	})
	b.pc.OnICECandidate(func(c *webrtc.ICECandidate) {
		if c != nil {
			_ = a.pc.AddICECandidate(c.ToJSON())
		}
	})
	b.pc.OnDataChannel(func(dc *webrtc.DataChannel) {
		dc.OnMessage(func(m webrtc.DataChannelMessage) {
			b.got <- string(m.Data)
			_ = dc.SendText("pong " + string(m.Data))
		})
	})
	dc, err := a.pc.CreateDataChannel("test", nil)
	if err != nil {
		t.Fatal(err)
	}
	dc.OnMessage(func(m webrtc.DataChannelMessage) { a.got <- string(m.Data) })
	// Each side has the other's description before it gathers, so that
	// trickled candidates have somewhere to land.
	offer, err := a.pc.CreateOffer(nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := b.pc.SetRemoteDescription(offer); err != nil {
		t.Fatal(err)
	}
	if err := a.pc.SetLocalDescription(offer); err != nil {
		t.Fatal(err)
	}
	answer, err := b.pc.CreateAnswer(nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := a.pc.SetRemoteDescription(answer); err != nil {
		t.Fatal(err)
	}
	if err := b.pc.SetLocalDescription(answer); err != nil {
		t.Fatal(err)
	}
	return dc
}

func waitFor(t testing.TB, what string, c <-chan struct{}) {
	t.Helper()
	select {
	case <-c:
	case <-time.After(10 * time.Second):
		t.Fatalf("timed out waiting for %s", what)
	}
}

func recv(t testing.TB, c <-chan string) string {
	t.Helper()
	select {
	case m := <-c:
		return m
	case <-time.After(10 * time.Second):
		t.Fatal("timed out waiting for a data channel message")
		return ""
	}
}

func selectedPair(t testing.TB, p *party) (local, remote netip.AddrPort) {
	t.Helper()
	pair, err := p.pc.SCTP().Transport().ICETransport().GetSelectedCandidatePair()
	if err != nil || pair == nil {
		t.Fatalf("no selected candidate pair: %v", err)
	}
	ap := func(c *webrtc.ICECandidate) netip.AddrPort {
		return netip.AddrPortFrom(netip.MustParseAddr(c.Address).Unmap(), c.Port)
	}
	if pair.Local.Typ != webrtc.ICECandidateTypeRelay || pair.Remote.Typ != webrtc.ICECandidateTypeRelay {
		t.Fatalf("selected pair %s, want relay to relay", pair)
	}
	return ap(pair.Local), ap(pair.Remote)
}

// TestWebRTCThroughRelay: two relay-only peers carry a data channel both
// ways; each sends from its own lease to the other's.
func TestWebRTCThroughRelay(t *testing.T) {
	h := newHarness(t, nil)
	h.calls.start("c1", numA, numB)
	a := newParty(t, h, "c1", numA, 0)
	b := newParty(t, h, "c1", numB, 0)
	start := time.Now()
	dc := dial(t, a, b)
	opened := make(chan struct{})
	dc.OnOpen(func() { close(opened) })
	waitFor(t, "A connected", a.connected)
	waitFor(t, "B connected", b.connected)
	connected := time.Since(start)
	waitFor(t, "data channel open", opened)
	t.Logf("ICE connected through the relay in %v, data channel open in %v", connected, time.Since(start))

	if err := dc.SendText("ping"); err != nil {
		t.Fatal(err)
	}
	if m := recv(t, b.got); m != "ping" {
		t.Fatalf("B got %q", m)
	}
	if m := recv(t, a.got); m != "pong ping" {
		t.Fatalf("A got %q", m)
	}

	for _, side := range []struct {
		p           *party
		own, remote string
	}{{a, numA, numB}, {b, numB, numA}} {
		local, remote := selectedPair(t, side.p)
		if local != h.lease[side.own] || remote != h.lease[side.remote] {
			t.Errorf("%s's pair %v → %v, want its lease %v → %v", side.own, local, remote, h.lease[side.own], h.lease[side.remote])
		}
		if st := h.relay.Stats().Leases[h.lease[side.own]]; st.PacketsOut == 0 || st.PacketsIn == 0 {
			t.Errorf("%s's lease relayed %+v, want traffic both ways", side.own, st)
		}
	}
	if st := h.relay.Stats(); st.Allocations != 2 {
		t.Errorf("%d allocations, want 2 (one per party)", st.Allocations)
	}
}

// BenchmarkCallSetupRelay measures ICE set-up between two relay-only peers
// through the relay on loopback, from offer to both sides connected, with
// the relay acceptance wait the call engine must set (0) and with pion's
// default (2 s), which is what it costs not to.
func BenchmarkCallSetupRelay(b *testing.B) {
	for _, bc := range []struct {
		name string
		wait time.Duration
	}{{"relay-wait=0", 0}, {"relay-wait=pion-default", -1}} {
		b.Run(bc.name, func(b *testing.B) {
			h := newHarness(b, nil)
			var total time.Duration
			for i := range b.N {
				callID := fmt.Sprintf("c%d", i)
				h.calls.start(callID, numA, numB)
				a := newParty(b, h, callID, numA, bc.wait)
				p := newParty(b, h, callID, numB, bc.wait)
				start := time.Now()
				dial(b, a, p)
				waitFor(b, "A connected", a.connected)
				waitFor(b, "B connected", p.connected)
				total += time.Since(start)
				_ = a.pc.Close()
				_ = p.pc.Close()
				h.calls.end(callID)
				h.relay.EndCall(callID)
			}
			b.ReportMetric(float64(total.Microseconds())/1000/float64(b.N), "ms/connect")
		})
	}
}
