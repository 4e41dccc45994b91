package session_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/dialtone/dialtone/call"
	"github.com/dialtone/dialtone/call/session"
	"github.com/dialtone/dialtone/call/sigclient"
	"github.com/dialtone/dialtone/call/wire"
	"github.com/dialtone/dialtone/server/servertest"
)

// connect has caller dial callee and callee accept; both see connected.
func connect(t *testing.T, caller, callee *phone) call.ID {
	t.Helper()
	id, err := caller.Dial(context.Background(), callee.number)
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	in := callee.wait(t, call.EventIncoming, id)
	if in.Peer != caller.number {
		t.Fatalf("incoming from %q", in.Peer)
	}
	if err := callee.Accept(id); err != nil {
		t.Fatal(err)
	}
	for _, ph := range []*phone{caller, callee} {
		acc := ph.wait(t, call.EventAccepted, id)
		if acc.LocalLease == "" || acc.RemoteLease == "" || acc.Media != wire.MediaRelay {
			t.Fatalf("%s accepted: %+v", ph.number, acc)
		}
		ph.wait(t, call.EventConnected, id)
	}
	return id
}

func TestHangup(t *testing.T) {
	for _, who := range []string{"caller", "callee"} {
		t.Run(who, func(t *testing.T) {
			srv := servertest.New(t, servertest.Options{})
			a := newPhone(t, alice, opts{url: srv.Addrs.URL})
			b := newPhone(t, bob, opts{url: srv.Addrs.URL})
			id := connect(t, a, b)
			st := a.wait(t, call.EventStats, id).Stats
			if st == nil || st.SetupMs <= 0 || st.Leases.Local == "" || st.Video.FramesDecoded != 1 {
				t.Fatalf("stats %+v", st)
			}
			hanger := a
			if who == "callee" {
				hanger = b
			}
			if err := hanger.Hangup(id); err != nil {
				t.Fatal(err)
			}
			for _, ph := range []*phone{a, b} {
				e := ph.wait(t, call.EventEnded, id)
				if e.Reason != wire.ReasonHangup || e.Stats == nil || e.DurationS <= 0 {
					t.Fatalf("%s ended: %+v", ph.number, e)
				}
			}
			expectKinds(t, a, id, "ringing accepted trust connected ended(hangup)")
			expectKinds(t, b, id, "incoming accepted trust connected ended(hangup)")
			if !a.fake(0).waitClosed() || !b.fake(0).waitClosed() {
				t.Fatal("media left open after the call")
			}
			if len(a.Calls())+len(b.Calls()) != 0 || len(srv.Switchboard().Calls()) != 0 {
				t.Fatalf("calls left: %+v %+v", a.Calls(), b.Calls())
			}
			if err := hanger.Hangup(id); !errors.Is(err, session.ErrNoCall) {
				t.Fatalf("second hang-up: %v", err)
			}
		})
	}
}

func TestRefuseCancelNoAnswer(t *testing.T) {
	srv := servertest.New(t, servertest.Options{RingTimeout: 300 * time.Millisecond})
	a := newPhone(t, alice, opts{url: srv.Addrs.URL})
	b := newPhone(t, bob, opts{url: srv.Addrs.URL})
	ring := func() call.ID {
		id, err := a.Dial(context.Background(), bob)
		if err != nil {
			t.Fatal(err)
		}
		b.wait(t, call.EventIncoming, id)
		return id
	}
	t.Run("refuse", func(t *testing.T) {
		id := ring()
		if err := b.Refuse(id); err != nil {
			t.Fatal(err)
		}
		a.wait(t, call.EventEnded, id)
		expectKinds(t, a, id, "ringing refused ended(refused)")
		expectKinds(t, b, id, "incoming refused ended(refused)")
	})
	t.Run("cancel", func(t *testing.T) {
		id := ring()
		if err := a.Hangup(id); err != nil {
			t.Fatal(err)
		}
		b.wait(t, call.EventEnded, id)
		expectKinds(t, a, id, "ringing cancelled(cancelled) ended(cancelled)")
		expectKinds(t, b, id, "incoming cancelled(cancelled) ended(cancelled)")
	})
	t.Run("no answer", func(t *testing.T) {
		id := ring()
		a.wait(t, call.EventEnded, id)
		b.wait(t, call.EventEnded, id)
		expectKinds(t, a, id, "ringing no-answer ended(no-answer)")
		expectKinds(t, b, id, "incoming cancelled(no-answer) ended(cancelled)")
	})
	if st := srv.Leases().Stats(); st.InUse != 0 {
		t.Fatalf("leases in use: %+v", st)
	}
}

