package session

import (
	"context"
	"sort"
	"time"

	"github.com/dialtone/dialtone/call"
	"github.com/dialtone/dialtone/call/sigclient"
	"github.com/dialtone/dialtone/call/wire"
)

// Reasons the phone gives on its own (the server's are in call/wire).
const (
	ReasonMediaFailed    = "media-failed"
	ReasonSignallingLost = "signalling-lost"
	ReasonRefused        = "refused"
	ReasonUnavailable    = "unavailable"
	ReasonBusy           = "busy"
	ReasonNoAnswer       = "no-answer"
	ReasonCancelled      = "cancelled"
	ReasonHangup         = wire.ReasonHangup
	// ReasonServerLost: the call's media failed while the server could not
	// be reached (its relay carries the media, so it went with it).
	ReasonServerLost      = "server-lost"
	reasonResumeLostTrack = "lost-while-away"
)

// handle acts on one message from the signalling client.
func (p *Phone) handle(ctx context.Context, m *wire.Message) {
	if d := p.dials[m.Re]; m.Re != 0 && d != nil {
		delete(p.dials, m.Re)
		p.dialAnswered(ctx, d, m)
		return
	}
	id := call.ID(m.Call)
	rec := p.calls[id]
	switch m.Type {
	case sigclient.TypeDisconnected:
		p.registered = false
		p.emit(call.Event{Kind: call.EventDisconnected, Error: m.Message})
	case sigclient.TypeLinkSigned:
		p.emit(call.Event{Kind: call.EventLinked, Device: m.Device})
	case sigclient.TypeRetrying:
		p.registered, p.unreachable = false, m.Message
		p.emit(call.Event{Kind: call.EventRetrying, Error: m.Message, Retry: p.sig.NextAttempt()})
	case wire.TypeRegistered:
		p.onRegistered(m)
	case wire.TypePong:
		if m.Re != 0 && m.Re == p.reconcileRe {
			p.reconcile()
		}
	case wire.TypeIncoming:
		if rec != nil {
			return
		}
		waiting := m.Waiting || p.active() != nil
		now := p.now()
		p.calls[id] = &callRec{id: id, peer: m.From, state: call.StateIncoming, waiting: waiting, since: now, ringFrom: now}
		p.emit(call.Event{Kind: call.EventIncoming, Call: id, Peer: m.From, Waiting: waiting})
	case wire.TypeAccepted:
		if rec != nil && rec.state != call.StateActive {
			p.onAccepted(ctx, rec, m)
		}
	case wire.TypeRefused:
		p.outcome(rec, call.EventRefused, ReasonRefused, "")
	case wire.TypeNoAnswer:
		p.outcome(rec, call.EventNoAnswer, ReasonNoAnswer, "")
	case wire.TypeCancelled:
		if rec != nil && m.Reason == wire.ReasonAnsweredElsewhere {
			// Another device of our number took it: not a missed call.
			p.emit(call.Event{Kind: call.EventCancelled, Call: rec.id, Peer: rec.peer, Reason: m.Reason, Device: m.Device})
			p.end(rec, m.Reason, "")
			break
		}
		p.outcome(rec, call.EventCancelled, ReasonCancelled, m.Reason)
	case wire.TypeEnded:
		if rec != nil {
			p.end(rec, m.Reason, "")
		}
	case wire.TypeMediaState:
		if rec != nil && rec.state == call.StateActive {
			p.emit(call.Event{Kind: call.EventPeerCamera, Call: id, Peer: rec.peer, Camera: m.Camera})
		}
	case wire.TypeSDP:
		if rec != nil && rec.media != nil {
			p.onPeerSDP(rec, m)
		}
	case wire.TypeICE:
		if rec != nil && rec.media != nil && m.Candidate != nil {
			c := *m.Candidate
			rec.media.do(func(md Media) error { return md.HandleICE(c) })
		}
	case wire.TypeError:
		if p.quiet[m.Re] {
			// A media-state the server would not pass on (the call just
			// ended, say): nothing the user needs to hear.
			delete(p.quiet, m.Re)
			p.log.Debug("media-state not passed on", keyCall, id, "code", m.Code)
			return
		}
		if rec == nil && id != "" && m.Code == wire.CodeUnknownCall {
			// A late message (a candidate, a resent SDP) for a call that
			// has already ended here: the server agrees it is over.
			p.log.Debug("message for an ended call", keyCall, id, "re", m.Re)
			return
		}
		p.emit(call.Event{Kind: call.EventError, Call: id, Code: string(m.Code), Error: m.Message})
		if rec != nil && m.Code == wire.CodeUnknownCall {
			// The server no longer knows the call: it is over.
			p.end(rec, reasonResumeLostTrack, m.Message)
		}
	}
}

