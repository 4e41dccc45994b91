package lease

import (
	"encoding/binary"
	"fmt"
	"math/bits"
	"net/netip"
	"slices"
	"time"
)

// Held is an address a previous process of the server had leased, and from
// when its hold-down runs.
type Held struct {
	Addr  netip.AddrPort
	Since time.Time // when the address was released; the hold-down runs from here
}

// Restore puts addresses a previous process leased into hold-down, so that
// a restarted server does not hand a dead call's addresses to the next call
// at once: each stays held until Since plus the pool's hold-down. Addresses
// outside the pool and hold-downs already over are skipped; an address
// given twice is held until the later time. Restore must come before any
// Acquire: it returns ErrInvalid on a pool that has leased anything. It
// returns how many addresses it holds down.
func (p *Pool) Restore(held []Held) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	a := p.alloc
	if a.next != 0 || len(a.ips) != 0 || a.held.len() != 0 {
		return 0, fmt.Errorf("restoring hold-downs: %w pool: already in use", ErrInvalid)
	}
	now := p.now()
	type slotUntil struct {
		idx   uint64
		slot  uint16
		until time.Time
	}
	latest := make(map[netip.AddrPort]slotUntil)
	for _, h := range held {
		idx, slot, ok := p.sp.index(h.Addr)
		until := h.Since.Add(a.holdDown)
		if !ok || !now.Before(until) {
			continue
		}
		if old, dup := latest[h.Addr]; dup && !old.until.Before(until) {
			continue
		}
		latest[h.Addr] = slotUntil{idx, slot, until}
	}
	list := make([]slotUntil, 0, len(latest))
	for _, h := range latest {
		list = append(list, h)
	}
	// Hold-downs end in the order they were queued, so queue them by end.
	slices.SortFunc(list, func(x, y slotUntil) int {
		if c := x.until.Compare(y.until); c != 0 {
			return c
		}
		if x.idx != y.idx {
			return cmpUint(x.idx, y.idx)
		}
		return int(x.slot) - int(y.slot)
	})
	// Every slot of a restored IP below the highest held one that is not
	// held itself is ready: nobody holds it, and the IP's cursor moves past.
	byIP := make(map[uint64][]uint16)
	for _, h := range list {
		byIP[h.idx] = append(byIP[h.idx], h.slot)
	}
	for idx, slots := range byIP {
		s := &ipState{idx: idx, nextPort: int(slices.Max(slots)) + 1, held: len(slots)}
		taken := make(map[uint16]bool, len(slots))
		for _, k := range slots {
			taken[k] = true
		}
		for k := range s.nextPort {
			if !taken[uint16(k)] {
				s.ready.push(uint16(k))
			}
		}
		a.ips[idx] = s
		a.claimed[idx] = true
		if s.free(a.sp.ports) > 0 {
			s.idleQueued = true
			a.idle.push(idleIP{idx: idx, since: now})
		}
	}
	for _, h := range list {
		a.held.push(heldAddr{idx: h.idx, slot: h.slot, until: h.until})
	}
	return len(list), nil
}

func cmpUint(x, y uint64) int {
	if x < y {
		return -1
	}
	return 1
}

// index returns the IP index and port slot of a, and whether a is in the
// space.
func (s *space) index(a netip.AddrPort) (idx uint64, slot uint16, ok bool) {
	if a.Port() < s.portLo || int(a.Port()-s.portLo) >= s.ports {
		return 0, 0, false
	}
	ip := a.Addr().Unmap()
	for _, sp := range s.spans {
		off, ok := offset(sp.first, ip)
		if ok && off < sp.n {
			return sp.start + off, a.Port() - s.portLo, true
		}
	}
	return 0, 0, false
}

// offset returns b-a when b is at or after a in the same family and the
// difference fits in 64 bits.
func offset(a, b netip.Addr) (uint64, bool) {
	if a.Is4() != b.Is4() {
		return 0, false
	}
	if a.Is4() {
		x, y := a.As4(), b.As4()
		av, bv := binary.BigEndian.Uint32(x[:]), binary.BigEndian.Uint32(y[:])
		return uint64(bv - av), bv >= av
	}
	x, y := a.As16(), b.As16()
	lo, borrow := bits.Sub64(binary.BigEndian.Uint64(y[8:]), binary.BigEndian.Uint64(x[8:]), 0)
	hi, borrow := bits.Sub64(binary.BigEndian.Uint64(y[:8]), binary.BigEndian.Uint64(x[:8]), borrow)
	return lo, borrow == 0 && hi == 0
}
