package lease

import (
	"container/heap"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"time"
)

// Lease is an address bound to a number.
type Lease struct {
	Number   string         // the holder, opaque to the pool
	Addr     netip.AddrPort // the leased address
	Acquired time.Time      // when the number took the address
	Expires  time.Time      // the lease is gone from this instant unless renewed
	Refs     int            // Acquires not yet Released (calls the number is in)
}

// Stats is a snapshot of a pool.
type Stats struct {
	Capacity    uint64 // addresses in the pool: usable IPs (at most 2^62) × ports, saturated at 2^64-1
	InUse       int    // addresses bound to a number, counting expired leases not yet swept
	HeldDown    int    // addresses waiting out their hold-down
	Exhaustions uint64 // Acquires refused with ErrExhausted
}

// entry is a lease as the pool keeps it.
type entry struct {
	Lease
	idx   uint64 // IP index in the space
	slot  uint16 // port slot
	seq   uint64 // acquisition order, breaks ties in expiry order
	index int    // position in the expiry heap
}

// Pool leases addresses to numbers. Create it with New.
type Pool struct {
	ttl time.Duration
	now func() time.Time
	sp  space

	mu          sync.Mutex
	alloc       *allocator
	byNumber    map[string]*entry
	byAddr      map[netip.AddrPort]*entry
	expiry      expiryHeap
	seq         uint64
	exhaustions uint64
}

// New returns an empty pool over cfg's prefixes and ports.
func New(cfg Config) (*Pool, error) {
	cfg = cfg.withDefaults()
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	p := &Pool{
		ttl:      cfg.TTL,
		now:      cfg.Now,
		sp:       newSpace(cfg.Prefixes, cfg.PortLo, cfg.PortHi),
		byNumber: make(map[string]*entry),
		byAddr:   make(map[netip.AddrPort]*entry),
	}
	p.alloc = newAllocator(&p.sp, cfg.HoldDown)
	return p, nil
}

// Acquire leases an address to number for one more call. If the number
// already holds a live lease, that lease is reused: Refs goes up by one and
// it is renewed. Otherwise the number gets a free address with Refs 1 (an
// expired lease it still held is reclaimed first). It returns ErrExhausted
// when every address is leased or in hold-down, and ErrInvalid for an empty
// number.
func (p *Pool) Acquire(number string) (Lease, error) {
	if number == "" {
		return Lease{}, fmt.Errorf("leasing address: %w number: empty", ErrInvalid)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	now := p.now()
	p.alloc.expire(now)
	if e := p.byNumber[number]; e != nil {
		if now.Before(e.Expires) {
			e.Refs++
			p.extend(e, now)
			return e.Lease, nil
		}
		p.remove(e, now)
	}
	idx, slot, ok := p.alloc.take(now)
	if !ok {
		p.exhaustions++
		return Lease{}, fmt.Errorf("leasing address for %s: %w", number, ErrExhausted)
	}
	p.seq++
	e := &entry{
		Lease: Lease{
			Number:   number,
			Addr:     netip.AddrPortFrom(p.sp.ip(idx), p.sp.port(slot)),
			Acquired: now,
			Expires:  now.Add(p.ttl),
			Refs:     1,
		},
		idx:  idx,
		slot: slot,
		seq:  p.seq,
	}
	p.byNumber[number] = e
	p.byAddr[e.Addr] = e
	heap.Push(&p.expiry, e)
	return e.Lease, nil
}

// Release undoes one Acquire. When Refs reaches 0 the address goes into
// hold-down and the returned lease (with Refs 0) is the last word on it.
// ok is false when the number holds no live lease; an expired one is
// reclaimed on the way.
func (p *Pool) Release(number string) (l Lease, ok bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	now := p.now()
	p.alloc.expire(now)
	e := p.byNumber[number]
	if e == nil {
		return Lease{}, false
	}
	if !now.Before(e.Expires) {
		p.remove(e, now)
		return Lease{}, false
	}
	e.Refs--
	if e.Refs == 0 {
		p.remove(e, now)
	}
	return e.Lease, true
}

// Renew extends the number's lease to now+TTL. It returns ErrNoLease when
// the number holds no live lease; an expired one is reclaimed on the way,
// since its holder has to Acquire again.
func (p *Pool) Renew(number string) (Lease, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	now := p.now()
	p.alloc.expire(now)
	e := p.byNumber[number]
	if e != nil && !now.Before(e.Expires) {
		p.remove(e, now)
		e = nil
	}
	if e == nil {
		return Lease{}, fmt.Errorf("renewing lease for %s: %w", number, ErrNoLease)
	}
	p.extend(e, now)
	return e.Lease, nil
}

// Lookup returns the number's live lease.
func (p *Pool) Lookup(number string) (Lease, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.live(p.byNumber[number])
}

// ByAddr returns the live lease on address a.
func (p *Pool) ByAddr(a netip.AddrPort) (Lease, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.live(p.byAddr[a])
}

// Sweep reclaims at most max expired leases, the longest expired first,
// puts their addresses into hold-down and returns them. Its work is bounded
// by max (O(max·log n)); run it on a timer and again while it returns max
// leases.
func (p *Pool) Sweep(max int) []Lease {
	p.mu.Lock()
	defer p.mu.Unlock()
	now := p.now()
	p.alloc.expire(now)
	var out []Lease
	for len(out) < max && len(p.expiry) > 0 && !now.Before(p.expiry[0].Expires) {
		e := p.expiry[0]
		p.remove(e, now)
		out = append(out, e.Lease)
	}
	return out
}

// List returns the live leases sorted by number.
func (p *Pool) List() []Lease {
	p.mu.Lock()
	defer p.mu.Unlock()
	now := p.now()
	out := make([]Lease, 0, len(p.byNumber))
	for _, e := range p.byNumber {
		if now.Before(e.Expires) {
			out = append(out, e.Lease)
		}
	}
	slices.SortFunc(out, func(a, b Lease) int { return strings.Compare(a.Number, b.Number) })
	return out
}

// HoldDown is how long a released address waits before it is leased again.
func (p *Pool) HoldDown() time.Duration { return p.alloc.holdDown }

// Stats returns a snapshot of the pool's counters.
func (p *Pool) Stats() Stats {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.alloc.expire(p.now())
	return Stats{
		Capacity:    p.sp.capacity,
		InUse:       len(p.byNumber),
		HeldDown:    p.alloc.held.len(),
		Exhaustions: p.exhaustions,
	}
}

// live returns e's lease if e exists and has not expired.
func (p *Pool) live(e *entry) (Lease, bool) {
	if e == nil || !p.now().Before(e.Expires) {
		return Lease{}, false
	}
	return e.Lease, true
}

func (p *Pool) extend(e *entry, now time.Time) {
	e.Expires = now.Add(p.ttl)
	heap.Fix(&p.expiry, e.index)
}

// remove unbinds e and starts the hold-down of its address.
func (p *Pool) remove(e *entry, now time.Time) {
	delete(p.byNumber, e.Number)
	delete(p.byAddr, e.Addr)
	heap.Remove(&p.expiry, e.index)
	p.alloc.put(e.idx, e.slot, now)
}
