package switchboard

import (
	"context"
	"time"

	"github.com/dialtone/dialtone/call/number"
	"github.com/dialtone/dialtone/call/wire"
	"github.com/dialtone/dialtone/server/lease"
	"github.com/dialtone/dialtone/server/store"
)

type callState int

const (
	stateRinging callState = iota
	stateActive
	stateEnded
)

func (s callState) String() string {
	return [...]string{"ringing", "active", "ended"}[s]
}

// call is one call between two numbers. from is the caller's device; the
// call rings on the callee's devices in alerted, and to is the one that
// answered (nil while it rings).
type call struct {
	id             wire.CallID
	caller, callee number.Number
	from, to       *session
	alerted        []*session
	state          callState
	ring           timer
	start, answer  time.Time
	callerLease    lease.Lease
	calleeLease    lease.Lease
	source         string // the caller's source (see DialLimits)
	ringCounted    bool   // counted in limits.ringing
}

func (c *call) other(s *session) *session {
	if s == c.from {
		return c.to
	}
	return c.from
}

func (c *call) info(n number.Number) wire.CallInfo {
	ci := wire.CallInfo{Call: c.id, Peer: string(c.caller), State: "incoming"}
	local, remote := c.calleeLease, c.callerLease
	if n == c.caller {
		ci.Peer, ci.State = string(c.callee), "ringing"
		local, remote = remote, local
	}
	if c.state == stateActive {
		ci.State = "active"
		ci.LocalLease, ci.RemoteLease = addrString(local.Addr), addrString(remote.Addr)
	}
	return ci
}

// dial starts a call from c's number to m.To.
func (sb *Switchboard) dial(c *Conn, m *wire.Message) {
	to, err := sb.canonical(m.To)
	if err != nil {
		c.reply(m, wire.CodeBadNumber, err.Error())
		return
	}
	sb.stats.dials.Add(1)
	sb.locked(func(fx *effects) {
		s := c.sess
		if to == s.number {
			c.reply(m, wire.CodeSelf, "that is your own number")
			return
		}
		if why := sb.limits.admitDial(s, to, sb.cfg.Now()); why != "" {
			sb.dialLimited(c, m, why)
			return
		}
		callee := sb.lines[to]
		online := callee != nil && len(callee.devices) > 0
		viaGateway := !online && (sb.reaches(to) || sb.routes(to))
		if !online && !viaGateway {
			sb.unavailable(s, m, to, fx)
			return
		}
		if online {
			if glare := findRinging(callee, s.number); glare != nil {
				// Both dialled each other: the second dial answers the
				// first, on the device that dialled.
				sb.takeCall(glare, s)
				sb.answer(glare, m.Seq, fx)
				return
			}
		}
		now := sb.cfg.Now()
		id := newCallID(now)
		own := sb.lineOf(s.number)
		if len(own.calls) >= sb.cfg.MaxCallsPerNumber {
			c.reply(m, wire.CodeWrongState, "you are in as many calls as you can be")
			return
		}
		if why := sb.limits.admitRinging(s); why != "" {
			sb.dialLimited(c, m, why)
			return
		}
		callee = sb.lineOf(to)
		if !sb.roomFor(callee, s) {
			sb.stats.busy.Add(1)
			sb.send(s, &wire.Message{Type: wire.TypeBusy, Re: m.Seq, Call: id, To: string(to)})
			cdr := store.CDR{CallID: string(id), Caller: string(s.number), Callee: string(to), Start: now}
			fx.record(sb, func(ctx context.Context) error {
				if err := sb.cfg.Store.StartCall(ctx, cdr); err != nil {
					return err
				}
				return sb.cfg.Store.EndCall(ctx, string(id), now, "busy")
			}, "busy call")
			return
		}
		alerted := callee.sessions()
		if viaGateway || sb.reaches(to) {
			// The number has SIP devices too (through the gateway), or
			// is beyond a trunk: they ring with its dialtone devices; the
			// first to answer takes the call.
			if party := sb.reach(to, s); party != nil {
				alerted = append(alerted, party)
			}
		}
		if len(alerted) == 0 {
			if len(callee.calls) == 0 {
				delete(sb.lines, to)
			}
			sb.unavailable(s, m, to, fx)
			return
		}
		cl := &call{id: id, caller: s.number, callee: to, from: s, start: now, alerted: alerted}
		sb.calls[id] = cl
		addCall(&s.calls, cl)
		addCall(&own.calls, cl)
		addCall(&callee.calls, cl)
		for _, a := range cl.alerted {
			addCall(&a.calls, cl)
		}
		sb.limits.ring(cl)
		waiting := len(callee.calls) > 1
		cl.ring = time.AfterFunc(sb.cfg.RingTimeout, func() { sb.ringTimeout(cl) })
		sb.send(s, &wire.Message{Type: wire.TypeRinging, Re: m.Seq, Call: id, Peer: string(to)})
		for _, a := range cl.alerted {
			sb.send(a, &wire.Message{Type: wire.TypeIncoming, Call: id, From: string(s.number), Waiting: waiting && a.via == ""})
		}
		cdr := store.CDR{CallID: string(id), Caller: string(s.number), Callee: string(to), Start: now}
		fx.record(sb, func(ctx context.Context) error { return sb.cfg.Store.StartCall(ctx, cdr) }, "call start")
		if sb.debug() {
			sb.log.Debug("ringing", keyCall, id, "from", s.number, "to", to)
		}
	})
}

