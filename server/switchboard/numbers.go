package switchboard

import (
	"sync"

	"github.com/dialtone/dialtone/call/number"
)

// numberSet is the numbers the server holds: every subscriber, service
// and number with SIP devices, for the number DNS and to tell offline
// from unknown. It has a lock of its own, a leaf below sb.mu, because the
// DNS asks it on every query and must not wait behind signalling, which
// holds sb.mu while it handles each message. Numbers are only added: a
// number stays bound to its keys for the server's life.
type numberSet struct {
	mu sync.RWMutex
	m  map[number.Number]struct{}
}

func newNumberSet() *numberSet { return &numberSet{m: make(map[number.Number]struct{})} }

func (s *numberSet) has(n number.Number) bool {
	s.mu.RLock()
	_, ok := s.m[n]
	s.mu.RUnlock()
	return ok
}

func (s *numberSet) add(n number.Number) {
	// A SIP party adds its number on every call; the read lock spares
	// the DNS a writer for the numbers already here.
	if s.has(n) {
		return
	}
	s.mu.Lock()
	s.m[n] = struct{}{}
	s.mu.Unlock()
}

func (s *numberSet) len() int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return len(s.m)
}

// each calls f for every number, in no order, with the set's read lock
// held: f must not add.
func (s *numberSet) each(f func(number.Number)) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	for n := range s.m {
		f(n)
	}
}