// dialAnswered handles the server's answer to one of our dials.
func (p *Phone) dialAnswered(ctx context.Context, d *dialReq, m *wire.Message) {
	id := call.ID(m.Call)
	switch m.Type {
	case wire.TypeRinging:
		p.calls[id] = &callRec{id: id, peer: d.to, state: call.StateRinging, outgoing: true, since: p.now(), ringFrom: d.sent}
		p.emit(call.Event{Kind: call.EventRinging, Call: id, Peer: d.to})
		d.res <- dialResult{id: id}
	case wire.TypeAccepted:
		// We dialled someone who was dialling us: the server joined the
		// two into their call.
		rec := p.calls[id]
		if rec == nil {
			rec = &callRec{id: id, peer: d.to, since: p.now()}
			p.calls[id] = rec
		}
		rec.ringFrom = d.sent
		p.onAccepted(ctx, rec, m)
		d.res <- dialResult{id: id}
	case wire.TypeUnavailable:
		p.emit(call.Event{Kind: call.EventUnavailable, Call: id, Peer: d.to, Reason: m.Reason})
		p.emit(call.Event{Kind: call.EventEnded, Call: id, Peer: d.to, Reason: ReasonUnavailable})
		d.res <- dialResult{id: id, err: ErrUnavailable}
	case wire.TypeBusy:
		p.emit(call.Event{Kind: call.EventBusy, Call: id, Peer: d.to})
		p.emit(call.Event{Kind: call.EventEnded, Call: id, Peer: d.to, Reason: ReasonBusy})
		d.res <- dialResult{id: id, err: ErrBusy}
	case wire.TypeError:
		p.emit(call.Event{Kind: call.EventError, Peer: d.to, Code: string(m.Code), Error: m.Message})
		d.res <- dialResult{err: &sigclient.ServerError{Code: m.Code, Message: m.Message}}
	default:
		p.log.Warn("unexpected answer to dial", "type", m.Type)
		d.res <- dialResult{id: id}
	}
}

func (p *Phone) onAccepted(ctx context.Context, rec *callRec, m *wire.Message) {
	rec.state, rec.since = call.StateActive, p.now()
	rec.localLease, rec.remoteLease = m.LocalLease, m.RemoteLease
	if rec.setupFrom.IsZero() {
		rec.setupFrom = rec.since
	}
	p.emit(call.Event{Kind: call.EventAccepted, Call: rec.id, Peer: rec.peer, LocalLease: m.LocalLease,
		RemoteLease: m.RemoteLease, Media: m.Media})
	p.startMedia(ctx, rec, m)
	p.sendCamera(rec)
}

// sendCamera tells the other party whether our camera sends pictures, so
// that it can say "camera off" rather than leave our last picture up.
func (p *Phone) sendCamera(rec *callRec) {
	state := wire.CameraOff
	if p.cameraOn && p.cfg.Camera != nil {
		state = wire.CameraOn
	}
	seq, err := p.sig.Send(&wire.Message{Type: wire.TypeMediaState, Call: wire.CallID(rec.id), Camera: state})
	if err == nil {
		if len(p.quiet) > 64 {
			clear(p.quiet) // replies that never came; forget them
		}
		p.quiet[seq] = true
	}
}

func (p *Phone) onRegistered(m *wire.Message) {
	if !m.Resumed {
		// A new session: whatever calls we held are gone on the server.
		p.endAll(ReasonSignallingLost, "the server did not keep the session")
	}
	p.registered, p.unreachable, p.number = true, "", m.Number
	if len(m.Chain) > 0 {
		chain := m.Chain
		p.chain.Store(&chain)
	}
	ev := call.Event{Kind: call.EventRegistered, Number: m.Number, Media: m.Media}
	for _, s := range m.Services {
		ev.Services = append(ev.Services, call.Service{Code: s.Code, Name: s.Name})
	}
	p.emit(ev)
	if len(m.Missed) > 0 {
		mi := call.Event{Kind: call.EventMissed}
		var last int64
		for _, x := range m.Missed {
			mi.Missed = append(mi.Missed, call.Missed{From: x.From, At: x.At, Call: call.ID(x.Call)})
			last = max(last, x.ID)
		}
		p.emit(mi)
		// The event is ours to deliver now (the TUI keeps it in its history,
		// the headless client prints it): the server need not send it again.
		p.sig.Send(&wire.Message{Type: wire.TypeMissedAck, ID: last})
	}
	if m.Resumed {
		// The replayed messages follow registered; a ping's pong comes
		// after them, and then any call still absent ended while we were
		// away without our hearing of it.
		p.serverCalls = map[call.ID]bool{}
		for _, c := range m.Calls {
			p.serverCalls[call.ID(c.Call)] = true
		}
		p.reconcileRe, _ = p.sig.Send(&wire.Message{Type: wire.TypePing})
	}
}

func (p *Phone) reconcile() {
	for id, rec := range p.calls {
		if !p.serverCalls[id] {
			p.end(rec, reasonResumeLostTrack, "")
		}
	}
	p.reconcileRe, p.serverCalls = 0, nil
}

