package session

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/dialtone/dialtone/call"
	"github.com/dialtone/dialtone/call/wire"
	"github.com/dialtone/dialtone/device"
)

// Media is one call's media session; *media.Session satisfies it.
type Media interface {
	Start(ctx context.Context) error
	HandleSDP(sdpType, sdp string) error
	HandleICE(c wire.Candidate) error
	Connected() <-chan struct{}
	Failed() <-chan error
	Stats() call.Stats
	SetMuted(bool)
	SetCamera(bool)
	Close() error
}

// Signal is how a Media sends its half of the negotiation; media.Signal has
// the same methods.
type Signal interface {
	SendSDP(sdpType, sdp string) error
	SendICE(c wire.Candidate) error
}

// MediaConfig is what the factory needs for one call. The sinks are never
// nil: the phone wraps them to time the first decoded picture and sound.
type MediaConfig struct {
	Relay     *wire.Relay
	RelayOnly bool // media policy "relay"
	Offerer   bool
	Camera    device.VideoSource
	Mic       device.AudioSource
	Speaker   device.AudioSink
	// RemoteVideo receives decoded remote pictures; LocalVideo (maybe nil)
	// the pictures we send.
	RemoteVideo, LocalVideo device.VideoSink
	Logger                  *slog.Logger
	Now                     func() time.Time
}

// MediaFactory builds one call's media session.
type MediaFactory func(cfg MediaConfig, sig Signal) (Media, error)

// callSignal sends a call's SDP and candidates through the signalling client.
type callSignal struct {
	p              *Phone
	id             call.ID
	caller, callee string
}

// SendSDP sends our description with a statement signing its DTLS
// fingerprints.
func (s callSignal) SendSDP(sdpType, sdp string) error {
	m := &wire.Message{Type: wire.TypeSDP, Call: wire.CallID(s.id), SDPType: sdpType, SDP: sdp}
	if st, err := s.p.statement(s.id, s.caller, s.callee, sdpType, sdp); err != nil {
		s.p.log.Warn("sending the SDP unsigned", keyCall, s.id, "err", err)
	} else {
		m.Statement, m.Chain = st, s.p.linkChain()
	}
	_, err := s.p.sig.Send(m)
	return err
}

func (s callSignal) SendICE(c wire.Candidate) error {
	_, err := s.p.sig.Send(&wire.Message{Type: wire.TypeICE, Call: wire.CallID(s.id), Candidate: &c})
	return err
}

// firstSink passes pictures or sound on and remembers when the first came.
type firstSink struct {
	video device.VideoSink
	audio device.AudioSink
	first atomic.Int64 // unix nanos; 0 until the first write
	now   func() time.Time
}

func (f *firstSink) mark() {
	if f.first.Load() == 0 {
		f.first.CompareAndSwap(0, f.now().UnixNano())
	}
}

func (f *firstSink) WriteFrame(fr device.Frame) error {
	f.mark()
	if f.video == nil {
		return nil
	}
	return f.video.WriteFrame(fr)
}

func (f *firstSink) WriteAudio(pcm []int16) error {
	f.mark()
	if f.audio == nil {
		return nil
	}
	return f.audio.WriteAudio(pcm)
}

// Close does nothing: the phone's owner closes the devices.
func (f *firstSink) Close() error { return nil }

func (f *firstSink) at() (time.Time, bool) {
	n := f.first.Load()
	return time.Unix(0, n), n != 0
}

// mediaNote is what a call's media worker tells the state machine.
type mediaNote struct {
	id        call.ID
	connected bool
	digit     byte  // a key the other party sent
	err       error // failed
}

// mediaWorker owns one call's Media: it builds and starts it, feeds it the
// peer's SDP and candidates in order, and reports connection and failure.
type mediaWorker struct {
	id     call.ID
	in     *queue[func(Media) error]
	stop   chan struct{}
	once   sync.Once
	video  *firstSink
	audio  *firstSink
	mu     sync.Mutex
	m      Media
	closed chan struct{} // the worker has returned
}