func TestUnavailableAndErrors(t *testing.T) {
	srv := servertest.New(t, servertest.Options{})
	a := newPhone(t, alice, opts{url: srv.Addrs.URL})
	id, err := a.Dial(context.Background(), carol)
	if !errors.Is(err, session.ErrUnavailable) || id == "" {
		t.Fatalf("dial unknown: %q %v", id, err)
	}
	if e := a.wait(t, call.EventUnavailable, id); e.Reason != wire.ReasonUnknown || e.Peer != carol {
		t.Fatalf("unavailable %+v", e)
	}
	a.wait(t, call.EventEnded, id)
	expectKinds(t, a, id, "unavailable(unknown) ended(unavailable)")

	_, err = a.Dial(context.Background(), alice)
	var se *sigclient.ServerError
	if !errors.As(err, &se) || se.Code != wire.CodeSelf {
		t.Fatalf("dial self: %v", err)
	}
	if e := a.wait(t, call.EventError, ""); e.Code != string(wire.CodeSelf) {
		t.Fatalf("error event %+v", e)
	}
	if _, err := a.Dial(context.Background(), "+1555"); err == nil {
		t.Fatal("a malformed number was dialled")
	}
}

func TestCallWaitingAndBusy(t *testing.T) {
	srv := servertest.New(t, servertest.Options{})
	a := newPhone(t, alice, opts{url: srv.Addrs.URL})
	b := newPhone(t, bob, opts{url: srv.Addrs.URL})
	c := newPhone(t, carol, opts{url: srv.Addrs.URL})
	d := newPhone(t, dave, opts{url: srv.Addrs.URL})
	first := connect(t, a, b)

	second, err := c.Dial(context.Background(), bob)
	if err != nil {
		t.Fatal(err)
	}
	if e := b.wait(t, call.EventIncoming, second); !e.Waiting || e.Peer != carol {
		t.Fatalf("waiting call: %+v", e)
	}
	busy, err := d.Dial(context.Background(), bob)
	if !errors.Is(err, session.ErrBusy) {
		t.Fatalf("third caller: %v", err)
	}
	d.wait(t, call.EventEnded, busy)
	expectKinds(t, d, busy, "busy ended(busy)")

	// Accepting the waiting call hangs up the first.
	if err := b.Accept(second); err != nil {
		t.Fatal(err)
	}
	if e := a.wait(t, call.EventEnded, first); e.Reason != wire.ReasonHangup {
		t.Fatalf("first call: %+v", e)
	}
	b.wait(t, call.EventConnected, second)
	c.wait(t, call.EventConnected, second)
	expectKinds(t, b, first, "incoming accepted trust connected ended(hangup)")
	expectKinds(t, b, second, "incoming accepted trust connected")
	if calls := b.Calls(); len(calls) != 1 || calls[0].ID != second || calls[0].State != call.StateActive {
		t.Fatalf("bob's calls: %+v", calls)
	}
}

func TestGlare(t *testing.T) {
	srv := servertest.New(t, servertest.Options{})
	a := newPhone(t, alice, opts{url: srv.Addrs.URL})
	b := newPhone(t, bob, opts{url: srv.Addrs.URL})
	id, err := a.Dial(context.Background(), bob)
	if err != nil {
		t.Fatal(err)
	}
	b.wait(t, call.EventIncoming, id)
	// Bob dials alice while her call rings at his end: the server joins them.
	id2, err := b.Dial(context.Background(), alice)
	if err != nil || id2 != id {
		t.Fatalf("crossing dial: %q %v", id2, err)
	}
	a.wait(t, call.EventConnected, id)
	b.wait(t, call.EventConnected, id)
}

