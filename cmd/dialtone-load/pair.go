//go:build linux

package main

import (
	"bytes"
	"errors"
	"fmt"
	"time"

	"github.com/dialtone/dialtone/call/wire"
)

// pair is a caller (a) and a callee (b) calling each other over and over:
// dial → ringing and incoming → accept → accepted to both → hangup →
// hangup-ack and ended. One state machine drives both sockets, so a call
// costs no goroutine hand-offs; what either side receives is checked
// against the call in progress, and anything else fails the pair.
type pair struct {
	a, b  *conn
	state pairState
	got   uint8 // of the messages the state waits for
	dead  bool

	dialSeq, hangSeq uint64
	call             []byte // from ringing
	incoming         []byte // from incoming, which may come first
	t0               time.Time
	setup            time.Duration // this call's dial → the caller's accepted

	lat   []time.Duration // dial → the caller's accepted, per call
	until time.Time       // no new call starts after this
}

type pairState uint8

const (
	pIdle      pairState = iota
	pDialing             // dial sent: waiting for ringing and incoming
	pAccepting           // accept sent: waiting for both accepted
	pHanging             // hangup sent: waiting for hangup-ack and ended
)

const (
	gotRinging = 1 << iota
	gotIncoming
	gotAcceptedA
	gotAcceptedB
	gotHangupAck
	gotEnded
)

func newPair(a, b *conn) *pair {
	p := &pair{a: a, b: b, call: make([]byte, 0, wire.MaxToken), incoming: make([]byte, 0, wire.MaxToken)}
	a.pair, b.pair, b.callee = p, p, true
	return p
}

// stallAfter is how long a call may wait for the server's next message
// before the end of the call phase counts it failed. Calls cut short by the
// end do not count either way.
const stallAfter = 5 * time.Second

func (p *pair) fail(l *loop, err error) {
	if p.dead {
		return
	}
	p.dead = true
	if !l.now.Before(p.until) {
		return // the call phase is over: what was in flight does not count
	}
	l.failures++
	l.reason(err.Error())
}

// stalled counts, once the call phase is over, a call still waiting for
// the server since long before its end as failed.
func (p *pair) stalled(l *loop) {
	if !p.dead && p.state != pIdle && p.until.Sub(p.t0) > stallAfter {
		l.failures++
		l.reason(fmt.Sprintf("%s: call %q stalled %s after %v", p.a.number, p.call, p.waitingFor(), p.until.Sub(p.t0).Round(time.Millisecond)))
	}
}

func (p *pair) waitingFor() string {
	switch p.state {
	case pDialing:
		return "waiting for ringing and incoming"
	case pAccepting:
		return "waiting for accepted"
	default:
		return "waiting for hangup-ack and ended"
	}
}

// start dials the next call, or queues the pair while the pacer holds it.
func (p *pair) start(l *loop) {
	p.state = pIdle
	if p.dead || !l.now.Before(p.until) {
		return
	}
	if l.pace != nil && !l.pace.take(l.now) {
		l.pace.waiting = append(l.pace.waiting, p)
		return
	}
	p.dial(l)
}

func (p *pair) dial(l *loop) {
	p.state, p.got = pDialing, 0
	p.call, p.incoming = p.call[:0], p.incoming[:0]
	p.t0 = l.now
	p.a.seq++
	p.dialSeq = p.a.seq
	l.pbuf = appendDial(l.pbuf[:0], p.dialSeq, p.b.number)
	l.send(p.a, l.pbuf)
}

func (p *pair) message(l *loop, c *conn, m *inMsg) {
	if p.dead {
		return
	}
	var err error
	if c.callee {
		err = p.callee(l, m)
	} else {
		err = p.caller(l, m)
	}
	if err != nil {
		p.fail(l, fmt.Errorf("%s: %w", c.number, err))
	}
}