func (p *Phone) startMedia(ctx context.Context, rec *callRec, acc *wire.Message) {
	w := &mediaWorker{id: rec.id, in: newQueue[func(Media) error](), stop: make(chan struct{}), closed: make(chan struct{}),
		video: &firstSink{video: p.cfg.RemoteVideo, now: p.now},
		audio: &firstSink{audio: p.cfg.Speaker, now: p.now}}
	cfg := MediaConfig{Relay: acc.Relay, RelayOnly: acc.Media == wire.MediaRelay, Offerer: acc.Offerer,
		Camera: p.cfg.Camera, Mic: p.cfg.Mic, Speaker: w.audio, RemoteVideo: w.video, LocalVideo: p.cfg.LocalVideo,
		Logger: p.log.With(keyCall, rec.id), Now: p.now}
	// The devices serve one call at a time: this call's media reads
	// them once the media of the calls before it has finished.
	live := p.workers[:0]
	for _, o := range p.workers {
		select {
		case <-o.closed:
		default:
			live = append(live, o)
		}
	}
	turn := newDeviceTurn(live, cfg.Logger)
	if cfg.Camera != nil {
		cfg.Camera = turnCamera{src: cfg.Camera, turn: turn}
	}
	if cfg.Mic != nil {
		cfg.Mic = turnMic{src: cfg.Mic, turn: turn}
	}
	p.workers = append(live, w)
	muted, camOn := p.muted, p.cameraOn
	rec.media = w
	sig := callSignal{p: p, id: rec.id}
	sig.caller, sig.callee = p.parties(rec)
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		defer close(w.closed)
		w.run(ctx, p, cfg, sig, muted, camOn)
	}()
}

func (w *mediaWorker) run(ctx context.Context, p *Phone, cfg MediaConfig, sig callSignal, muted, camOn bool) {
	note := func(n mediaNote) {
		n.id = w.id
		select {
		case p.notes <- n:
		case <-w.stop:
		case <-ctx.Done():
		}
	}
	m, err := p.cfg.Media(cfg, sig)
	if err != nil {
		note(mediaNote{err: fmt.Errorf("setting up media: %w", err)})
		w.wait(ctx)
		return
	}
	defer m.Close()
	m.SetMuted(muted)
	m.SetCamera(camOn)
	w.mu.Lock()
	w.m = m
	w.mu.Unlock()
	if err := m.Start(ctx); err != nil {
		note(mediaNote{err: fmt.Errorf("starting media: %w", err)})
		w.wait(ctx)
		return
	}
	connected, failed, tones := m.Connected(), m.Failed(), tonesOf(m)
	setup := time.NewTimer(p.cfg.MediaTimeout)
	defer setup.Stop()
	for {
		select {
		case <-w.in.ready():
			for _, f := range w.in.take() {
				if err := f(m); err != nil {
					p.log.Warn("media rejected the peer's negotiation", keyCall, w.id, "err", err)
				}
			}
		case d := <-tones:
			note(mediaNote{digit: d})
		case <-connected:
			connected = nil
			setup.Stop()
			note(mediaNote{connected: true})
		case <-setup.C:
			note(mediaNote{err: fmt.Errorf("media did not connect within %v", p.cfg.MediaTimeout)})
		case err := <-failed:
			failed = nil
			if err == nil {
				err = fmt.Errorf("media failed")
			}
			// The peer's hang-up closes the media too, a moment before the
			// server's ended arrives: that, if it comes, is the reason
			// (and ends the call, stopping this worker).
			grace := time.NewTimer(p.cfg.FailGrace)
			select {
			case <-grace.C:
				note(mediaNote{err: err})
			case <-w.stop:
				grace.Stop()
				return
			case <-ctx.Done():
				grace.Stop()
				return
			}
		case <-w.stop:
			return
		case <-ctx.Done():
			return
		}
	}
}

// wait returns when the worker is stopped or the phone's ctx ends.
func (w *mediaWorker) wait(ctx context.Context) {
	select {
	case <-w.stop:
	case <-ctx.Done():
	}
}

func (w *mediaWorker) do(f func(Media) error) { w.in.push(f) }

// close stops the worker, which closes the Media; it does not wait.
func (w *mediaWorker) close() { w.once.Do(func() { close(w.stop) }) }

func (w *mediaWorker) stats() (call.Stats, bool) {
	w.mu.Lock()
	m := w.m
	w.mu.Unlock()
	if m == nil {
		return call.Stats{}, false
	}
	return m.Stats(), true
}

// firstMedia is when the first remote picture was decoded, or, in a call
// without video, the first sound.
func (w *mediaWorker) firstMedia() (time.Time, bool) {
	if t, ok := w.video.at(); ok {
		return t, true
	}
	return w.audio.at()
}

// linkChain is the link chain to send with a statement: the one the
// server gave at registration, else the configured one.
func (p *Phone) linkChain() []wire.Signed {
	if c := p.chain.Load(); c != nil {
		return *c
	}
	return p.cfg.Chain
}
