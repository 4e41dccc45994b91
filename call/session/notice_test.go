package session_test

import (
	"context"
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/dialtone/dialtone/call"
	"github.com/dialtone/dialtone/call/session"
	"github.com/dialtone/dialtone/call/sigclient"
	"github.com/dialtone/dialtone/call/wire"
	"github.com/dialtone/dialtone/device/synthetic"
	"github.com/dialtone/dialtone/server/servertest"
)

// closedPort is a loopback address nothing listens on.
func closedPort(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// TestUnreachableServer: the phone says why it cannot reach the server and
// when it tries again, and refuses a dial at once with that reason.
func TestUnreachableServer(t *testing.T) {
	p, err := session.New(session.Config{
		Sig: sigclient.Config{URL: "ws://" + closedPort(t) + "/v1", Number: alice, Key: servertest.NewKey(),
			MinBackoff: 200 * time.Millisecond, MaxBackoff: 400 * time.Millisecond},
		Media:  func(session.MediaConfig, session.Signal) (session.Media, error) { return nil, errInjected },
		Logger: testLogger(),
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { errc <- p.Run(ctx) }()
	defer func() { cancel(); <-errc }()
	var ev call.Event
	select {
	case ev = <-p.Events():
	case <-time.After(servertest.Wait):
		t.Fatal("no event")
	}
	if ev.Kind != call.EventRetrying || !strings.Contains(ev.Error, "connection refused") {
		t.Fatalf("first event %+v, want unreachable: connection refused", ev)
	}
	if wait := ev.Retry.Sub(ev.Time); wait <= 0 || wait > time.Second {
		t.Errorf("next attempt %v after the event, want within the backoff", wait)
	}
	go func() {
		for range p.Events() {
		}
	}()
	start := time.Now()
	_, err = p.Dial(context.Background(), bob)
	if !errors.Is(err, session.ErrOffline) || !strings.Contains(err.Error(), "connection refused") {
		t.Fatalf("dial: %v, want ErrOffline with the reason", err)
	}
	if d := time.Since(start); d > 100*time.Millisecond {
		t.Errorf("the dial took %v to be refused", d)
	}
}

// TestHangupWinsOverMediaFailure: the peer's hang-up closes our media a
// moment before the server's ended arrives; the hang-up is the reason.
func TestHangupWinsOverMediaFailure(t *testing.T) {
	srv := servertest.New(t, servertest.Options{})
	long := opts{url: srv.Addrs.URL, prep: func(c *session.Config) { c.FailGrace = servertest.Wait }}
	a := newPhone(t, alice, opts{url: srv.Addrs.URL})
	b := newPhone(t, bob, long)
	id := connect(t, a, b)
	b.fake(0).fail <- errors.New("media: connection closed by the other party")
	if err := a.Hangup(id); err != nil {
		t.Fatal(err)
	}
	if e := b.wait(t, call.EventEnded, id); e.Reason != wire.ReasonHangup || e.Local {
		t.Fatalf("bob: %+v, want the peer's hang-up", e)
	}
	if e := a.wait(t, call.EventEnded, id); e.Reason != wire.ReasonHangup || !e.Local {
		t.Fatalf("alice: %+v, want her own hang-up", e)
	}
}

// TestMediaLostWithServer: media that fails while the server cannot be
// reached ends the call as server-lost, not as a bare media failure.
func TestMediaLostWithServer(t *testing.T) {
	srv := servertest.New(t, servertest.Options{})
	px := servertest.NewProxy(t, srv.Addrs.Signal)
	a := newPhone(t, alice, opts{url: px.URL()})
	b := newPhone(t, bob, opts{url: srv.Addrs.URL})
	id := connect(t, a, b)
	px.Kill()
	a.wait(t, call.EventDisconnected, "")
	if e := a.wait(t, call.EventRetrying, ""); !strings.Contains(e.Error, "refused") {
		t.Errorf("unreachable: %+v", e)
	}
	if len(a.Calls()) != 1 || a.fake(0).isClosed() {
		t.Fatal("the signalling loss ended the call; its media should go on while it lasts")
	}
	a.fake(0).fail <- errInjected
	if e := a.wait(t, call.EventEnded, id); e.Reason != session.ReasonServerLost {
		t.Fatalf("alice: %+v, want %s", e, session.ReasonServerLost)
	}
}

// TestRingAndSetupTimes: set-up is measured from the answer, and the
// ringing before it is reported on its own.
func TestRingAndSetupTimes(t *testing.T) {
	const ring = 300 * time.Millisecond
	srv := servertest.New(t, servertest.Options{})
	a := newPhone(t, alice, opts{url: srv.Addrs.URL})
	b := newPhone(t, bob, opts{url: srv.Addrs.URL})
	id, err := a.Dial(context.Background(), bob)
	if err != nil {
		t.Fatal(err)
	}
	b.wait(t, call.EventIncoming, id)
	time.Sleep(ring) // the callee lets it ring: the scenario, not a wait for an event
	if err := b.Accept(id); err != nil {
		t.Fatal(err)
	}
	for _, ph := range []*phone{a, b} {
		st := ph.wait(t, call.EventStats, id).Stats
		if st.RingMs < float64(ring.Milliseconds()) || st.SetupMs <= 0 || st.SetupMs >= float64(ring.Milliseconds()) {
			t.Errorf("%s: ring %.1f ms, setup %.1f ms; want ring ≥ %v and setup from the answer", ph.number, st.RingMs, st.SetupMs, ring)
		}
	}
}

// TestPeerCamera: each side hears whether the other's camera sends
// pictures: at the answer, and at each change; a phone without a camera
// says off.
func TestPeerCamera(t *testing.T) {
	srv := servertest.New(t, servertest.Options{})
	pat, err := synthetic.NewPattern(synthetic.PatternConfig{Width: 64, Height: 48, FPS: 5})
	if err != nil {
		t.Fatal(err)
	}
	defer pat.Close()
	a := newPhone(t, alice, opts{url: srv.Addrs.URL, prep: func(c *session.Config) { c.Camera = pat }})
	b := newPhone(t, bob, opts{url: srv.Addrs.URL})
	id := connect(t, a, b)
	if e := b.wait(t, call.EventPeerCamera, id); e.Camera != wire.CameraOn || e.Peer != alice {
		t.Fatalf("bob heard %+v, want alice's camera on", e)
	}
	if e := a.wait(t, call.EventPeerCamera, id); e.Camera != wire.CameraOff {
		t.Fatalf("alice heard %+v, want bob's (missing) camera off", e)
	}
	a.SetCamera(false)
	if e := b.wait(t, call.EventPeerCamera, id); e.Camera != wire.CameraOff {
		t.Fatalf("bob heard %+v after alice's camera went off", e)
	}
	a.SetCamera(true)
	if e := b.wait(t, call.EventPeerCamera, id); e.Camera != wire.CameraOn {
		t.Fatalf("bob heard %+v after alice's camera came back", e)
	}
}
