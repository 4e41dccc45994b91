package session_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/dialtone/dialtone/call"
	"github.com/dialtone/dialtone/call/session"
	"github.com/dialtone/dialtone/call/sigclient"
	"github.com/dialtone/dialtone/call/wire"
	"github.com/dialtone/dialtone/device"
	"github.com/dialtone/dialtone/server/servertest"
)

const (
	alice = "+15550100001"
	bob   = "+15550100002"
	carol = "+15550100003"
	dave  = "+15550100004"
)

// fakeMedia negotiates with a one-line offer and answer, connects once both
// sides have them, and then "decodes" one picture.
type fakeMedia struct {
	cfg     session.MediaConfig
	sig     session.Signal
	conn    chan struct{}
	fail    chan error
	mu      sync.Mutex
	closed  chan struct{}
	gotICE  int
	connect sync.Once
}

func (f *fakeMedia) Start(context.Context) error {
	if f.cfg.Offerer {
		if err := f.sig.SendSDP(wire.SDPOffer, "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=fake offer\r\nt=0 0\r\na=fingerprint:sha-256 AA:BB\r\n"); err != nil {
			return err
		}
	}
	return f.sig.SendICE(wire.Candidate{Candidate: "candidate:1 1 udp 1 127.0.0.1 9 typ relay"})
}

func (f *fakeMedia) HandleSDP(t, sdp string) error {
	switch {
	case t == wire.SDPOffer && !f.cfg.Offerer:
		if err := f.sig.SendSDP(wire.SDPAnswer, "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=fake answer\r\nt=0 0\r\na=fingerprint:sha-256 CC:DD\r\n"); err != nil {
			return err
		}
	case t == wire.SDPAnswer && f.cfg.Offerer:
	default:
		return fmt.Errorf("unexpected %s", t)
	}
	f.connect.Do(func() {
		f.cfg.RemoteVideo.WriteFrame(device.NewFrame(64, 32))
		close(f.conn)
	})
	return nil
}

func (f *fakeMedia) HandleICE(wire.Candidate) error {
	f.mu.Lock()
	f.gotICE++
	f.mu.Unlock()
	return nil
}
func (f *fakeMedia) Connected() <-chan struct{} { return f.conn }
func (f *fakeMedia) Failed() <-chan error       { return f.fail }
func (f *fakeMedia) Stats() call.Stats {
	return call.Stats{Video: call.VideoStats{FramesDecoded: 1, Width: 64, Height: 32}}
}
func (f *fakeMedia) SetMuted(bool)  {}
func (f *fakeMedia) SetCamera(bool) {}
func (f *fakeMedia) Close() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	select {
	case <-f.closed:
	default:
		close(f.closed)
	}
	return nil
}

func (f *fakeMedia) isClosed() bool {
	select {
	case <-f.closed:
		return true
	default:
		return false
	}
}

// waitClosed reports whether the media was closed within servertest.Wait.
func (f *fakeMedia) waitClosed() bool {
	select {
	case <-f.closed:
		return true
	case <-time.After(servertest.Wait):
		return false
	}
}

// phone is a running Phone and what it emitted.
type phone struct {
	*session.Phone
	number string
	mu     sync.Mutex
	events []call.Event
	used   map[int]bool
	notify chan struct{}
	media  []*fakeMedia
	errc   chan error
	cancel context.CancelFunc
}

type opts struct {
	url        string
	autoAnswer bool
	factory    session.MediaFactory
	prep       func(*session.Config)
}

