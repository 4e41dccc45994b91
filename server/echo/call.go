package echo

import (
	"log/slog"
	"sync"
	"time"

	"github.com/pion/webrtc/v4"

	"github.com/dialtone/dialtone/call/wire"
)

// maxEvents bounds what waits for one call: its signalling and pion's
// callbacks. maxPending bounds the caller's candidates held until the offer.
const (
	maxEvents  = 256
	maxPending = 64
)

type eventKind int

const (
	eventMessage   eventKind = iota // msg from the switchboard
	eventCandidate                  // cand gathered here
	eventState                      // state of the PeerConnection
)

type event struct {
	kind  eventKind
	msg   *wire.Message
	cand  *webrtc.ICECandidate
	state webrtc.PeerConnectionState
}

// call is one echo call. Its goroutine (run) owns the signalling and the
// PeerConnection; pion's callbacks only queue events for it, and forwarding
// goroutines touch only legs.
type call struct {
	e      *Echo
	id     wire.CallID
	from   string
	log    *slog.Logger
	events *queue[event]
	rang   time.Time

	pc        *webrtc.PeerConnection
	pending   []webrtc.ICECandidateInit // candidates that came before the offer
	setup     *time.Timer
	connected bool

	mu      sync.Mutex // legs and closing, shared with pion's goroutines
	legs    []*leg
	closing bool
	fwd     sync.WaitGroup // forwarding and RTCP goroutines
}

func newCall(e *Echo, m *wire.Message) *call {
	return &call{
		e:      e,
		id:     m.Call,
		from:   m.From,
		log:    e.log.With(keyCall, m.Call, keyNumber, m.From),
		events: newQueue[event](maxEvents),
		rang:   time.Now(),
	}
}

// run answers the call and serves it until it ends.
func (c *call) run() {
	defer c.e.wg.Done()
	defer c.e.forget(c)
	defer c.closeMedia()
	c.e.stats.answered.Add(1)
	c.e.handle(&wire.Message{Type: wire.TypeAccept, Call: c.id})
	c.setup = time.NewTimer(c.e.cfg.SetupTimeout)
	defer c.setup.Stop()
	limit := time.NewTimer(c.e.cfg.MaxDuration)
	defer limit.Stop()
	for {
		select {
		case <-c.e.quit:
			c.hangup("the echo test is closing")
			return
		case <-c.setup.C:
			c.e.stats.timedOut.Add(1)
			c.hangup("media did not connect in time")
			return
		case <-limit.C:
			c.e.stats.timedOut.Add(1)
			c.hangup("the echo test's time is up")
			return
		case <-c.events.ready:
			for _, ev := range c.events.take() {
				if c.on(ev) {
					return
				}
			}
		}
	}
}

// on acts on one event and reports whether the call is over.
func (c *call) on(ev event) (over bool) {
	switch ev.kind {
	case eventCandidate:
		j := ev.cand.ToJSON()
		c.e.handle(&wire.Message{Type: wire.TypeICE, Call: c.id, Candidate: &wire.Candidate{
			Candidate: j.Candidate, SDPMid: j.SDPMid, SDPMLineIndex: j.SDPMLineIndex, UsernameFragment: j.UsernameFragment,
		}})
	case eventState:
		return c.onState(ev.state)
	case eventMessage:
		return c.onMessage(ev.msg)
	}
	return false
}

func (c *call) onMessage(m *wire.Message) (over bool) {
	switch m.Type {
	case wire.TypeAccepted:
		if err := c.startMedia(m); err != nil {
			return c.fail("starting media", err)
		}
	case wire.TypeSDP:
		if m.SDPType != wire.SDPOffer {
			c.log.Debug("ignoring an SDP that is not an offer", "sdp_type", m.SDPType)
			return false
		}
		if err := c.answer(m.SDP); err != nil {
			return c.fail("answering the offer", err)
		}
	case wire.TypeICE:
		c.addCandidate(m.Candidate)
	case wire.TypeEnded, wire.TypeCancelled, wire.TypeRefused, wire.TypeHangupAck:
		c.log.Debug("echo call over", "type", m.Type, "reason", m.Reason)
		return true
	}
	return false
}

func (c *call) onState(s webrtc.PeerConnectionState) (over bool) {
	switch s {
	case webrtc.PeerConnectionStateConnected:
		if !c.connected {
			c.connected = true
			c.setup.Stop()
			c.e.stats.connected.Add(1)
			c.log.Info("echo call connected", "setup_ms", time.Since(c.rang).Milliseconds())
		}
	case webrtc.PeerConnectionStateFailed:
		c.e.stats.failed.Add(1)
		c.hangup("media failed")
		return true
	}
	return false
}

// fail hangs up a call the echo cannot serve.
func (c *call) fail(what string, err error) (over bool) {
	c.e.stats.failed.Add(1)
	c.log.Warn("echo call failed", "while", what, "err", err)
	c.hangup(what + " failed")
	return true
}

func (c *call) hangup(why string) {
	c.log.Info("echo hanging up", "why", why)
	c.e.handle(&wire.Message{Type: wire.TypeHangup, Call: c.id})
}

// addCandidate applies a candidate from the caller, or keeps it until the
// offer has been applied.
func (c *call) addCandidate(wc *wire.Candidate) {
	if wc == nil {
		return
	}
	init := webrtc.ICECandidateInit{
		Candidate: wc.Candidate, SDPMid: wc.SDPMid, SDPMLineIndex: wc.SDPMLineIndex, UsernameFragment: wc.UsernameFragment,
	}
	if c.pc == nil || c.pc.RemoteDescription() == nil {
		if len(c.pending) < maxPending {
			c.pending = append(c.pending, init)
		}
		return
	}
	if err := c.pc.AddICECandidate(init); err != nil {
		c.log.Debug("ignoring a candidate", "candidate", wc.Candidate, "err", err)
	}
}