// unavailable answers a dial to a number with no session.
func (sb *Switchboard) unavailable(s *session, m *wire.Message, to number.Number, fx *effects) {
	sb.stats.unavailable.Add(1)
	id := newCallID(sb.cfg.Now())
	reason := wire.ReasonUnknown
	if sb.registered.has(to) {
		reason = wire.ReasonOffline
	}
	sb.send(s, &wire.Message{Type: wire.TypeUnavailable, Re: m.Seq, Call: id, To: string(to), Reason: reason})
	if reason != wire.ReasonOffline || to.IsService() {
		return
	}
	now, from := sb.cfg.Now(), s.number
	cdr := store.CDR{CallID: string(id), Caller: string(from), Callee: string(to), Start: now}
	fx.record(sb, func(ctx context.Context) error {
		if err := sb.cfg.Store.StartCall(ctx, cdr); err != nil {
			return err
		}
		if err := sb.cfg.Store.EndCall(ctx, string(id), now, wire.ReasonOffline); err != nil {
			return err
		}
		_, err := sb.cfg.Store.AddMissed(ctx, store.MissedCall{To: string(to), From: string(from), At: now, CallID: string(id)})
		return err
	}, "missed call (offline)")
}

// canonical checks a number from the wire. A number the server knows was
// checked when it registered, so only strangers pay for the full parse.
func (sb *Switchboard) canonical(s string) (number.Number, error) {
	if sb.registered.has(number.Number(s)) {
		return number.Number(s), nil
	}
	return number.Canonical(s)
}

// findRinging returns a call from a's number to b that is still ringing
// (of several, the first by ID). It runs on every dial to a connected
// number, so it picks the least match itself instead of sorting the calls.
func findRinging(a *line, b number.Number) *call {
	var found *call
	for _, cl := range a.calls {
		if cl.state == stateRinging && cl.caller == a.number && cl.callee == b && (found == nil || cl.id < found.id) {
			found = cl
		}
	}
	return found
}

// takeCall makes s, a device of cl's callee, the one that answers it.
func (sb *Switchboard) takeCall(cl *call, s *session) {
	cl.to = s
	addCall(&s.calls, cl)
}

// partyCall finds m's call and checks that c's number takes part in it.
func (sb *Switchboard) partyCall(c *Conn, m *wire.Message) *call {
	cl := c.sess.calls[m.Call]
	if cl == nil {
		c.reply(m, wire.CodeUnknownCall, "you are in no call "+string(m.Call))
	}
	return cl
}

func (sb *Switchboard) accept(c *Conn, m *wire.Message) {
	sb.locked(func(fx *effects) {
		cl := sb.partyCall(c, m)
		if cl == nil {
			return
		}
		if cl.state != stateRinging || !cl.alertedOn(c.sess) {
			c.reply(m, wire.CodeWrongState, "only the callee accepts, while the call rings")
			return
		}
		sb.takeCall(cl, c.sess)
		sb.answer(cl, m.Seq, fx)
	})
}

