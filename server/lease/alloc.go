package lease

import "time"

// allocator picks free addresses and runs hold-downs. It never scans the
// space: IPs at or past next have never been used, and every used IP that
// has a free port is queued, as idle (no number holds it) or busy (some
// number does); busy entries that went stale are dropped when reached. So a pick is O(1) amortised at any size and
// any fill; the bookkeeping lives only for IPs that are leased or in
// hold-down, or are queued as idle.
type allocator struct {
	sp       *space
	holdDown time.Duration

	next  uint64              // IPs from here on have never been used
	ips   map[uint64]*ipState // used IPs still leased, held or idle-queued
	idle  ring[idleIP]        // IPs no number holds, with a free port, oldest first
	busy  ring[*ipState]      // IPs some number holds, with a free port, round robin
	held  ring[heldAddr]      // addresses in hold-down, in release order
	inUse int

	// claimed are IPs at or past next that Restore put into use out of
	// order; the cursor steps over them.
	claimed map[uint64]bool
}

// ipState is what the allocator knows about one used IP.
type ipState struct {
	idx      uint64
	users    int          // addresses on this IP leased now
	held     int          // addresses on this IP in hold-down
	nextPort int          // port slots from here on have never been used on this IP
	ready    ring[uint16] // port slots back from hold-down, oldest first

	idleQueued, busyQueued bool // an entry for this IP is in idle / busy
}

// free reports how many ports on the IP can be leased now.
func (s *ipState) free(ports int) int { return ports - s.nextPort + s.ready.len() }

type idleIP struct {
	idx   uint64
	since time.Time // when it became free of holders (or got a free port back)
}

type heldAddr struct {
	idx   uint64
	slot  uint16
	until time.Time
}

func newAllocator(sp *space, holdDown time.Duration) *allocator {
	return &allocator{sp: sp, holdDown: holdDown, ips: make(map[uint64]*ipState), claimed: make(map[uint64]bool)}
}

// occupied counts the addresses that cannot be leased now (after expire).
func (a *allocator) occupied() uint64 { return uint64(a.inUse) + uint64(a.held.len()) }

// take picks a free address and marks it leased; ok is false when there is
// none. The caller runs expire first.
func (a *allocator) take(now time.Time) (idx uint64, slot uint16, ok bool) {
	if a.occupied() >= a.sp.capacity {
		return 0, 0, false
	}
	// An IP left idle for a hold-down beats a never-used one: it keeps the
	// state small on a huge prefix while giving a DNS cache of the old
	// holder's name time to lapse.
	if h, ok := a.idle.peek(); ok && !now.Before(h.since.Add(a.holdDown)) {
		return a.takeIdle()
	}
	for a.next < a.sp.ips && a.claimed[a.next] {
		delete(a.claimed, a.next)
		a.next++
	}
	if a.next < a.sp.ips {
		s := &ipState{idx: a.next}
		a.next++
		a.ips[s.idx] = s
		return a.use(s)
	}
	if a.idle.len() > 0 {
		return a.takeIdle()
	}
	for a.busy.len() > 0 {
		s := a.busy.pop()
		s.busyQueued = false
		// Entries go stale when the IP went idle, filled up, or was dropped.
		if a.ips[s.idx] == s && s.users > 0 && s.free(a.sp.ports) > 0 {
			return a.use(s) // use re-queues it at the back: round robin
		}
	}
	return 0, 0, false
}

func (a *allocator) takeIdle() (uint64, uint16, bool) {
	h := a.idle.pop()
	s := a.ips[h.idx]
	if s == nil {
		// Dropped when its last hold-down ended: every port is free.
		s = &ipState{idx: h.idx}
		a.ips[h.idx] = s
	}
	s.idleQueued = false
	return a.use(s)
}

// use leases a port on s, which has a free one.
func (a *allocator) use(s *ipState) (uint64, uint16, bool) {
	var slot uint16
	if s.ready.len() > 0 {
		slot = s.ready.pop()
	} else {
		slot = uint16(s.nextPort)
		s.nextPort++
	}
	s.users++
	a.inUse++
	if s.free(a.sp.ports) > 0 && !s.busyQueued {
		s.busyQueued = true
		a.busy.push(s)
	}
	return s.idx, slot, true
}

// put ends the lease of an address and starts its hold-down.
func (a *allocator) put(idx uint64, slot uint16, now time.Time) {
	s := a.ips[idx]
	s.users--
	s.held++
	a.inUse--
	a.held.push(heldAddr{idx: idx, slot: slot, until: now.Add(a.holdDown)})
	if s.users == 0 && s.free(a.sp.ports) > 0 && !s.idleQueued {
		s.idleQueued = true
		a.idle.push(idleIP{idx: idx, since: now})
	}
}

// expire ends the hold-downs that are over. Hold-downs end in release
// order; if the clock stepped back, a later entry waits behind an earlier
// one, which only lengthens its hold-down. Each address is expired once, so
// the cost is O(1) amortised per release.
func (a *allocator) expire(now time.Time) {
	for {
		h, ok := a.held.peek()
		if !ok || now.Before(h.until) {
			return
		}
		a.held.pop()
		s := a.ips[h.idx]
		s.held--
		s.ready.push(h.slot)
		switch {
		case s.users > 0:
			if !s.busyQueued {
				s.busyQueued = true
				a.busy.push(s)
			}
		default:
			if !s.idleQueued {
				s.idleQueued = true
				a.idle.push(idleIP{idx: h.idx, since: h.until})
			}
			if s.held == 0 {
				// Every port is free again: the idle entry is all that
				// needs remembering.
				delete(a.ips, h.idx)
			}
		}
	}
}
