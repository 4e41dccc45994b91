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

// ring is a session's history, oldest first. A slice trimmed at the front
// and appended at the back lost its front capacity with every message, so a
// busy session's full history (MaxPending) was copied into a new array
// every few hundred messages: 800 bytes allocated per call set-up, a third
// of the switchboard's own allocation outside the messages. The ring keeps
// its buffer while the session has history, doubling it when full.
type ring struct {
	buf     []sent
	head, n int
}

func (r *ring) len() int { return r.n }

// at is the i-th oldest entry. The buffer's length is a power of two.
func (r *ring) at(i int) *sent { return &r.buf[(r.head+i)&(len(r.buf)-1)] }

func (r *ring) push(e sent) {
	if r.n == len(r.buf) {
		buf := make([]sent, max(4, 2*len(r.buf)))
		for i := range r.n {
			buf[i] = *r.at(i)
		}
		r.buf, r.head = buf, 0
	}
	*r.at(r.n) = e
	r.n++
}

// dropFront lets the k oldest entries go; an emptied ring lets its buffer
// go too, so an idle session holds none.
func (r *ring) dropFront(k int) {
	for i := range k {
		*r.at(i) = sent{}
	}
	r.n -= k
	if r.n == 0 {
		*r = ring{}
		return
	}
	r.head = (r.head + k) & (len(r.buf) - 1)
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
		for i := s.history.len() - 1; i >= 0; i-- {
			if o := s.history.at(i).m; o != nil && o.Type == wire.TypeSDP && o.Call == m.Call && o.SDPType == m.SDPType {
				sb.drop(s, i)
				break // there is at most one: each replaced the one before
			}
		}
	case wire.TypeEnded, wire.TypeHangupAck:
		for i := 0; s.media > 0 && i < s.history.len(); i++ {
			if o := s.history.at(i).m; o != nil && o.Call == m.Call && (o.Type == wire.TypeSDP || o.Type == wire.TypeICE) {
				sb.drop(s, i)
			}
		}
	}
	n := size(m)
	sb.trim(s, now.Add(-sb.cfg.KeepHistory), sb.cfg.MaxPending-1, sb.cfg.MaxHistoryBytes-n)
	if n > sb.cfg.MaxHistoryBytes || sb.hist.bytes+n > sb.cfg.MaxHistoryTotal {
		s.history.push(sent{sn: m.SN, at: now})
		s.lostSN = m.SN
		return
	}
	s.history.push(sent{sn: m.SN, m: m, at: now, size: n})
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
	e := s.history.at(i)
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
	h := &s.history
	drop := 0
	for drop < h.len() && (h.at(drop).at.Before(cutoff) || h.len()-drop > keep || s.histBytes > keepBytes) {
		if e := h.at(drop); e.m != nil {
			s.lostSN = max(s.lostSN, e.sn)
			sb.drop(s, drop)
		}
		drop++
	}
	h.dropFront(drop)
}

// forget releases a session's history when the session goes.
func (sb *Switchboard) forget(s *session) {
	sb.hist.bytes -= s.histBytes
	s.histBytes, s.media = 0, 0
	s.history = ring{}
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
		for i := range s.history.len() {
			if s.history.at(i).m != nil {
				st.Messages++
			}
		}
	}
	return st
}