// answer leases addresses for a ringing call — callee first, then caller, as
// in the patent — and tells both parties. re goes back to the callee (or to
// the caller, for a glare answer by dial).
func (sb *Switchboard) answer(cl *call, re uint64, fx *effects) {
	cl.ring.Stop()
	calleeLease, err := sb.cfg.Leases.Acquire(string(cl.callee))
	if err == nil {
		var callerErr error
		cl.callerLease, callerErr = sb.cfg.Leases.Acquire(string(cl.caller))
		if callerErr != nil {
			sb.cfg.Leases.Release(string(cl.callee))
			err = callerErr
		}
	}
	if err != nil {
		sb.stats.noCapacity.Add(1)
		sb.log.Warn("no address for a call", keyCall, cl.id, "err", err)
		sb.endCall(cl, wire.ReasonNoCapacity, nil, fx)
		return
	}
	cl.calleeLease = calleeLease
	cl.state = stateActive
	sb.limits.unring(cl)
	// The callee's other devices stop ringing: the first to accept has it.
	for _, o := range cl.alerted {
		if o != cl.to {
			delete(o.calls, cl.id)
			sb.send(o, &wire.Message{Type: wire.TypeCancelled, Call: cl.id, Reason: wire.ReasonAnsweredElsewhere, Device: cl.to.name})
		}
	}
	cl.alerted = nil
	cl.answer = sb.cfg.Now()
	sb.stats.accepted.Add(1)
	// Each address is formatted once, for both messages and the record.
	cLease, eLease := addrString(cl.callerLease.Addr), addrString(cl.calleeLease.Addr)
	callerMsg := sb.acceptedMsg(cl, cl.callee, cLease, eLease, true)
	calleeMsg := sb.acceptedMsg(cl, cl.caller, eLease, cLease, false)
	if re != 0 {
		calleeMsg.Re = re
	}
	sb.send(cl.from, callerMsg)
	sb.send(cl.to, calleeMsg)
	id, at := string(cl.id), cl.answer
	fx.record(sb, func(ctx context.Context) error { return sb.cfg.Store.AnswerCall(ctx, id, at, cLease, eLease) }, "call answer")
	if sb.debug() {
		sb.log.Debug("accepted", keyCall, cl.id, "caller."+keyLease, cLease, "callee."+keyLease, eLease)
	}
}

func (sb *Switchboard) acceptedMsg(cl *call, peer number.Number, local, remote string, offerer bool) *wire.Message {
	m := &wire.Message{Type: wire.TypeAccepted, Call: cl.id, Peer: string(peer),
		LocalLease: local, RemoteLease: remote, Media: sb.cfg.Media, Offerer: offerer}
	if sb.cfg.Relay != nil {
		self := cl.callee
		if offerer {
			self = cl.caller
		}
		cr := sb.cfg.Relay.Credentials(string(cl.id), string(self))
		m.Relay = &wire.Relay{URLs: sb.relayURLs(cr.URLs), Username: cr.Username, Credential: cr.Password, Expires: cr.Expires}
	}
	return m
}

func (sb *Switchboard) refuse(c *Conn, m *wire.Message) {
	sb.locked(func(fx *effects) {
		cl := sb.partyCall(c, m)
		if cl == nil {
			return
		}
		if cl.state != stateRinging || !cl.alertedOn(c.sess) {
			c.reply(m, wire.CodeWrongState, "only the callee refuses, while the call rings")
			return
		}
		sb.refuseOn(cl, c.sess, m.Seq, "", fx)
	})
}

// refuseOn takes s's refusal of cl. The call goes on ringing on the
// callee's other devices: it is refused when every device it rang on has
// refused (or gone), and otherwise rings out. s is answered refused (with
// reason, when it refused by hanging up) either way.
func (sb *Switchboard) refuseOn(cl *call, s *session, re uint64, reason string, fx *effects) {
	if len(cl.alerted) > 1 {
		cl.unalert(s)
	} else {
		sb.stats.refused.Add(1)
		sb.endCall(cl, wire.ReasonRefused, s, fx)
	}
	sb.send(s, &wire.Message{Type: wire.TypeRefused, Re: re, Call: cl.id, Reason: reason})
}

func (sb *Switchboard) cancel(c *Conn, m *wire.Message) {
	sb.locked(func(fx *effects) {
		cl := sb.partyCall(c, m)
		if cl == nil {
			return
		}
		if cl.state != stateRinging || cl.from != c.sess {
			c.reply(m, wire.CodeWrongState, "only the caller cancels, while the call rings")
			return
		}
		sb.stats.cancelled.Add(1)
		sb.endCall(cl, wire.ReasonCancelled, nil, fx)
		sb.send(c.sess, &wire.Message{Type: wire.TypeCancelled, Re: m.Seq, Call: cl.id, Reason: wire.ReasonCancelled})
	})
}

// hangup ends an active call. On a ringing call it means what the party
// could mean: the caller cancels, the callee refuses.
func (sb *Switchboard) hangup(c *Conn, m *wire.Message) {
	sb.locked(func(fx *effects) {
		cl := sb.partyCall(c, m)
		if cl == nil {
			return
		}
		reason, ack := wire.ReasonHangup, wire.TypeHangupAck
		if m.Reason == wire.ReasonMediaFailed && c.sess.via != "" && cl.state == stateActive {
			// The gateway's party could not agree media with its SIP
			// phone; the dialtone party is told so, not "hung up".
			reason = m.Reason
		}
		if cl.state == stateRinging {
			reason, ack = wire.ReasonCancelled, wire.TypeCancelled
			if cl.from != c.sess {
				sb.stats.hangups.Add(1)
				sb.refuseOn(cl, c.sess, m.Seq, wire.ReasonRefused, fx)
				return
			}
		}
		sb.stats.hangups.Add(1)
		sb.endCall(cl, reason, c.sess, fx)
		sb.send(c.sess, &wire.Message{Type: ack, Re: m.Seq, Call: cl.id, Reason: reason})
	})
}

