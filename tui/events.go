package tui

import (
	"context"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/dialtone/dialtone/call"
	"github.com/dialtone/dialtone/tui/book"
	"github.com/dialtone/dialtone/tui/pages/home"
	"github.com/dialtone/dialtone/tui/pages/summary"
)

// bell rings the terminal's bell.
var bell = tea.Raw("\a")

// onEvent applies one engine event and re-arms the wait for the next.
func (m *Model) onEvent(msg eventMsg) tea.Cmd {
	if !msg.ok {
		if !m.notices.rejected && !m.status.Err {
			m.status = home.Status{Text: "call engine stopped", Err: true}
		}
		if m.cur != nil {
			m.endCall(call.Event{Kind: call.EventError, Call: m.cur.id, Error: "the call engine stopped"})
		}
		m.phone = nil
		return nil
	}
	ev := msg.ev
	m.cfg.Logger.Debug("event", "event", ev.Kind, "call.id", ev.Call, "peer", ev.Peer)
	cmd := m.applyEvent(ev)
	return tea.Batch(cmd, waitEvent(m.phone.Events()))
}

func (m *Model) applyEvent(ev call.Event) tea.Cmd {
	switch ev.Kind {
	case call.EventRegistered:
		n := ev.Number
		if n == "" {
			n = m.cfg.Number
		}
		m.status = home.Status{Text: "online as " + m.c.FormatNumber(n), OK: true}
		if m.cfg.WebURL != "" {
			m.status.Text += " · browser phone " + m.cfg.WebURL
		}
		m.c.Services = ev.Services
		if m.c.Services == nil {
			m.c.Services = []call.Service{} // registered: the server answers none
		}
		return m.onRegisteredNotice()
	case call.EventDisconnected:
		m.onDisconnected(ev)
	case call.EventRetrying:
		m.onUnreachable(ev)
	case call.EventError:
		if ev.Call == "" && rejectedCodes[ev.Code] {
			m.onRejected(ev)
			return nil
		}
		return m.onFinal(ev)
	case call.EventMissed:
		for _, mc := range ev.Missed {
			m.c.Book.Add(book.Record{Number: mc.From, Direction: book.Missed, At: mc.At, Call: string(mc.Call)})
		}
		return m.save()
	case call.EventDialing, call.EventRinging:
		if m.isCurrent(ev.Call) {
			m.cur.id = ev.Call
			m.cur.ringing = m.cur.ringing || ev.Kind == call.EventRinging
		}
	case call.EventIncoming:
		return m.onIncoming(ev)
	case call.EventAccepted:
		if m.isCurrent(ev.Call) {
			return m.onAccepted(ev)
		}
	case call.EventConnected:
		if m.isCurrent(ev.Call) {
			m.cur.connected = true
		}
	case call.EventTrust:
		if m.isCurrent(ev.Call) {
			m.cur.trust = ev.Trust
		}
	case call.EventPeerCamera:
		if m.isCurrent(ev.Call) {
			m.cur.peerCameraOff = ev.Camera == "off"
		}
	case call.EventTone:
		if m.isCurrent(ev.Call) {
			m.cur.keysHeard = lastKeys(m.cur.keysHeard + ev.Digit)
		}
	case call.EventStats:
		if m.isCurrent(ev.Call) && ev.Stats != nil {
			m.cur.stats = ev.Stats
		}
	case call.EventRefused, call.EventUnavailable, call.EventBusy, call.EventNoAnswer,
		call.EventCancelled, call.EventEnded:
		return m.onFinal(ev)
	case call.EventLinked:
		return m.onLinked(ev)
	}
	return nil
}

// isCurrent reports whether id is the call on screen; a call we dialled
// whose ID we do not know yet adopts the first ID the engine reports.
func (m *Model) isCurrent(id call.ID) bool {
	if m.cur == nil {
		return false
	}
	if m.cur.id == "" && m.cur.outgoing {
		return id != "" && (m.ringing == nil || m.ringing.id != id)
	}
	return m.cur.id == id
}

// maxQueued bounds the incoming calls waiting behind the dialog's; the
// server lets few ring at once, so more is a misbehaving server.
const maxQueued = 8

func (m *Model) onIncoming(ev call.Event) tea.Cmd {
	in := &incomingCall{id: ev.Call, peer: ev.Peer, waiting: ev.Waiting || m.cur != nil, at: m.c.Now()}
	if m.ringing != nil && m.ringing.id != ev.Call {
		// One question at a time; the others wait their turn.
		if m.queuedAt(ev.Call) >= 0 {
			return nil
		}
		if len(m.queued) >= maxQueued {
			return m.engineCmd("refusing", ev.Call, func(p Phone) error { return p.Refuse(ev.Call) })
		}
		m.queued = append(m.queued, in)
		return nil
	}
	m.ringing = in
	if r := m.cfg.Ringer; r != nil {
		r.Start()
	}
	return bell
}

