package session_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dialtone/dialtone/call"
	"github.com/dialtone/dialtone/call/session"
	"github.com/dialtone/dialtone/device"
	"github.com/dialtone/dialtone/server/servertest"
)

// heldCamera notes readers that overlap. Its first read is held until its
// context ends (the read a call has in flight when it hangs up); later
// reads return a picture at once.
type heldCamera struct {
	inside  atomic.Int32
	overlap atomic.Bool
	reads   atomic.Int32
	entered chan struct{}
}

func (c *heldCamera) ReadFrame(ctx context.Context) (device.Frame, error) {
	if c.inside.Add(1) > 1 {
		c.overlap.Store(true)
	}
	defer c.inside.Add(-1)
	select {
	case c.entered <- struct{}{}:
	default:
	}
	if c.reads.Add(1) == 1 {
		<-ctx.Done()
		return device.Frame{}, ctx.Err()
	}
	return device.NewFrame(64, 32), nil
}

func (c *heldCamera) Close() error { return nil }

// readingMedia is a fakeMedia that reads one picture from its camera from
// Start on, as a real session's sender does, and whose Close waits for
// release before it stops the read (a media session slow to close).
type readingMedia struct {
	*fakeMedia
	ctx     context.Context
	cancel  context.CancelFunc
	release <-chan struct{}
	done    chan struct{} // the read has returned
	frame   chan struct{} // closed when it read a picture
}

func (m *readingMedia) Start(ctx context.Context) error {
	go func() {
		defer close(m.done)
		if _, err := m.cfg.Camera.ReadFrame(m.ctx); err == nil {
			close(m.frame)
		}
	}()
	return m.fakeMedia.Start(ctx)
}

func (m *readingMedia) Close() error {
	<-m.release
	m.cancel()
	<-m.done
	return m.fakeMedia.Close()
}

// TestNextCallWaitsForDevices: a call hung up while its media is still
// closing ends at once, and the next call's media reads the camera only
// once the earlier media has let go of it. Before the fix the second
// call's media read the camera while the first's read was still in it.
func TestNextCallWaitsForDevices(t *testing.T) {
	srv := servertest.New(t, servertest.Options{})
	cam := &heldCamera{entered: make(chan struct{}, 8)}
	release := make(chan struct{})
	var releaseOnce sync.Once
	releaseFirst := func() { releaseOnce.Do(func() { close(release) }) }
	released := make(chan struct{})
	close(released)
	var mu sync.Mutex
	var made []*readingMedia
	factory := func(cfg session.MediaConfig, sig session.Signal) (session.Media, error) {
		ctx, cancel := context.WithCancel(context.Background())
		m := &readingMedia{
			fakeMedia: &fakeMedia{cfg: cfg, sig: sig, conn: make(chan struct{}), fail: make(chan error, 1), closed: make(chan struct{})},
			ctx:       ctx, cancel: cancel, release: released, done: make(chan struct{}), frame: make(chan struct{}),
		}
		mu.Lock()
		defer mu.Unlock()
		if len(made) == 0 {
			m.release = release
		}
		made = append(made, m)
		return m, nil
	}
	a := newPhone(t, alice, opts{url: srv.Addrs.URL, factory: factory, prep: func(c *session.Config) { c.Camera = cam }})
	t.Cleanup(releaseFirst) // before the phone stops: its Run waits for the first media
	b := newPhone(t, bob, opts{url: srv.Addrs.URL, autoAnswer: true})
	ctx := context.Background()

	first, err := a.Dial(ctx, bob)
	if err != nil {
		t.Fatal(err)
	}
	a.wait(t, call.EventConnected, first)
	select {
	case <-cam.entered: // the first call's read is in the camera
	case <-time.After(servertest.Wait):
		t.Fatal("the first call's media never read the camera")
	}
	if err := a.Hangup(first); err != nil {
		t.Fatal(err)
	}
	// Its media is still closing (release is open): the hang-up does not
	// wait for it.
	a.wait(t, call.EventEnded, first)
	b.wait(t, call.EventEnded, first)

	second, err := a.Dial(ctx, bob)
	if err != nil {
		t.Fatal(err)
	}
	a.wait(t, call.EventConnected, second)
	releaseFirst()
	mu.Lock()
	m := made[len(made)-1]
	mu.Unlock()
	select {
	case <-m.frame:
	case <-time.After(servertest.Wait):
		t.Fatal("the second call's media read no picture after the first let go of the camera")
	}
	if cam.overlap.Load() {
		t.Error("the second call's media read the camera while the first call's media still had it")
	}
}
