package session

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/dialtone/dialtone/call"
	"github.com/dialtone/dialtone/call/number"
	"github.com/dialtone/dialtone/call/sigclient"
	"github.com/dialtone/dialtone/call/wire"
	"github.com/dialtone/dialtone/device"
)

// Log attribute keys.
const (
	keyCall = "call.id"
	keyPeer = "peer"
)

// Config describes a Phone. Zero values take the documented defaults.
type Config struct {
	// Sig is the signalling client's configuration (server, number, key).
	// Its Logger defaults to Logger.
	Sig sigclient.Config
	// Media builds each call's media session. Required.
	Media MediaFactory
	// Devices; any may be nil (the call is receive-only or audio-only for
	// it, or discards what arrives). The phone never closes them.
	Camera      device.VideoSource
	Mic         device.AudioSource
	Speaker     device.AudioSink
	RemoteVideo device.VideoSink
	LocalVideo  device.VideoSink
	// Keys pins the device keys of the numbers the phone talks to; nil
	// pins nothing (every signed peer is new each call).
	Keys Keys
	// Chain is this device's link certificates, its own first, sent with
	// each call statement; nil for a number's first device. The chain the
	// server gives at registration (registered's chain) takes its place.
	Chain []wire.Signed
	// Region is the ISO country for dialled numbers written without a
	// country code ("US"); empty: such numbers are refused.
	Region string
	// StatsInterval is how often an active call emits stats; default 1s.
	StatsInterval time.Duration
	// FailGrace is how long a call whose media failed waits for the
	// server's word on it (the peer's hang-up also closes the media), so
	// that a hang-up is not reported as a failure; default 2s.
	FailGrace time.Duration
	// MediaTimeout ends an accepted call whose media has not connected
	// (first remote frame, or ICE and DTLS for a call with nothing to
	// receive) by then, as a media failure; default 20s.
	MediaTimeout time.Duration
	// CloseWait bounds how long Run, as it returns, waits for its calls'
	// media to close; default 5s. A media session whose close is stuck
	// (on the network, say) is left to finish on its own, so that the
	// phone still quits.
	CloseWait time.Duration
	// Logger; default slog.Default(). Now; default time.Now.
	Logger *slog.Logger
	Now    func() time.Time
}