func (m *Model) queuedAt(id call.ID) int {
	for i, q := range m.queued {
		if q.id == id {
			return i
		}
	}
	return -1
}

// nextIncoming puts the oldest queued call in the dialog, if there is one
// and the dialog is free.
func (m *Model) nextIncoming() tea.Cmd {
	if m.ringing != nil || len(m.queued) == 0 {
		return nil
	}
	next := m.queued[0]
	m.queued = m.queued[1:]
	next.waiting = next.waiting || m.cur != nil
	m.ringing = next
	if r := m.cfg.Ringer; r != nil {
		r.Start()
	}
	return bell
}

func (m *Model) onAccepted(ev call.Event) tea.Cmd {
	c := m.cur
	c.id = ev.Call
	c.start = ev.Time
	if c.start.IsZero() {
		c.start = m.c.Now()
	}
	c.local, c.remote, c.media = ev.LocalLease, ev.RemoteLease, ev.Media
	return m.enterInCall()
}

// enterInCall shows the in-call screen with fresh panes and starts the
// video tick.
func (m *Model) enterInCall() tea.Cmd {
	if m.screen != ScreenInCall {
		m.cfg.Remote.Clear()
		m.incall.Remote.Clear()
		m.screen = ScreenInCall
	}
	return m.startTick()
}

// onFinal handles an event that ends a call: the dialog's call or ours.
func (m *Model) onFinal(ev call.Event) tea.Cmd {
	if i := m.queuedAt(ev.Call); i >= 0 {
		r := m.queued[i]
		m.queued = append(m.queued[:i], m.queued[i+1:]...)
		return m.missed(r, ev)
	}
	if m.ringing != nil && ev.Call == m.ringing.id {
		r := m.ringing
		m.stopRinging()
		return tea.Batch(m.missed(r, ev), m.nextIncoming())
	}
	if m.isCurrent(ev.Call) {
		return m.endCall(ev)
	}
	if ev.Kind == call.EventError && ev.Call == "" {
		m.home.SetError(ev.Error)
	}
	return nil
}

// missed records an incoming call that ended before we answered it.
func (m *Model) missed(r *incomingCall, ev call.Event) tea.Cmd {
	if ev.Kind == call.EventCancelled && ev.Device != "" { // answered on another device of ours
		m.home.SetNote(m.c.Label(r.peer) + " answered on " + ev.Device)
		return nil
	}
	if ev.Kind == call.EventCancelled || ev.Kind == call.EventEnded || ev.Kind == call.EventNoAnswer {
		m.c.Book.Add(book.Record{Number: r.peer, Direction: book.Missed, At: r.at, Call: string(r.id)})
		return m.save()
	}
	return nil
}

// endCall records the call, shows the summary, and forgets it.
func (m *Model) endCall(ev call.Event) tea.Cmd {
	c := m.cur
	m.cur = nil
	now := m.c.Now()
	var dur time.Duration
	if !c.start.IsZero() {
		dur = now.Sub(c.start)
		if ev.DurationS > 0 {
			dur = time.Duration(ev.DurationS * float64(time.Second))
		}
	}
	dir := book.Outgoing
	if !c.outgoing {
		dir = book.Incoming
	}
	at := c.dialedAt
	if at.IsZero() {
		at = c.start
	}
	m.c.Book.Add(book.Record{Number: c.peer, Direction: dir, At: at, Duration: dur.Round(time.Second), Result: string(ev.Kind), Call: string(c.id)})
	reason := endWords(ev, m.c.Label(c.peer), now.Sub(c.dialedAt), c.connected)
	stats := c.stats
	if ev.Stats != nil {
		stats = ev.Stats
	}
	trust := c.trust
	if ev.Trust != nil {
		trust = ev.Trust
	}
	m.summary = summary.Info{Label: m.c.Label(c.peer), Number: c.peer, Result: ev.Kind, Reason: reason,
		Duration: dur, Answered: !c.start.IsZero(), Stats: stats, Trust: trust}
	m.screen = ScreenSummary
	m.stats = false
	m.tickGen++ // stops the video tick
	return m.save()
}

func (m *Model) stopRinging() {
	m.ringing = nil
	if r := m.cfg.Ringer; r != nil {
		r.Stop()
	}
}

// dial starts a call to a normalised number.
func (m *Model) dial(number string) tea.Cmd {
	if m.cur != nil {
		return nil
	}
	if m.phone == nil {
		m.home.SetError("not connected to the server yet")
		return nil
	}
	if why := m.notices.offline; why != "" {
		m.home.SetError("can't call now: the server cannot be reached (" + why + ")")
		return nil
	}
	m.cur = &activeCall{peer: number, outgoing: true, dialedAt: m.c.Now()}
	m.screen = ScreenOutgoing
	m.home.SetInput("")
	p := m.phone
	return tea.Batch(m.startTick(), func() tea.Msg {
		ctx, cancel := context.WithTimeout(context.Background(), dialTimeout)
		defer cancel()
		id, err := p.Dial(ctx, number)
		return dialedMsg{number: number, id: id, err: err}
	})
}