func (sb *Switchboard) ringTimeout(cl *call) {
	sb.locked(func(fx *effects) {
		if cl.state != stateRinging {
			return
		}
		sb.stats.noAnswer.Add(1)
		sb.endCall(cl, wire.ReasonNoAnswer, nil, fx)
	})
}

// endCall ends cl for reason, tells each party what it needs to hear (but
// skip: the one that asked, who gets its own answer, or one who is no longer
// there), returns the leases, and records the end.
func (sb *Switchboard) endCall(cl *call, reason string, skip *session, fx *effects) {
	if cl.state == stateEnded {
		return
	}
	was := cl.state
	cl.state = stateEnded
	sb.limits.unring(cl)
	if cl.ring != nil {
		cl.ring.Stop()
	}
	delete(sb.calls, cl.id)
	delete(cl.from.calls, cl.id)
	callees := cl.calleeSessions()
	for _, s := range callees {
		delete(s.calls, cl.id)
	}
	for _, n := range [2]number.Number{cl.caller, cl.callee} {
		if l := sb.lines[n]; l != nil {
			delete(l.calls, cl.id)
			if len(l.calls) == 0 && len(l.devices) == 0 {
				delete(sb.lines, n)
			}
		}
	}

	// The leases go back before anyone hears the call is over, so that a
	// party told "ended" never finds its address still held.
	if was == stateActive {
		sb.releaseLeases(cl, fx)
	}
	// A message is made only for a party that hears it, and each its
	// own (send numbers it in the party's session).
	toCaller, toCallee := endNotices(was, reason)
	if toCaller.typ != "" && cl.from != skip {
		sb.send(cl.from, toCaller.message(cl.id))
	}
	if toCallee.typ != "" {
		for _, s := range callees {
			if s != skip {
				sb.send(s, toCallee.message(cl.id))
			}
		}
	}
	if reason == wire.ReasonPeerLost {
		sb.stats.peerLost.Add(1)
	}
	id, now, caller, callee := string(cl.id), sb.cfg.Now(), string(cl.caller), string(cl.callee)
	missed := was == stateRinging && !cl.callee.IsService() &&
		(reason == wire.ReasonCancelled || reason == wire.ReasonNoAnswer || reason == wire.ReasonPeerLost ||
			reason == wire.ReasonShutdown)
	fx.record(sb, func(ctx context.Context) error {
		if err := sb.cfg.Store.EndCall(ctx, id, now, reason); err != nil {
			return err
		}
		if missed {
			_, err := sb.cfg.Store.AddMissed(ctx, store.MissedCall{To: callee, From: caller, At: now, CallID: id})
			return err
		}
		return nil
	}, "call end")
	if sb.debug() {
		sb.log.Debug("call ended", keyCall, cl.id, "reason", reason)
	}
}

// endNotice is what one party hears when a call ends: a message of typ
// with reason, or nothing when typ is "" (it gets a direct answer
// instead).
type endNotice struct {
	typ    wire.Type
	reason string
}

func (n endNotice) message(id wire.CallID) *wire.Message {
	return &wire.Message{Type: n.typ, Call: id, Reason: n.reason}
}

// endNotices says what each party hears when a call ends.
func endNotices(was callState, reason string) (toCaller, toCallee endNotice) {
	ended := endNotice{wire.TypeEnded, reason}
	if was == stateActive {
		return ended, ended
	}
	switch reason {
	case wire.ReasonRefused:
		return endNotice{typ: wire.TypeRefused}, endNotice{}
	case wire.ReasonCancelled:
		return endNotice{}, endNotice{wire.TypeCancelled, reason}
	case wire.ReasonNoAnswer, wire.ReasonPeerLost:
		return endNotice{typ: wire.TypeNoAnswer}, endNotice{wire.TypeCancelled, reason}
	}
	return ended, ended
}

func (sb *Switchboard) releaseLeases(cl *call, fx *effects) {
	for _, n := range [2]number.Number{cl.callee, cl.caller} {
		l, ok := sb.cfg.Leases.Release(string(n))
		if ok && l.Refs == 0 && sb.cfg.Relay != nil {
			num := string(n)
			fx.add(func() { sb.cfg.Relay.Release(num) })
		}
	}
	if sb.cfg.Relay != nil {
		id := string(cl.id)
		fx.add(func() { sb.cfg.Relay.EndCall(id) })
	}
}
