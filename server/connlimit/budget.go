package connlimit

import (
	"fmt"
	"net"
	"net/netip"
	"sync"
)

// Budget is a number of connection slots shared by listeners. It is safe
// for concurrent use.
type Budget struct {
	total int // 0: unlimited

	mu  sync.Mutex
	lns []*Listener
	// used is the connections open on all listeners; guarded by mu.
	used int
}

// NewBudget returns a budget of total connections; total <= 0 is unlimited
// (per-source caps still apply).
func NewBudget(total int) *Budget {
	return &Budget{total: max(total, 0)}
}

// Total is the number of slots, 0 when unlimited.
func (b *Budget) Total() int { return b.total }

// Limits bound one listener. Zero values mean no limit of that kind.
type Limits struct {
	// Name labels the listener's counters ("signalling", "dns", ...).
	Name string
	// PerSource caps concurrent connections from one source: one IPv4
	// address, or one IPv6 /64.
	PerSource int
	// Max caps the budget's slots this listener may hold.
	Max int
	// Reserve is the slots kept for this listener: the others may not take
	// them even when the budget is otherwise full.
	Reserve int
}

// Listen wraps ln so that its connections count against the budget and lim.
// The returned Listener owns ln.
func (b *Budget) Listen(ln net.Listener, lim Limits) (*Listener, error) {
	l := &Listener{Listener: ln, b: b, lim: lim, perSource: map[netip.Prefix]int{}, closed: make(chan struct{})}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.total > 0 {
		reserved := lim.Reserve
		for _, o := range b.lns {
			reserved += o.lim.Reserve
		}
		if reserved > b.total {
			return nil, fmt.Errorf("adding %s's reserve of %d to a budget of %d: %w", lim.Name, lim.Reserve, b.total, ErrOverBudget)
		}
	}
	b.lns = append(b.lns, l)
	return l, nil
}

// Refusal reasons.
const (
	RefusedPerSource = "per_source" // the source has PerSource connections open
	RefusedShare     = "share"      // the listener holds Limits.Max slots
	RefusedBudget    = "budget"     // the budget is full, reserves counted
)

// admit takes a slot for a connection from src on l, or says why not.
func (b *Budget) admit(l *Listener, src netip.Prefix) string {
	b.mu.Lock()
	defer b.mu.Unlock()
	if l.lim.PerSource > 0 && l.perSource[src] >= l.lim.PerSource {
		return RefusedPerSource
	}
	if l.lim.Max > 0 && l.open >= l.lim.Max {
		return RefusedShare
	}
	if b.total > 0 {
		held := 0 // slots the other listeners keep in reserve and do not use
		for _, o := range b.lns {
			if o != l {
				held += max(o.lim.Reserve-o.open, 0)
			}
		}
		if b.used+held >= b.total {
			return RefusedBudget
		}
	}
	l.perSource[src]++
	l.open++
	b.used++
	return ""
}

// release gives back the slot of a connection from src on l.
func (b *Budget) release(l *Listener, src netip.Prefix) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if l.perSource[src]--; l.perSource[src] <= 0 {
		delete(l.perSource, src)
	}
	l.open--
	b.used--
}

// Source is the key a connection from addr is counted under: the IPv4
// address, or the IPv6 /64 (IPv4-mapped addresses count as IPv4). An
// address that does not parse is its own key.
func Source(addr net.Addr) netip.Prefix {
	var ap netip.AddrPort
	switch a := addr.(type) {
	case *net.TCPAddr:
		ap = a.AddrPort()
	case *net.UDPAddr:
		ap = a.AddrPort()
	default:
		if addr != nil {
			ap, _ = netip.ParseAddrPort(addr.String())
		}
	}
	return SourceOf(ap.Addr())
}

// SourceOf is Source for an IP.
func SourceOf(ip netip.Addr) netip.Prefix {
	ip = ip.Unmap()
	bits := 32
	if ip.Is6() {
		bits = 64
	}
	if !ip.IsValid() {
		return netip.Prefix{}
	}
	p, _ := ip.Prefix(bits)
	return p
}