func (m *Model) onDialed(msg dialedMsg) tea.Cmd {
	if m.cur == nil || !m.cur.outgoing || m.cur.peer != msg.number {
		if msg.err == nil && msg.id != "" {
			// The dial went through after the user was told it failed:
			// nobody is on this end of it.
			id := msg.id
			return m.engineCmd("hanging up", id, func(p Phone) error { return p.Hangup(id) })
		}
		return nil
	}
	if msg.err != nil && msg.id == "" {
		return m.endCall(call.Event{Kind: call.EventError, Call: m.cur.id, Error: msg.err.Error()})
	}
	// With an ID, even beside an error (unavailable, busy), the engine has
	// the call, and its events say how it ended and why.
	if m.cur.id == "" {
		m.cur.id = msg.id
	}
	if m.cur.hangingUp {
		return m.hangup()
	}
	return nil
}

// hangup ends (or cancels) the current call. The screen changes when the
// engine says the call ended; until the dial returns an ID there is nothing
// to hang up, so the wish is remembered.
func (m *Model) hangup() tea.Cmd {
	c := m.cur
	if c == nil {
		return nil
	}
	c.hangingUp = true
	if c.id == "" {
		return nil
	}
	id := c.id
	return m.engineCmd("hanging up", id, func(p Phone) error { return p.Hangup(id) })
}

func (m *Model) accept() tea.Cmd {
	r := m.ringing
	m.stopRinging()
	var cmds []tea.Cmd
	if m.cur != nil {
		// Call waiting: the call in progress ends and the new one is taken.
		old := m.cur
		cmds = append(cmds, m.endCall(call.Event{Kind: call.EventEnded, Call: old.id}))
		cmds = append(cmds, m.engineCmd("hanging up", old.id, func(p Phone) error { return p.Hangup(old.id) }))
	}
	m.cur = &activeCall{id: r.id, peer: r.peer, start: m.c.Now()}
	cmds = append(cmds, m.enterInCall(), m.engineCmd("accepting", r.id, func(p Phone) error { return p.Accept(r.id) }))
	if next := m.nextIncoming(); next != nil {
		cmds = append(cmds, next)
	}
	return tea.Sequence(cmds...)
}

func (m *Model) refuse() tea.Cmd {
	r := m.ringing
	m.stopRinging()
	m.c.Book.Add(book.Record{Number: r.peer, Direction: book.Incoming, At: r.at, Result: string(call.EventRefused), Call: string(r.id)})
	return tea.Batch(m.save(), m.engineCmd("refusing", r.id, func(p Phone) error { return p.Refuse(r.id) }), m.nextIncoming())
}

// engineCmd runs one engine call in a command and reports a failure.
func (m *Model) engineCmd(op string, id call.ID, f func(Phone) error) tea.Cmd {
	p := m.phone
	if p == nil {
		return nil
	}
	return func() tea.Msg {
		if err := f(p); err != nil {
			return engineErrMsg{op: op, id: id, err: err}
		}
		return nil
	}
}

func (m *Model) onEngineErr(msg engineErrMsg) {
	m.cfg.Logger.Error(msg.op, "call.id", msg.id, "err", msg.err)
	if msg.op == "hanging up" && m.cur != nil && m.cur.id == msg.id {
		// The engine no longer knows the call; do not leave the user in it.
		m.endCall(call.Event{Kind: call.EventEnded, Call: msg.id, Error: msg.err.Error()})
		return
	}
	if m.cur != nil && m.cur.id == msg.id && msg.op == "accepting" {
		m.endCall(call.Event{Kind: call.EventError, Call: msg.id, Error: msg.err.Error()})
		return
	}
	m.home.SetError(msg.op + ": " + msg.err.Error())
}

// quit ends the call in progress properly, then quits. Calls ringing for
// the user (the dialog, calls waiting behind it) are not refused: leaving
// is not declining. The engine, stopping, leaves them to the server, which
// ends them unanswered for their callers and keeps them as missed calls.
func (m *Model) quit() tea.Cmd {
	if m.quitting {
		return tea.Quit
	}
	m.quitting = true
	p := m.phone
	var end []func(Phone) error
	if c := m.cur; c != nil && c.id != "" {
		id := c.id
		end = append(end, func(p Phone) error { return p.Hangup(id) })
	}
	if m.ringing != nil {
		m.stopRinging()
	}
	m.queued = nil
	if p == nil || len(end) == 0 {
		return tea.Quit
	}
	return func() tea.Msg {
		done := make(chan struct{})
		go func() {
			defer close(done)
			for _, f := range end {
				_ = f(p)
			}
		}()
		select {
		case <-done:
		case <-time.After(hangupTimeout):
		}
		return tea.QuitMsg{}
	}
}
