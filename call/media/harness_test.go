package media

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dialtone/dialtone/call/wire"
	"github.com/dialtone/dialtone/device"
	"github.com/dialtone/dialtone/device/synthetic"
)

// link is one direction of an in-memory signalling channel: what one
// session sends, the other handles, in order, on the link's own goroutine
// (as the signalling client would deliver it).
type link struct {
	ch   chan func(*Session)
	errs chan error
}

func newLink() *link { return &link{ch: make(chan func(*Session), 256), errs: make(chan error, 16)} }

func (l *link) SendSDP(typ, sdp string) error {
	l.ch <- func(s *Session) {
		if err := s.HandleSDP(typ, sdp); err != nil {
			l.report(fmt.Errorf("HandleSDP(%s): %w", typ, err))
		}
	}
	return nil
}

func (l *link) SendICE(c wire.Candidate) error {
	l.ch <- func(s *Session) {
		if err := s.HandleICE(c); err != nil && s.ctx.Err() == nil {
			l.report(fmt.Errorf("HandleICE: %w", err))
		}
	}
	return nil
}

func (l *link) report(err error) {
	select {
	case l.errs <- err:
	default:
	}
}

// pump delivers to s until stop.
func (l *link) pump(s *Session, stop <-chan struct{}, wg *sync.WaitGroup) {
	defer wg.Done()
	for {
		select {
		case f := <-l.ch:
			f(s)
		case <-stop:
			return
		}
	}
}

// peer is one phone of a test call: synthetic devices and capture sinks.
type peer struct {
	name    string
	cfg     Config
	s       *Session
	pattern *synthetic.Pattern
	tone    *synthetic.Tone
	mic     *countingMic // wraps tone: the frames the session read
	video   *synthetic.VideoCapture
	audio   *synthetic.AudioCapture
}

// peerOpts describes a test phone.
type peerOpts struct {
	camera bool
	toneHz float64 // 0: no microphone
	mutate func(*Config)
}

func newPeer(t testing.TB, name string, o peerOpts) *peer {
	t.Helper()
	p := &peer{name: name, video: synthetic.NewVideoCapture(1), audio: synthetic.NewAudioCapture(0)}
	p.cfg = Config{RemoteVideo: p.video, Speaker: p.audio, DecodePattern: true, Logger: testLogger(t, name)}
	if o.camera {
		pat, err := synthetic.NewPattern(synthetic.PatternConfig{Width: 320, Height: 240, FPS: 30})
		if err != nil {
			t.Fatal(err)
		}
		p.pattern, p.cfg.Camera = pat, pat
		t.Cleanup(func() { _ = pat.Close() })
	}
	if o.toneHz != 0 {
		tone, err := synthetic.NewTone(o.toneHz)
		if err != nil {
			t.Fatal(err)
		}
		p.tone, p.mic = tone, &countingMic{AudioSource: tone}
		p.cfg.Mic = p.mic
		t.Cleanup(func() { _ = tone.Close() })
	}
	if o.mutate != nil {
		o.mutate(&p.cfg)
	}
	return p
}

// countingMic counts the frames read from a microphone: the sound a
// session had to send, whatever the machine's load let the source deliver.
type countingMic struct {
	device.AudioSource
	n atomic.Int64
}

func (m *countingMic) ReadAudio(ctx context.Context, pcm []int16) error {
	err := m.AudioSource.ReadAudio(ctx, pcm)
	if err == nil {
		m.n.Add(1)
	}
	return err
}

// Frames is how many frames have been read so far.
func (m *countingMic) Frames() int { return int(m.n.Load()) }

// testLogger logs to the test at warning level; DIALTONE_TEST_DEBUG=1
// shows everything.
func testLogger(t testing.TB, name string) *slog.Logger {
	lvl := slog.LevelWarn
	if os.Getenv("DIALTONE_TEST_DEBUG") != "" {
		lvl = slog.LevelDebug
	}
	return slog.New(slog.NewTextHandler(tWriter{t}, &slog.HandlerOptions{Level: lvl})).With("peer", name)
}

type tWriter struct{ t testing.TB }

func (w tWriter) Write(b []byte) (int, error) {
	defer func() { _ = recover() }() // a log line after the test ended
	w.t.Log(strings.TrimSpace(string(b)))
	return len(b), nil
}

// dial connects a (offerer) and b through an in-memory signal pair and
// returns when both are connected, with the setup time.
func dial(t testing.TB, a, b *peer) time.Duration {
	t.Helper()
	ab, ba := newLink(), newLink()
	a.cfg.Offerer, b.cfg.Offerer = true, false
	var err error
	if a.s, err = New(a.cfg, ab); err != nil {
		t.Fatal(err)
	}
	if b.s, err = New(b.cfg, ba); err != nil {
		t.Fatal(err)
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(2)
	go ab.pump(b.s, stop, &wg)
	go ba.pump(a.s, stop, &wg)
	t.Cleanup(func() {
		closeAll(t, a.s, b.s)
		close(stop)
		wg.Wait()
	})
	start := time.Now()
	if err := b.s.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := a.s.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	for _, p := range []*peer{a, b} {
		select {
		case <-p.s.Connected():
		case err := <-p.s.Failed():
			t.Fatalf("%s failed: %v", p.name, err)
		case err := <-ab.errs:
			t.Fatalf("signalling to b: %v", err)
		case err := <-ba.errs:
			t.Fatalf("signalling to a: %v", err)
		case <-time.After(15 * time.Second):
			t.Fatalf("%s not connected after 15 s; stats %+v", p.name, p.s.Stats())
		}
	}
	return time.Since(start)
}

func closeAll(t testing.TB, ss ...*Session) {
	var wg sync.WaitGroup
	for _, s := range ss {
		if s == nil {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := s.Close(); err != nil {
				t.Errorf("Close: %v", err)
			}
		}()
	}
	wg.Wait()
}

// waitAudio waits until p has played n frames in all.
func waitAudio(t testing.TB, p *peer, n int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := p.audio.Wait(ctx, n); err != nil {
		t.Fatalf("%s: waiting for %d audio frames (have %d): %v", p.name, n, p.audio.Frames(), err)
	}
}

// waitVideo waits until p has shown n pictures in all.
func waitVideo(t testing.TB, p *peer, n int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := p.video.Wait(ctx, n); err != nil {
		t.Fatalf("%s: waiting for %d video frames (have %d): %v", p.name, n, p.video.Count(), err)
	}
}

// checkNoLeak fails if goroutines started since before stay past a
// generous wait (pion winds some down asynchronously after Close).
func checkNoLeak(t testing.TB, before int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		n := runtime.NumGoroutine()
		if n <= before {
			return
		}
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<20)
			buf = buf[:runtime.Stack(buf, true)]
			t.Fatalf("%d goroutines, %d before:\n%s", n, before, buf)
		}
		runtime.Gosched()
		time.Sleep(10 * time.Millisecond) // polling a count: there is no event to wait for
	}
}

func wireCandidate(c string) wire.Candidate { return wire.Candidate{Candidate: c} }