// outcome ends a call that never connected, with its specific event first.
func (p *Phone) outcome(rec *callRec, kind call.EventKind, reason, detail string) {
	if rec == nil {
		return
	}
	p.emit(call.Event{Kind: kind, Call: rec.id, Peer: rec.peer, Reason: detail, Local: rec.local})
	p.end(rec, reason, "")
}

// hangup is the local party ending rec, in whatever way its state calls for.
func (p *Phone) hangup(rec *callRec) {
	rec.local = true
	switch rec.state {
	case call.StateIncoming:
		p.sig.Send(&wire.Message{Type: wire.TypeRefuse, Call: wire.CallID(rec.id)})
		p.outcome(rec, call.EventRefused, ReasonRefused, "")
	case call.StateDialing, call.StateRinging:
		p.sig.Send(&wire.Message{Type: wire.TypeCancel, Call: wire.CallID(rec.id)})
		p.outcome(rec, call.EventCancelled, ReasonCancelled, wire.ReasonCancelled)
	case call.StateActive:
		p.sig.Send(&wire.Message{Type: wire.TypeHangup, Call: wire.CallID(rec.id)})
		p.end(rec, ReasonHangup, "")
	}
}

// end closes rec's media and emits ended.
func (p *Phone) end(rec *callRec, reason, errText string) {
	if rec.state == call.StateEnded {
		return
	}
	ev := call.Event{Kind: call.EventEnded, Call: rec.id, Peer: rec.peer, Reason: reason, Error: errText, Local: rec.local, Trust: rec.trust}
	if !rec.connected.IsZero() {
		ev.DurationS = p.now().Sub(rec.connected).Seconds()
	}
	if rec.media != nil {
		st := p.callStats(rec)
		ev.Stats = &st
		rec.media.close()
	}
	rec.state = call.StateEnded
	delete(p.calls, rec.id)
	p.emit(ev)
}

// endAll ends every call, as the phone stops (reason ReasonHangup) or
// loses its session.
func (p *Phone) endAll(reason, errText string) {
	for _, rec := range p.sortedCalls() {
		switch {
		case reason == ReasonHangup && rec.state == call.StateIncoming:
			// Leaving is not refusing: the bye Run sends next ends the
			// ring unanswered (the caller hears no-answer) and the server
			// keeps it as this number's missed call.
			p.outcome(rec, call.EventCancelled, ReasonNoAnswer, wire.ReasonNoAnswer)
		case reason == ReasonHangup:
			p.hangup(rec)
		default:
			p.end(rec, reason, errText)
		}
	}
}

func (p *Phone) onMedia(n mediaNote) {
	rec := p.calls[n.id]
	if rec == nil || rec.state != call.StateActive {
		return
	}
	if n.err != nil {
		p.log.Warn("media failed; hanging up", keyCall, rec.id, "err", n.err, "registered", p.registered)
		p.sig.Send(&wire.Message{Type: wire.TypeHangup, Call: wire.CallID(rec.id)})
		reason := ReasonMediaFailed
		if !p.registered {
			reason = ReasonServerLost
		}
		p.end(rec, reason, n.err.Error())
		return
	}
	if n.digit != 0 {
		p.onTone(rec, n.digit)
	}
	if n.connected && rec.connected.IsZero() {
		rec.connected = p.now()
		p.emit(call.Event{Kind: call.EventConnected, Call: rec.id, Peer: rec.peer})
	}
}

func (p *Phone) callStats(rec *callRec) call.Stats {
	st, _ := rec.media.stats()
	if t, ok := rec.media.firstMedia(); ok && !rec.setupFrom.IsZero() {
		st.SetupMs = ms(t.Sub(rec.setupFrom))
	}
	if !rec.ringFrom.IsZero() && !rec.setupFrom.IsZero() {
		st.RingMs = ms(rec.setupFrom.Sub(rec.ringFrom))
	}
	st.Leases = call.LeaseStats{Local: rec.localLease, Remote: rec.remoteLease}
	st.Send.Muted = p.muted
	st.Send.CameraOn = p.cameraOn && p.cfg.Camera != nil
	return st
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func (p *Phone) emitStats() {
	for _, rec := range p.sortedCalls() {
		if rec.state == call.StateActive && rec.media != nil && !rec.connected.IsZero() {
			st := p.callStats(rec)
			p.emit(call.Event{Kind: call.EventStats, Call: rec.id, Peer: rec.peer, Stats: &st})
		}
	}
}

func (p *Phone) active() *callRec {
	for _, rec := range p.calls {
		if rec.state == call.StateActive {
			return rec
		}
	}
	return nil
}

func (p *Phone) sortedCalls() []*callRec {
	out := make([]*callRec, 0, len(p.calls))
	for _, r := range p.calls {
		out = append(out, r)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].since.Before(out[j].since) })
	return out
}

func sortCalls(cs []Call) {
	sort.Slice(cs, func(i, j int) bool { return cs[i].Since.Before(cs[j].Since) })
}