func (p *pair) caller(l *loop, m *inMsg) error {
	switch {
	case p.state == pDialing && p.got&gotRinging == 0 && m.re == p.dialSeq:
		if !m.is(wire.TypeRinging) {
			return fmt.Errorf("dial answered %s", m.describe())
		}
		p.call = append(p.call[:0], m.call...)
		p.got |= gotRinging
		return p.accept(l)
	case p.state == pAccepting && p.got&gotAcceptedA == 0 && m.is(wire.TypeAccepted) && bytes.Equal(m.call, p.call):
		p.setup = l.now.Sub(p.t0)
		p.got |= gotAcceptedA
		p.hangup(l)
		return nil
	case p.state == pHanging && p.got&gotHangupAck == 0 && m.re == p.hangSeq:
		if !m.is(wire.TypeHangupAck) || !bytes.Equal(m.call, p.call) {
			return fmt.Errorf("hangup answered %s for call %q", m.describe(), m.call)
		}
		p.got |= gotHangupAck
		p.done(l)
		return nil
	}
	return p.unexpected(m)
}

func (p *pair) callee(l *loop, m *inMsg) error {
	switch {
	case p.state == pDialing && p.got&gotIncoming == 0 && m.is(wire.TypeIncoming):
		if string(m.from) != p.a.number {
			return fmt.Errorf("incoming from %s, not %s", m.from, p.a.number)
		}
		p.incoming = append(p.incoming[:0], m.call...)
		p.got |= gotIncoming
		return p.accept(l)
	case p.state == pAccepting && p.got&gotAcceptedB == 0 && m.is(wire.TypeAccepted) && bytes.Equal(m.call, p.call):
		p.got |= gotAcceptedB
		p.hangup(l)
		return nil
	case p.state == pHanging && p.got&gotEnded == 0 && m.is(wire.TypeEnded) && bytes.Equal(m.call, p.call):
		p.got |= gotEnded
		p.done(l)
		return nil
	}
	return p.unexpected(m)
}

func (p *pair) unexpected(m *inMsg) error {
	states := [...]string{pIdle: "between calls", pDialing: "dialling", pAccepting: "accepting", pHanging: "hanging up"}
	return fmt.Errorf("unexpected %s for call %q while %s call %q", m.describe(), m.call, states[p.state], p.call)
}

// accept answers once the callee has incoming and the caller ringing, for
// the same call.
func (p *pair) accept(l *loop) error {
	if p.got&(gotRinging|gotIncoming) != gotRinging|gotIncoming {
		return nil
	}
	if !bytes.Equal(p.call, p.incoming) {
		return errors.New("incoming " + string(p.incoming) + " is not the call dialled, " + string(p.call))
	}
	p.state = pAccepting
	p.b.seq++
	l.pbuf = appendCallMsg(l.pbuf[:0], wire.TypeAccept, p.b.seq, p.call)
	l.send(p.b, l.pbuf)
	return nil
}

// hangup hangs up once both parties have accepted, with their leases.
func (p *pair) hangup(l *loop) {
	if p.got&(gotAcceptedA|gotAcceptedB) != gotAcceptedA|gotAcceptedB {
		return
	}
	p.state = pHanging
	p.a.seq++
	p.hangSeq = p.a.seq
	l.pbuf = appendCallMsg(l.pbuf[:0], wire.TypeHangup, p.hangSeq, p.call)
	l.send(p.a, l.pbuf)
}

// done counts the call once the caller has hangup-ack and the callee
// ended, and starts the next.
func (p *pair) done(l *loop) {
	if p.got&(gotHangupAck|gotEnded) != gotHangupAck|gotEnded {
		return
	}
	if l.now.Before(p.until) {
		l.calls++
		p.lat = append(p.lat, p.setup)
	}
	p.start(l)
}

// pacer holds the calls to a rate (--rate), so that the server's CPU per
// set-up can be compared at the same offered load: its keepalive and
// commit costs are per second, and spread thinner the faster calls come.
type pacer struct {
	rate    float64 // calls a second
	start   time.Time
	started int64
	waiting []*pair // oldest first
}

// take says whether a call may start now: one at the start, and one more
// each 1/rate seconds.
func (pc *pacer) take(now time.Time) bool {
	allowed := int64(float64(now.Sub(pc.start))*pc.rate/float64(time.Second)+1e-6) + 1
	if pc.started >= allowed {
		return false
	}
	pc.started++
	return true
}

// release dials for the waiting pairs the rate now allows.
func (pc *pacer) release(l *loop) {
	n := 0
	for n < len(pc.waiting) && pc.take(l.now) {
		p := pc.waiting[n]
		n++
		if !p.dead && l.now.Before(p.until) {
			p.dial(l)
		}
	}
	pc.waiting = pc.waiting[:copy(pc.waiting, pc.waiting[n:])]
}
