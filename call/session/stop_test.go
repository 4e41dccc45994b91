package session_test

import (
	"context"
	"testing"
	"time"

	"github.com/dialtone/dialtone/call"
	"github.com/dialtone/dialtone/call/session"
	"github.com/dialtone/dialtone/call/sigclient"
	"github.com/dialtone/dialtone/server/servertest"
)

// TestStopWithGoneConsumer: a consumer that stops reading events (the TUI
// after q) must not hold the phone up. Bob's consumer reads up to the
// incoming call and then goes; Run must still return within a second of
// ctx ending, and Events be closed. Before the fix the event pump blocked
// for ever sending the ended call's events.
func TestStopWithGoneConsumer(t *testing.T) {
	srv := servertest.New(t, servertest.Options{})
	a := newPhone(t, alice, opts{url: srv.Addrs.URL})
	p, err := session.New(session.Config{
		Sig:    sigclient.Config{URL: srv.Addrs.URL, Number: bob, Key: servertest.NewKey()},
		Media:  func(session.MediaConfig, session.Signal) (session.Media, error) { return nil, errInjected },
		Logger: testLogger(),
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	errc := make(chan error, 1)
	go func() { errc <- p.Run(ctx) }()
	gone, registered := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(gone)
		for e := range p.Events() {
			if e.Kind == call.EventRegistered {
				close(registered)
			}
			if e.Kind == call.EventIncoming {
				return // the consumer goes, as the TUI does on q
			}
		}
	}()
	<-registered
	id, err := a.Dial(ctx, bob)
	if err != nil {
		t.Fatal(err)
	}
	<-gone
	// Events the consumer will never read: stats ticks, and the call's end.
	a.wait(t, call.EventRinging, id)
	start := time.Now()
	cancel()
	select {
	case err := <-errc:
		if err != nil {
			t.Fatalf("Run: %v", err)
		}
	case <-time.After(servertest.Wait):
		t.Fatal("Run did not return: it waits on a consumer that has gone")
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("Run took %v to return, want under a second", d)
	}
	for range p.Events() { // closed, so this ends
	}
	// Bob went away; he did not refuse: the call ends unanswered for alice.
	if e := a.wait(t, call.EventEnded, id); e.Reason != session.ReasonNoAnswer {
		t.Errorf("alice: %+v, want the call ended unanswered", e)
	}
}

// stuckMedia is a fakeMedia whose Close does not return until released: a
// media session stuck closing (on the network, say).
type stuckMedia struct {
	*fakeMedia
	release <-chan struct{}
}

func (m *stuckMedia) Close() error {
	<-m.release
	return m.fakeMedia.Close()
}

// TestStopWithStuckMedia: a call's media whose close never finishes must
// not keep the phone from quitting. Run hangs the call up, waits for the
// media at most CloseWait, and returns. Before the fix Run waited for the
// media for ever.
func TestStopWithStuckMedia(t *testing.T) {
	srv := servertest.New(t, servertest.Options{})
	release := make(chan struct{})
	t.Cleanup(func() { close(release) }) // after the test: let the media end
	p, err := session.New(session.Config{
		Sig: sigclient.Config{URL: srv.Addrs.URL, Number: alice, Key: servertest.NewKey()},
		Media: func(cfg session.MediaConfig, sig session.Signal) (session.Media, error) {
			f := &fakeMedia{cfg: cfg, sig: sig, conn: make(chan struct{}), fail: make(chan error, 1), closed: make(chan struct{})}
			return &stuckMedia{fakeMedia: f, release: release}, nil
		},
		CloseWait: 200 * time.Millisecond,
		Logger:    testLogger(),
	})
	if err != nil {
		t.Fatal(err)
	}
	b := newPhone(t, bob, opts{url: srv.Addrs.URL, autoAnswer: true})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	errc := make(chan error, 1)
	go func() { errc <- p.Run(ctx) }()
	registered, connected := make(chan struct{}, 1), make(chan struct{}, 1)
	go func() {
		for e := range p.Events() {
			switch e.Kind {
			case call.EventRegistered:
				registered <- struct{}{}
			case call.EventConnected:
				connected <- struct{}{}
			}
		}
	}()
	select {
	case <-registered:
	case <-time.After(servertest.Wait):
		t.Fatal("alice did not register")
	}
	id, err := p.Dial(ctx, bob)
	if err != nil {
		t.Fatal(err)
	}
	select {
	case <-connected:
	case <-time.After(servertest.Wait):
		t.Fatal("the call did not connect")
	}
	cancel()
	select {
	case err := <-errc:
		if err != nil {
			t.Fatalf("Run: %v", err)
		}
	case <-time.After(servertest.Wait):
		t.Fatal("Run did not return: it waits for media that does not close")
	}
	// The hang-up went out: bob's side of the call ended.
	b.wait(t, call.EventEnded, id)
}
