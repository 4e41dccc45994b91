package switchboard

import (
	"time"

	"github.com/dialtone/dialtone/call/wire"
)

// A session keeps the messages it delivered so that a client whose
// connection failed can resume and get what it missed. The history is
// bounded four ways: by age (KeepHistory, trimmed on a timer as well as on
// each message), by count (MaxPending), by bytes per session
// (MaxHistoryBytes, oldest out first) and by bytes across the server
// (MaxHistoryTotal: past it a message is delivered but not kept).
//
// SDP stays out of it where a resume does not need it: a newer SDP of the
// same type in the same call replaces the older (the newer description is
// the one that counts), and when a call ends its SDP and ICE go. Neither
// counts as lost. A message dropped by a bound does: a resume whose last is
// older than it cannot be complete, so the server does not resume the
// session but registers the client afresh (registered without resumed),
// which ends the old session's calls.

// sent is a message kept for a resume.
type sent struct {
	sn   uint64
	m    *wire.Message // nil once dropped
	at   time.Time
	size int
}

// historyTotal counts the bytes every session's history holds.
type historyTotal struct{ bytes int }

// historyOverhead is what a kept message costs besides its variable fields:
// the struct, its JSON-free encoding and the slice slot.
const historyOverhead = 256

// size estimates what m holds in memory.
func size(m *wire.Message) int {
	n := historyOverhead + len(m.SDP) + len(m.Message) + len(m.Reason) + len(m.Call)
	if m.Candidate != nil {
		n += len(m.Candidate.Candidate) + 64
	}
	if m.Relay != nil {
		n += len(m.Relay.Username) + len(m.Relay.Credential) + 64
		for _, u := range m.Relay.URLs {
			n += len(u)
		}
	}
	return n
}

// keep adds a delivered message to s's history, within the bounds.
func (sb *Switchboard) keep(s *session, m *wire.Message, now time.Time) {
	if s.service || !sb.current(s) {
		return // services resume nothing; a dropped session is gone
	}
	switch m.Type {
	case wire.TypeSDP:
		if s.media == 0 {
			break
		}
		for i := len(s.history) - 1; i >= 0; i-- {
			if o := s.history[i].m; o != nil && o.Type == wire.TypeSDP && o.Call == m.Call && o.SDPType == m.SDPType {
				sb.drop(s, i)
				break // there is at most one: each replaced the one before
			}
		}
	case wire.TypeEnded, wire.TypeHangupAck:
		for i := 0; s.media > 0 && i < len(s.history); i++ {
			if o := s.history[i].m; o != nil && o.Call == m.Call && (o.Type == wire.TypeSDP || o.Type == wire.TypeICE) {
				sb.drop(s, i)
			}
		}
	}
	n := size(m)
	sb.trim(s, now.Add(-sb.cfg.KeepHistory), sb.cfg.MaxPending-1, sb.cfg.MaxHistoryBytes-n)
	if n > sb.cfg.MaxHistoryBytes || sb.hist.bytes+n > sb.cfg.MaxHistoryTotal {
		s.history = append(s.history, sent{sn: m.SN, at: now})
		s.lostSN = m.SN
		return
	}
	s.history = append(s.history, sent{sn: m.SN, m: m, at: now, size: n})
	s.histBytes += n
	if isMedia(m) {
		s.media++
	}
	sb.hist.bytes += n
}

func isMedia(m *wire.Message) bool {
	return m != nil && (m.Type == wire.TypeSDP || m.Type == wire.TypeICE)
}

// drop lets the message at i go without counting it lost.
func (sb *Switchboard) drop(s *session, i int) {
	e := &s.history[i]
	if isMedia(e.m) {
		s.media--
	}
	s.histBytes -= e.size
	sb.hist.bytes -= e.size
	e.m, e.size = nil, 0
}

// trim drops from the front of s's history what was sent before cutoff,
// and more until at most keep entries and keepBytes bytes are left.
func (sb *Switchboard) trim(s *session, cutoff time.Time, keep, keepBytes int) {
	h := s.history
	drop := 0
	for drop < len(h) && (h[drop].at.Before(cutoff) || len(h)-drop > keep || s.histBytes > keepBytes) {
		e := &h[drop]
		if e.m != nil {
			s.lostSN = max(s.lostSN, e.sn)
			sb.drop(s, drop)
		}
		drop++
	}
	if drop == 0 {
		return
	}
	clear(h[:drop]) // let the dropped messages go; append reallocates when full
	s.history = h[drop:]
	if len(s.history) == 0 {
		s.history = nil
	}
}

// forget releases a session's history when the session goes.
func (sb *Switchboard) forget(s *session) {
	sb.hist.bytes -= s.histBytes
	s.histBytes, s.media = 0, 0
	s.history = nil
}

// trimHistories trims every session by age, so an idle session does not
// hold what nobody will resume.
func (sb *Switchboard) trimHistories() {
	sb.locked(func(*effects) {
		cutoff := sb.cfg.Now().Add(-sb.cfg.KeepHistory)
		for _, s := range sb.allSessions() {
			sb.trim(s, cutoff, sb.cfg.MaxPending, sb.cfg.MaxHistoryBytes)
		}
	})
}

// HistoryStats is what the resume histories hold.
type HistoryStats struct {
	Bytes    int // across every session, as the bounds count them
	Messages int
}

// History reports what the resume histories hold.
func (sb *Switchboard) History() HistoryStats {
	sb.mu.Lock()
	defer sb.mu.Unlock()
	st := HistoryStats{Bytes: sb.hist.bytes}
	for _, s := range sb.allSessions() {
		for _, e := range s.history {
			if e.m != nil {
				st.Messages++
			}
		}
	}
	return st
}