func newPhone(t testing.TB, number string, o opts) *phone {
	t.Helper()
	ph := &phone{number: number, used: map[int]bool{}, notify: make(chan struct{}, 1), errc: make(chan error, 1)}
	factory := o.factory
	if factory == nil {
		factory = func(cfg session.MediaConfig, sig session.Signal) (session.Media, error) {
			f := &fakeMedia{cfg: cfg, sig: sig, conn: make(chan struct{}), fail: make(chan error, 1), closed: make(chan struct{})}
			ph.mu.Lock()
			ph.media = append(ph.media, f)
			ph.mu.Unlock()
			return f, nil
		}
	}
	cfg := session.Config{
		Sig:           sigclient.Config{URL: o.url, Number: number, Key: servertest.NewKey(), MinBackoff: 10 * time.Millisecond, MaxBackoff: 100 * time.Millisecond},
		Media:         factory,
		StatsInterval: 50 * time.Millisecond,
		FailGrace:     200 * time.Millisecond,
		Logger:        testLogger(),
	}
	if o.prep != nil {
		o.prep(&cfg)
	}
	p, err := session.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ph.Phone = p
	ctx, cancel := context.WithCancel(context.Background())
	ph.cancel = cancel
	go func() { ph.errc <- p.Run(ctx) }()
	go func() {
		for e := range p.Events() {
			if o.autoAnswer && e.Kind == call.EventIncoming {
				go p.Accept(e.Call)
			}
			ph.mu.Lock()
			ph.events = append(ph.events, e)
			ph.mu.Unlock()
			select {
			case ph.notify <- struct{}{}:
			default:
			}
		}
	}()
	t.Cleanup(func() { ph.stop(t) })
	ph.wait(t, call.EventRegistered, "")
	return ph
}

func (ph *phone) stop(t testing.TB) {
	ph.cancel()
	select {
	case err := <-ph.errc:
		if err != nil {
			t.Errorf("%s: Run: %v", ph.number, err)
		}
		ph.errc <- err
	case <-time.After(servertest.Wait):
		// What Run waits on is in the goroutines' stacks.
		buf := make([]byte, 4<<20)
		buf = buf[:runtime.Stack(buf, true)]
		t.Errorf("%s: Run did not return within %v; goroutines:\n%s", ph.number, servertest.Wait, buf)
	}
}

// wait returns the first event of kind (about id, if set) not yet waited for.
func (ph *phone) wait(t testing.TB, kind call.EventKind, id call.ID) call.Event {
	t.Helper()
	deadline := time.After(servertest.Wait)
	for {
		ph.mu.Lock()
		for i, e := range ph.events {
			if e.Kind == kind && (id == "" || e.Call == id) && !ph.used[i] {
				ph.used[i] = true
				ph.mu.Unlock()
				return e
			}
		}
		ph.mu.Unlock()
		select {
		case <-ph.notify:
		case <-deadline:
			t.Fatalf("%s: no %s event for %q; have %s", ph.number, kind, id, ph.kinds(""))
		}
	}
}

// nextStats waits for the next stats event about id that ph emits: not one
// still queued from before the call, which wait would return.
func (ph *phone) nextStats(t testing.TB, id call.ID) *call.Stats {
	t.Helper()
	ph.mu.Lock()
	for i, e := range ph.events {
		if e.Kind == call.EventStats {
			ph.used[i] = true
		}
	}
	ph.mu.Unlock()
	return ph.wait(t, call.EventStats, id).Stats
}

// kinds lists the events about id (all, if empty), without stats and
// peer-camera (which come when they come; TestPeerCamera checks them).
func (ph *phone) kinds(id call.ID) string {
	ph.mu.Lock()
	defer ph.mu.Unlock()
	var out []string
	for _, e := range ph.events {
		if e.Kind == call.EventStats || e.Kind == call.EventPeerCamera || id != "" && e.Call != id {
			continue
		}
		s := string(e.Kind)
		if e.Reason != "" {
			s += "(" + e.Reason + ")"
		}
		if e.Code != "" {
			s += "[" + e.Code + "]"
		}
		out = append(out, s)
	}
	return strings.Join(out, " ")
}

func (ph *phone) fake(i int) *fakeMedia {
	ph.mu.Lock()
	defer ph.mu.Unlock()
	return ph.media[i]
}

// expectKinds waits until the events about id are exactly want (without
// stats), failing if they become something else or stop short.
func expectKinds(t testing.TB, ph *phone, id call.ID, want string) {
	t.Helper()
	deadline := time.After(servertest.Wait)
	for {
		got := ph.kinds(id)
		if got == want {
			return
		}
		if !strings.HasPrefix(want, got) {
			t.Errorf("%s call %s events:\n got %s\nwant %s", ph.number, id, got, want)
			return
		}
		select {
		case <-ph.notify:
		case <-deadline:
			t.Errorf("%s call %s events:\n got %s\nwant %s", ph.number, id, got, want)
			return
		}
	}
}

func testLogger() *slog.Logger {
	if os.Getenv("DIALTONE_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.DiscardHandler)
}

var errInjected = errors.New("injected media failure")
