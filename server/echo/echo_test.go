package echo

import (
	"net/netip"
	"testing"
	"time"

	"github.com/dialtone/dialtone/call/wire"
	"github.com/dialtone/dialtone/server/servertest"
)

const (
	alice = "+15550100001"
	bob   = "+15550100002"
	carol = "+15550100003"
)

// TestEchoThroughRelay: a caller's media comes back through the relay, from
// the echo's lease to the caller's; a picture-loss request for the echoed
// video reaches the caller's own sender; hanging up releases both leases
// and closes the echo's side.
func TestEchoThroughRelay(t *testing.T) {
	srv, e := start(t, Config{})
	p := newPhone(t, srv, alice)
	p.dial()
	echoLease, ok := srv.Leases().Lookup(DefaultCode)
	if !ok || p.accepted.RemoteLease != echoLease.Addr.String() {
		t.Fatalf("accepted remote_lease %q, want the echo's lease %v (held: %v)", p.accepted.RemoteLease, echoLease.Addr, ok)
	}
	s := p.addRaw(1)
	p.offer()
	p.waitConnected()
	videoSSRC := p.expectEchoes(s, 1, 10)

	local, remote := p.selectedPair()
	if local.String() != p.accepted.LocalLease || remote != echoLease.Addr {
		t.Errorf("media path %v → %v, want own lease %s → echo's lease %v", local, remote, p.accepted.LocalLease, echoLease.Addr)
	}

	// The echo asks for a key frame when it starts echoing video, and again
	// whenever the caller's decoder of the echo asks.
	own := uint32(s.videoSender.GetParameters().Encodings[0].SSRC)
	for i, what := range []string{"when the echo started", "after the phone asked"} {
		if i == 1 {
			p.askKeyFrame(videoSSRC)
		}
		select {
		case ssrc := <-s.plis:
			if ssrc != own {
				t.Errorf("picture-loss request %s for SSRC %d, want the phone's video %d", what, ssrc, own)
			}
		case <-time.After(wait):
			t.Fatalf("no picture-loss request %s reached the phone's video sender", what)
		}
	}
	if st := e.Stats(); st.Live != 1 || st.Connected != 1 || st.Packets == 0 || st.KeyFrameRequests != 2 {
		t.Errorf("stats in the call %+v", st)
	}

	p.hangup()
	if l, ok := srv.Leases().Lookup(DefaultCode); ok {
		t.Errorf("the echo still holds lease %v after the hang-up", l.Addr)
	}
	if st := srv.Leases().Stats(); st.InUse != 0 {
		t.Errorf("%d leases in use after the hang-up", st.InUse)
	}
	waitLive(t, e, 0)
}

// TestEchoConcurrent: two callers at once each get their own media back,
// both through the echo's one lease; a third beyond MaxCalls is refused.
func TestEchoConcurrent(t *testing.T) {
	srv, e := start(t, Config{MaxCalls: 2})
	phones := []*phone{newPhone(t, srv, alice), newPhone(t, srv, bob)}
	streams := make([]*rawMedia, len(phones))
	for i, p := range phones {
		p.dial()
		streams[i] = p.addRaw(byte(i + 1))
		p.offer()
	}
	echoLease, _ := srv.Leases().Lookup(DefaultCode)
	seen := map[netip.AddrPort]bool{}
	for i, p := range phones {
		p.waitConnected()
		p.expectEchoes(streams[i], byte(i+1), 10)
		if p.accepted.RemoteLease != echoLease.Addr.String() {
			t.Errorf("call %d: remote_lease %s, want the echo's %v", i, p.accepted.RemoteLease, echoLease.Addr)
		}
		_, remote := p.selectedPair()
		if remote.Addr() != echoLease.Addr.Addr() || seen[remote] {
			t.Errorf("call %d: echo relay address %v, want a port of its own on %v", i, remote, echoLease.Addr.Addr())
		}
		seen[remote] = true
	}

	c := servertest.Register(t, srv.Addrs.URL, carol)
	seq := c.Send(&wire.Message{Type: wire.TypeDial, To: DefaultCode})
	r := c.ExpectReply(seq)
	c.Expect(wire.TypeRefused, r.Call)
	if st := e.Stats(); st.Refused != 1 || st.Live != 2 {
		t.Errorf("stats %+v, want 1 refused and 2 live", st)
	}
	for _, p := range phones {
		p.hangup()
	}
	waitLive(t, e, 0)
}

// TestEchoClose: Close ends the calls in progress (their callers are told),
// stops every goroutine the echo started, and later dials find no echo.
func TestEchoClose(t *testing.T) {
	srv, e := start(t, Config{})
	phones := []*phone{newPhone(t, srv, alice), newPhone(t, srv, bob)}
	for i, p := range phones {
		p.dial()
		s := p.addRaw(byte(i + 1))
		p.offer()
		p.waitConnected()
		p.expectEchoes(s, byte(i+1), 3)
	}
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	waitGone(t, "server/echo.(*Echo)", "server/echo.(*call)")
	for _, p := range phones {
		if m := p.expect(wire.TypeEnded); m.Reason != wire.ReasonHangup {
			t.Errorf("ended %q, want %q", m.Reason, wire.ReasonHangup)
		}
	}
	if st := e.Stats(); st.Live != 0 {
		t.Errorf("%d calls live after Close", st.Live)
	}
	if st := srv.Leases().Stats(); st.InUse != 0 {
		t.Errorf("%d leases in use after Close", st.InUse)
	}
	c := servertest.Register(t, srv.Addrs.URL, carol)
	seq := c.Send(&wire.Message{Type: wire.TypeDial, To: DefaultCode})
	if r := c.ExpectReply(seq); r.Type != wire.TypeUnavailable {
		t.Errorf("dialling a closed echo: %s, want unavailable", r.Type)
	}

	// With the phones and the server gone too, pion has nothing left running.
	for _, p := range phones {
		p.close()
	}
	srv.Stop(t)
	waitGone(t, "github.com/pion/", "server/echo.(*")
}

// TestEchoTimeouts: a call whose media never connects, and one that reaches
// MaxDuration, are hung up by the echo.
func TestEchoTimeouts(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  Config
	}{
		{"setup", Config{SetupTimeout: 200 * time.Millisecond}},
		{"max duration", Config{MaxDuration: 200 * time.Millisecond}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv, e := start(t, tc.cfg)
			p := newPhone(t, srv, alice)
			p.dial()
			if m := p.c.Expect(wire.TypeEnded, p.call); m.Reason != wire.ReasonHangup {
				t.Errorf("ended %q, want %q", m.Reason, wire.ReasonHangup)
			}
			waitLive(t, e, 0)
			if st := e.Stats(); st.TimedOut != 1 {
				t.Errorf("stats %+v, want 1 timed out", st)
			}
		})
	}
}