func (c *Config) validate() error {
	if c.Media == nil {
		return errors.New("session: Config.Media is required")
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.Sig.Logger == nil {
		c.Sig.Logger = c.Logger
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.StatsInterval <= 0 {
		c.StatsInterval = time.Second
	}
	if c.FailGrace <= 0 {
		c.FailGrace = 2 * time.Second
	}
	if c.MediaTimeout <= 0 {
		c.MediaTimeout = 20 * time.Second
	}
	if c.CloseWait <= 0 {
		c.CloseWait = 5 * time.Second
	}
	return nil
}

// Call describes one call the phone holds.
type Call struct {
	ID          call.ID     `json:"call"`
	Peer        string      `json:"peer"`
	State       call.State  `json:"state"`
	Outgoing    bool        `json:"outgoing"`
	Waiting     bool        `json:"waiting,omitempty"`
	Since       time.Time   `json:"since"` // when it entered State
	LocalLease  string      `json:"local_lease,omitempty"`
	RemoteLease string      `json:"remote_lease,omitempty"`
	Trust       *call.Trust `json:"trust,omitempty"`
}

// Phone is one registered number and its calls. Run drives it; the other
// methods may be called from any goroutine while it runs.
type Phone struct {
	cfg Config
	log *slog.Logger
	sig *sigclient.Client
	// chain is the link chain the server handed this device at its last
	// registration, if any; it goes with call statements in place of
	// cfg.Chain.
	chain  atomic.Pointer[[]wire.Signed]
	events chan call.Event
	evq    *queue[call.Event]
	cmds   chan func(ctx context.Context)
	notes  chan mediaNote
	done   chan struct{}
	wg     sync.WaitGroup // media workers
	// workers are the media workers that have not finished, oldest
	// first, ended calls' included: the next call's media waits for them
	// before it touches the devices. Owned by Run's goroutine.
	workers []*mediaWorker

	// Owned by Run's goroutine.
	calls       map[call.ID]*callRec
	dials       map[uint64]*dialReq
	registered  bool
	number      string // as the server registered it
	unreachable string // why the server cannot be reached, while it cannot
	muted       bool
	cameraOn    bool
	reconcileRe uint64
	serverCalls map[call.ID]bool
	quiet       map[uint64]bool // media-state seqs whose error replies are not news
	safety      safetyMemo
}

// callRec is one call's state.
type callRec struct {
	id                      call.ID
	peer                    string
	state                   call.State
	outgoing, waiting       bool
	since                   time.Time
	ringFrom                time.Time // dial sent (caller) or incoming (callee)
	setupFrom               time.Time // accepted (caller) or accept sent (callee)
	local                   bool      // we are ending it
	connected               time.Time
	localLease, remoteLease string
	media                   *mediaWorker
	trust                   *call.Trust // the peer's statement, once judged
	trustSDP                string      // the SDP it came with
}

type dialReq struct {
	to   string
	sent time.Time
	res  chan dialResult
}

type dialResult struct {
	id  call.ID
	err error
}

// New checks cfg and returns a phone; Run connects it.
func New(cfg Config) (*Phone, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	sig, err := sigclient.New(cfg.Sig)
	if err != nil {
		return nil, err
	}
	return &Phone{
		cfg: cfg, log: cfg.Logger, sig: sig,
		events: make(chan call.Event), evq: newQueue[call.Event](),
		cmds: make(chan func(context.Context)), notes: make(chan mediaNote, 16), done: make(chan struct{}),
		calls: map[call.ID]*callRec{}, dials: map[uint64]*dialReq{}, cameraOn: true, quiet: map[uint64]bool{},
	}, nil
}

// Events delivers what happens, in order; it is closed when Run returns.
// The phone never blocks on it, so a consumer that falls behind catches up.
func (p *Phone) Events() <-chan call.Event { return p.events }

func (p *Phone) now() time.Time { return p.cfg.Now() }

// Run registers the number and runs the calls until ctx ends (it then hangs
// up, says bye, and returns nil) or the signalling client stops for good
// (a rejected registration, or Patience exhausted), whose error it returns.
func (p *Phone) Run(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	// The signalling client outlives ctx by a moment, to say bye.
	sigCtx, sigCancel := context.WithCancel(context.WithoutCancel(ctx))
	defer sigCancel()
	sigErr := make(chan error, 1)
	go func() { sigErr <- p.sig.Run(sigCtx) }()
	pumpStop := make(chan struct{})
	pumpDone := make(chan struct{})
	go p.pump(pumpStop, pumpDone)
	tick := time.NewTicker(p.cfg.StatsInterval)
	defer tick.Stop()

	var err error
	sigDone := false
loop:
	for {
		select {
		case <-ctx.Done():
			p.endAll("hangup", "")
			break loop
		case m, ok := <-p.sig.Messages():
			if !ok {
				err, sigDone = <-sigErr, true
				p.endAll("signalling-lost", errString(err))
				if err != nil {
					p.emit(call.Event{Kind: call.EventError, Error: err.Error(), Code: codeOf(err)})
				}
				break loop
			}
			p.handle(ctx, m)
		case f := <-p.cmds:
			f(ctx)
		case n := <-p.notes:
			p.onMedia(n)
		case <-tick.C:
			p.emitStats()
		}
	}
	// The calls' media started closing as they ended: the wait for it
	// is counted from here.
	mediaDeadline := time.Now().Add(p.cfg.CloseWait)
	close(p.done)
	for _, d := range p.dials {
		d.res <- dialResult{err: ErrStopped}
	}
	p.sig.Close()
	sigCancel()
	cancel()
	p.waitMedia(mediaDeadline)
	if !sigDone {
		if e := <-sigErr; e != nil && !errors.Is(e, context.Canceled) {
			err = e
		}
	}
	close(pumpStop)
	<-pumpDone
	return err
}

// waitMedia waits for the media workers until deadline. One still running
// then is stuck closing its media; it is named in the log and left to end
// on its own.
func (p *Phone) waitMedia(deadline time.Time) {
	done := make(chan struct{})
	go func() {
		p.wg.Wait()
		close(done)
	}()
	t := time.NewTimer(time.Until(deadline))
	defer t.Stop()
	select {
	case <-done:
	case <-t.C:
		var stuck []call.ID
		for _, w := range p.workers {
			select {
			case <-w.closed:
			default:
				stuck = append(stuck, w.id)
			}
		}
		p.log.Warn("calls' media still closing; not waiting for it", "calls", stuck, "waited", p.cfg.CloseWait)
	}
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

func codeOf(err error) string {
	var re *sigclient.RejectedError
	if errors.As(err, &re) {
		return string(re.Code)
	}
	return ""
}

// pump moves events to the channel. It never blocks on a consumer that has
// gone: once stopped it still delivers what is queued, for at most
// pumpGrace, so a consumer still reading sees the last ended events, and
// then closes the channel whether or not they were read.
func (p *Phone) pump(stop, done chan struct{}) {
	defer close(done)
	defer close(p.events)
	var grace <-chan time.Time
	stopped := stop
	startGrace := func() {
		stopped = nil
		t := time.NewTimer(pumpGrace)
		grace = t.C
	}
	for {
		for _, e := range p.evq.take() {
			for sent := false; !sent; {
				select {
				case p.events <- e:
					sent = true
				case <-stopped:
					startGrace()
				case <-grace:
					return
				}
			}
		}
		if grace != nil {
			return
		}
		select {
		case <-p.evq.ready():
		case <-stopped:
			startGrace()
		}
	}
}

// pumpGrace bounds how long a stopped phone waits for its consumer to read
// the last events.
const pumpGrace = 500 * time.Millisecond

func (p *Phone) emit(e call.Event) {
	if e.Time.IsZero() {
		e.Time = p.now()
	}
	p.evq.push(e)
}

// do runs f on the state machine's goroutine and waits for it.
func (p *Phone) do(ctx context.Context, f func(ctx context.Context) error) error {
	res := make(chan error, 1)
	select {
	case p.cmds <- func(ctx context.Context) { res <- f(ctx) }:
	case <-p.done:
		return ErrStopped
	case <-ctx.Done():
		return ctx.Err()
	}
	return <-res
}

// Dial calls a number (E.164, or national with Config.Region, or a service
// code such as 600) and returns once the server has answered: the call's ID,
// with ErrUnavailable or ErrBusy when it did not ring, or a
// *sigclient.ServerError when the server refused the dial.
func (p *Phone) Dial(ctx context.Context, to string) (call.ID, error) {
	n, err := number.Parse(to, p.cfg.Region)
	if err != nil {
		return "", fmt.Errorf("dialling %q: %w", to, err)
	}
	res := make(chan dialResult, 1)
	err = p.do(ctx, func(context.Context) error {
		if !p.registered && p.unreachable != "" {
			// Nothing would carry the dial: say why now rather than after
			// the caller's timeout.
			return fmt.Errorf("dialling %s: %w: %s", n, ErrOffline, p.unreachable)
		}
		now := p.now()
		seq, err := p.sig.Send(&wire.Message{Type: wire.TypeDial, To: string(n)})
		if err != nil {
			return err
		}
		p.dials[seq] = &dialReq{to: string(n), sent: now, res: res}
		p.emit(call.Event{Kind: call.EventDialing, Time: now, Peer: string(n)})
		return nil
	})
	if err != nil {
		return "", err
	}
	select {
	case r := <-res:
		return r.id, r.err
	case <-ctx.Done():
		return "", ctx.Err()
	}
}

// Accept answers an incoming call. Another active call is hung up first:
// the devices serve one call at a time.
func (p *Phone) Accept(id call.ID) error {
	return p.do(context.Background(), func(context.Context) error {
		rec := p.calls[id]
		if rec == nil || rec.state != call.StateIncoming {
			return fmt.Errorf("accepting %s: %w", id, ErrNoCall)
		}
		for _, o := range p.calls {
			if o != rec && o.state == call.StateActive {
				p.hangup(o)
			}
		}
		if _, err := p.sig.Send(&wire.Message{Type: wire.TypeAccept, Call: wire.CallID(id)}); err != nil {
			return err
		}
		rec.setupFrom = p.now()
		return nil
	})
}

// Refuse turns down an incoming call.
func (p *Phone) Refuse(id call.ID) error {
	return p.do(context.Background(), func(context.Context) error {
		rec := p.calls[id]
		if rec == nil || rec.state != call.StateIncoming {
			return fmt.Errorf("refusing %s: %w", id, ErrNoCall)
		}
		p.hangup(rec)
		return nil
	})
}

// Hangup ends a call in any state: it cancels a call that rings, refuses
// one that is incoming, and hangs up one that is active.
func (p *Phone) Hangup(id call.ID) error {
	return p.do(context.Background(), func(context.Context) error {
		rec := p.calls[id]
		if rec == nil {
			return fmt.Errorf("hanging up %s: %w", id, ErrNoCall)
		}
		p.hangup(rec)
		return nil
	})
}

// SetMuted mutes or unmutes the microphone, in this call and the next.
func (p *Phone) SetMuted(muted bool) {
	_ = p.do(context.Background(), func(context.Context) error {
		p.muted = muted
		p.eachMedia(func(m Media) error { m.SetMuted(muted); return nil })
		return nil
	})
}

// SetCamera turns the camera on or off, in this call and the next.
func (p *Phone) SetCamera(on bool) {
	_ = p.do(context.Background(), func(context.Context) error {
		p.cameraOn = on
		p.eachMedia(func(m Media) error { m.SetCamera(on); return nil })
		for _, rec := range p.calls {
			if rec.state == call.StateActive {
				p.sendCamera(rec)
			}
		}
		return nil
	})
}

func (p *Phone) eachMedia(f func(Media) error) {
	for _, rec := range p.calls {
		if rec.media != nil {
			rec.media.do(f)
		}
	}
}

// Calls lists the calls the phone holds, oldest first.
func (p *Phone) Calls() []Call {
	var out []Call
	_ = p.do(context.Background(), func(context.Context) error {
		for _, r := range p.calls {
			out = append(out, Call{ID: r.id, Peer: r.peer, State: r.state, Outgoing: r.outgoing, Waiting: r.waiting,
				Since: r.since, LocalLease: r.localLease, RemoteLease: r.remoteLease, Trust: r.trust})
		}
		return nil
	})
	sortCalls(out)
	return out
}

// LinkCode asks the server for a one-time code with which another device
// joins this number; this phone signs that device in when it comes
// (EventLinked). See sigclient.Client.LinkCode.
func (p *Phone) LinkCode(ctx context.Context) (string, time.Duration, error) {
	return p.sig.LinkCode(ctx)
}

// Devices lists the devices of this phone's number.
func (p *Phone) Devices(ctx context.Context) ([]call.Device, error) {
	ds, err := p.sig.Devices(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]call.Device, 0, len(ds))
	for _, d := range ds {
		out = append(out, call.Device{Name: d.Name, LinkedAt: d.LinkedAt, By: d.By, Online: d.Online, This: d.This})
	}
	return out, nil
}
