package switchboard

import (
	"slices"
	"strings"

	"github.com/dialtone/dialtone/call/number"
	"github.com/dialtone/dialtone/call/wire"
)

// line is a number's presence: the sessions of its devices that are
// connected or in their grace period, and the calls the number takes part
// in. Call waiting and busy count a line's calls, not a device's; an
// incoming call rings on every device of the line.
type line struct {
	number number.Number
	// devices are the device sessions, in the order of their keys. A
	// short sorted list, not a map: a number has one device or a few
	// (MaxDevices), and a map of one was two objects and 256 bytes for
	// each of 18,000 idle clients, traced by the collector on every cycle.
	devices []*session
	calls   map[wire.CallID]*call
	service bool
}

// device returns the line's session for a device key, or nil.
func (l *line) device(key string) *session {
	for _, s := range l.devices {
		if s.key == key {
			return s
		}
	}
	return nil
}

// setDevice makes s the line's session for its key, replacing any other.
func (l *line) setDevice(s *session) {
	i, found := slices.BinarySearchFunc(l.devices, s.key, func(d *session, key string) int { return strings.Compare(d.key, key) })
	if found {
		l.devices[i] = s
		return
	}
	l.devices = slices.Insert(l.devices, i, s)
}

// removeDevice takes the session for key off the line.
func (l *line) removeDevice(key string) {
	l.devices = slices.DeleteFunc(l.devices, func(d *session) bool { return d.key == key })
	if len(l.devices) == 0 {
		l.devices = nil
	}
}

// lineOf returns n's line, making it if need be.
func (sb *Switchboard) lineOf(n number.Number) *line {
	l := sb.lines[n]
	if l == nil {
		l = &line{number: n}
		sb.lines[n] = l
	}
	return l
}

// sessions returns the line's sessions, in the order of their device keys.
func (l *line) sessions() []*session {
	return slices.Clone(l.devices)
}

// current reports whether s is still its device's session. It is asked for
// every message sent; the flag saves two map look-ups in maps as large as
// the registered clients (4 % of the server's CPU under call load, most of
// it cache misses).
func (sb *Switchboard) current(s *session) bool { return s.attached }

// allSessions returns every session of every line.
func (sb *Switchboard) allSessions() []*session {
	var out []*session
	for _, l := range sb.lines {
		for _, s := range l.devices {
			out = append(out, s)
		}
	}
	return out
}

// alertedOn reports whether cl rings on s.
func (cl *call) alertedOn(s *session) bool {
	for _, a := range cl.alerted {
		if a == s {
			return true
		}
	}
	return false
}

// unalert stops cl ringing on s.
func (cl *call) unalert(s *session) {
	for i, a := range cl.alerted {
		if a == s {
			cl.alerted = append(cl.alerted[:i:i], cl.alerted[i+1:]...)
			break
		}
	}
	delete(s.calls, cl.id)
}

// calleeSessions are the callee's sessions that hear about cl: every
// device it rings on, and the one that answered (the others are dropped
// from alerted once the answer has its leases).
func (cl *call) calleeSessions() []*session {
	if cl.to == nil || cl.alertedOn(cl.to) {
		return cl.alerted
	}
	return append(cl.alerted[:len(cl.alerted):len(cl.alerted)], cl.to)
}

// leave takes s out of cl because s is going (its grace ran out, it was
// replaced, said bye or was unlinked). A call still ringing on another
// device of the callee rings on there; otherwise the call ends for reason.
func (sb *Switchboard) leave(cl *call, s *session, reason string, skip *session, fx *effects) {
	if cl.state == stateRinging && s != cl.from && cl.alertedOn(s) && len(cl.alerted) > 1 {
		cl.unalert(s)
		return
	}
	sb.endCall(cl, reason, skip, fx)
}

// ringNewDevice rings s, a device of its number that registered afresh,
// for the calls already ringing for the number.
func (sb *Switchboard) ringNewDevice(s *session) {
	l := sb.lines[s.number]
	if l == nil || s.service {
		return
	}
	for _, cl := range sortedCalls(l.calls) {
		if cl.state != stateRinging || cl.callee != s.number || cl.alertedOn(s) {
			continue
		}
		cl.alerted = append(cl.alerted, s)
		addCall(&s.calls, cl)
		sb.send(s, &wire.Message{Type: wire.TypeIncoming, Call: cl.id, From: string(cl.caller), Waiting: len(l.calls) > 1})
	}
}

// addCall adds cl to a session's or a line's calls. The maps are made on
// the first call: most of the 18,000 clients of a busy server are idle,
// and an empty map for each session and line was two objects apiece for
// the collector to trace on every cycle. Reading and deleting need no map.
func addCall(m *map[wire.CallID]*call, cl *call) {
	if *m == nil {
		*m = make(map[wire.CallID]*call, 1)
	}
	(*m)[cl.id] = cl
}

// byID orders calls by ID. slices.SortFunc, not sort.Slice: this sorts on
// every dial and registration, and sort.Slice allocated for its swapper
// and its closure even for one element.
func byID(a, b *call) int { return strings.Compare(string(a.id), string(b.id)) }

func sortedCalls(m map[wire.CallID]*call) []*call {
	cs := make([]*call, 0, len(m))
	for _, c := range m {
		cs = append(cs, c)
	}
	slices.SortFunc(cs, byID)
	return cs
}

// calleeVia is the network of the callee's device that answered, or, while
// the call rings, of a device it rings on through a gateway.
func (cl *call) calleeVia() string {
	if cl.to != nil {
		return cl.to.via
	}
	for _, a := range cl.alerted {
		if a.via != "" {
			return a.via
		}
	}
	return ""
}