func TestMediaFailure(t *testing.T) {
	srv := servertest.New(t, servertest.Options{})
	a := newPhone(t, alice, opts{url: srv.Addrs.URL})
	b := newPhone(t, bob, opts{url: srv.Addrs.URL})
	id := connect(t, a, b)
	a.fake(0).fail <- errInjected
	if e := a.wait(t, call.EventEnded, id); e.Reason != session.ReasonMediaFailed || e.Error == "" {
		t.Fatalf("alice: %+v", e)
	}
	if e := b.wait(t, call.EventEnded, id); e.Reason != wire.ReasonHangup {
		t.Fatalf("bob: %+v", e)
	}
}

func TestMediaFactoryError(t *testing.T) {
	srv := servertest.New(t, servertest.Options{})
	bad := func(session.MediaConfig, session.Signal) (session.Media, error) { return nil, errInjected }
	a := newPhone(t, alice, opts{url: srv.Addrs.URL, factory: bad})
	b := newPhone(t, bob, opts{url: srv.Addrs.URL})
	id, err := a.Dial(context.Background(), bob)
	if err != nil {
		t.Fatal(err)
	}
	b.wait(t, call.EventIncoming, id)
	b.Accept(id)
	if e := a.wait(t, call.EventEnded, id); e.Reason != session.ReasonMediaFailed {
		t.Fatalf("alice: %+v", e)
	}
	b.wait(t, call.EventEnded, id)
}

func TestSignallingDropMidCall(t *testing.T) {
	srv := servertest.New(t, servertest.Options{Grace: 10 * time.Second})
	px := servertest.NewProxy(t, srv.Addrs.Signal)
	a := newPhone(t, alice, opts{url: px.URL()})
	b := newPhone(t, bob, opts{url: srv.Addrs.URL})
	id := connect(t, a, b)

	px.Drop()
	a.wait(t, call.EventDisconnected, "")
	a.wait(t, call.EventRegistered, "")
	// The call lives on: its media was never closed, and it still hangs up
	// normally through the resumed session.
	if a.fake(0).isClosed() || len(a.Calls()) != 1 {
		t.Fatalf("the drop ended the call: %s", a.kinds(id))
	}
	if err := b.Hangup(id); err != nil {
		t.Fatal(err)
	}
	if e := a.wait(t, call.EventEnded, id); e.Reason != wire.ReasonHangup {
		t.Fatalf("alice: %+v", e)
	}
	expectKinds(t, a, id, "ringing accepted trust connected ended(hangup)")
	if st := srv.Switchboard().Stats(); st.Resumes != 1 || st.PeerLost != 0 {
		t.Fatalf("server stats %+v", st)
	}
}

func TestLostSession(t *testing.T) {
	// A drop longer than the grace period: the server ends the call, and
	// the phone, coming back to a new session, ends it too.
	srv := servertest.New(t, servertest.Options{Grace: 50 * time.Millisecond})
	px := servertest.NewProxy(t, srv.Addrs.Signal)
	a := newPhone(t, alice, opts{url: px.URL(), prep: func(c *session.Config) {
		c.Sig.MinBackoff, c.Sig.MaxBackoff = 300*time.Millisecond, 300*time.Millisecond
	}})
	b := newPhone(t, bob, opts{url: srv.Addrs.URL})
	id := connect(t, a, b)
	px.Drop()
	if e := b.wait(t, call.EventEnded, id); e.Reason != wire.ReasonPeerLost {
		t.Fatalf("bob: %+v", e)
	}
	if e := a.wait(t, call.EventEnded, id); e.Reason != session.ReasonSignallingLost {
		t.Fatalf("alice: %+v", e)
	}
}

func TestStopHangsUp(t *testing.T) {
	srv := servertest.New(t, servertest.Options{})
	a := newPhone(t, alice, opts{url: srv.Addrs.URL})
	b := newPhone(t, bob, opts{url: srv.Addrs.URL})
	id := connect(t, a, b)
	a.stop(t)
	if e := a.wait(t, call.EventEnded, id); e.Reason != wire.ReasonHangup {
		t.Fatalf("alice: %+v", e)
	}
	if e := b.wait(t, call.EventEnded, id); e.Reason != wire.ReasonHangup {
		t.Fatalf("bob: %+v", e)
	}
	if _, err := a.Dial(context.Background(), bob); !errors.Is(err, session.ErrStopped) {
		t.Fatalf("dial after stop: %v", err)
	}
}

func TestRejectedRegistration(t *testing.T) {
	srv := servertest.New(t, servertest.Options{})
	servertest.Register(t, srv.Addrs.URL, alice)
	p, err := session.New(session.Config{Logger: testLogger(), Sig: sigclient.Config{URL: srv.Addrs.URL, Number: alice, Key: servertest.NewKey()},
		Media: func(session.MediaConfig, session.Signal) (session.Media, error) { return nil, errInjected }})
	if err != nil {
		t.Fatal(err)
	}
	var events []call.Event
	done := make(chan struct{})
	go func() {
		for e := range p.Events() {
			events = append(events, e)
		}
		close(done)
	}()
	err = p.Run(context.Background())
	<-done
	if !errors.Is(err, sigclient.ErrRejected) {
		t.Fatalf("Run: %v", err)
	}
	if n := len(events); n == 0 || events[n-1].Kind != call.EventError || events[n-1].Code != string(wire.CodeAuthFailed) {
		t.Fatalf("events: %+v", events)
	}
}

// TestMissedCalls: a call to an offline number reaches its owner once, at
// the next registration, and not again after that.
func TestMissedCalls(t *testing.T) {
	srv := servertest.New(t, servertest.Options{})
	key := servertest.NewKey()
	withKey := opts{url: srv.Addrs.URL, prep: func(c *session.Config) { c.Sig.Key = key }}
	b := newPhone(t, bob, withKey)
	b.stop(t)
	a := newPhone(t, alice, opts{url: srv.Addrs.URL})
	if _, err := a.Dial(context.Background(), bob); !errors.Is(err, session.ErrUnavailable) {
		t.Fatalf("dialling an offline number: %v", err)
	}
	b2 := newPhone(t, bob, withKey)
	// The call ID comes along, so a phone that saw the call ring counts it once.
	if e := b2.wait(t, call.EventMissed, ""); len(e.Missed) != 1 || e.Missed[0].From != alice || e.Missed[0].Call == "" {
		t.Fatalf("missed event %+v", e)
	}
	b2.stop(t)
	b3 := newPhone(t, bob, withKey)
	// The next event bob hears is a live call, not the old missed one.
	id, err := a.Dial(context.Background(), bob)
	if err != nil {
		t.Fatal(err)
	}
	b3.wait(t, call.EventIncoming, id)
	if k := b3.kinds(""); strings.Contains(k, "missed") {
		t.Fatalf("the acknowledged missed call came back: %s", k)
	}
}

// TestMediaTimeout: an accepted call whose media never connects ends as a
// media failure on both sides instead of hanging.
func TestMediaTimeout(t *testing.T) {
	srv := servertest.New(t, servertest.Options{})
	short := func(c *session.Config) { c.MediaTimeout = 200 * time.Millisecond }
	// Alice's media never sends its offer, so neither side can connect.
	silent := func(cfg session.MediaConfig, sig session.Signal) (session.Media, error) {
		cfg.Offerer = false
		return &fakeMedia{cfg: cfg, sig: sig, conn: make(chan struct{}), fail: make(chan error, 1), closed: make(chan struct{})}, nil
	}
	a := newPhone(t, alice, opts{url: srv.Addrs.URL, factory: silent, prep: short})
	b := newPhone(t, bob, opts{url: srv.Addrs.URL}) // the default timeout: alice gives up first
	id, err := a.Dial(context.Background(), bob)
	if err != nil {
		t.Fatal(err)
	}
	b.wait(t, call.EventIncoming, id)
	if err := b.Accept(id); err != nil {
		t.Fatal(err)
	}
	a.wait(t, call.EventAccepted, id)
	if e := a.wait(t, call.EventEnded, id); e.Reason != session.ReasonMediaFailed || !strings.Contains(e.Error, "did not connect") {
		t.Fatalf("alice: %+v", e)
	}
	if e := b.wait(t, call.EventEnded, id); e.Reason != wire.ReasonHangup {
		t.Fatalf("bob: %+v", e)
	}
	if k := a.kinds(id); strings.Contains(k, "connected") {
		t.Fatalf("alice's events: %s", k)
	}
}
