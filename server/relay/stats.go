package relay

import (
	"net/netip"
	"sync"
	"sync/atomic"
)

// Reason says why the relay refused something. The server exports refusals
// as a counter labelled by reason.
type Reason string

// Refusal reasons.
const (
	ReasonCredentialMalformed Reason = "credential_malformed" // username does not parse
	ReasonCredentialExpired   Reason = "credential_expired"   // Allocate after Credentials.Expires
	ReasonCredentialIntegrity Reason = "credential_integrity" // wrong password (MESSAGE-INTEGRITY)
	ReasonCallNotLive         Reason = "call_not_live"        // call ended, or number not a party
	ReasonNoLease             Reason = "no_lease"             // number holds no lease
	ReasonQuota               Reason = "quota"                // too many allocations for (call, number)
	ReasonBind                Reason = "bind"                 // lease address could not be bound
	ReasonNoAllocation        Reason = "no_allocation"        // permission for an unknown client

	// Permissions (IP level, CreatePermission and ChannelBind) and packets
	// (IP and port, each datagram) to or from anything but a peer's lease.
	ReasonPeerLoopback  Reason = "peer_loopback"
	ReasonPeerPrivate   Reason = "peer_private"
	ReasonPeerLinkLocal Reason = "peer_link_local"
	ReasonPeerMetadata  Reason = "peer_metadata" // 169.254.169.254, fd00:ec2::254
	ReasonPeerServer    Reason = "peer_server"   // the relay's own listening addresses
	ReasonPeerLease     Reason = "peer_lease"    // a lease, but not one of the number's peers
	ReasonPeerOther     Reason = "peer_other"    // any other address not a peer (multicast, public, unspecified)
	ReasonPacketIn      Reason = "packet_in"     // datagram to a lease from a non-peer
	ReasonPacketOut     Reason = "packet_out"    // datagram from a lease to a non-peer
)

// Stats is a snapshot of the relay's counters.
type Stats struct {
	Allocations      int    // live allocations
	AllocationsTotal uint64 // allocations ever granted
	// SecondaryAllocations counts allocations that found the lease port
	// taken (the number's other call, or ICE's second allocation) and were
	// bound on the lease IP with a kernel-chosen port.
	SecondaryAllocations uint64
	// Held counts datagrams from a peer held because they came before the
	// client's permission for the peer (ICE's first check, typically);
	// HeldDropped those of them dropped, unclaimed after 2s or over 8 per
	// allocation.
	Held, HeldDropped uint64
	// Leases holds per-lease traffic for leases that have had an allocation
	// since they were last released.
	Leases map[netip.AddrPort]LeaseStats
	// Total is the traffic relayed on all leases, released ones included.
	Total    LeaseStats
	Refusals map[Reason]uint64
	// TCP is TURN over TCP.
	TCP TCPStats
}

// TCPStats count TURN-over-TCP connections.
type TCPStats struct {
	// Open is the connections open now.
	Open int
	// Closed counts connections the relay closed, by reason
	// (TCPClosedFirstMessage, ...). Those the client closed are not counted.
	Closed map[string]uint64
}

// LeaseStats is the traffic relayed on one lease. "In" is from the peer to
// the lease (towards the client), "Out" is from the lease to the peer.
type LeaseStats struct {
	PacketsIn, PacketsOut uint64
	BytesIn, BytesOut     uint64
}

type leaseCounters struct {
	packetsIn, packetsOut atomic.Uint64
	bytesIn, bytesOut     atomic.Uint64
}

type stats struct {
	allocsTotal, secondary atomic.Uint64
	held, heldDropped      atomic.Uint64
	tcpOpen                atomic.Int64

	mu       sync.Mutex
	refusals map[Reason]uint64
	leases   map[netip.AddrPort]*leaseCounters
	retired  LeaseStats   // traffic of forgotten leases
	onRefuse func(Reason) // test hook
	tcp      map[string]uint64
}

func newStats() *stats {
	return &stats{refusals: map[Reason]uint64{}, leases: map[netip.AddrPort]*leaseCounters{}, tcp: map[string]uint64{}}
}

func (s *stats) tcpClosed(why string) {
	s.mu.Lock()
	s.tcp[why]++
	s.mu.Unlock()
}

func (s *stats) refuse(why Reason) {
	s.mu.Lock()
	s.refusals[why]++
	hook := s.onRefuse
	s.mu.Unlock()
	if hook != nil {
		hook(why)
	}
}

func (s *stats) lease(l netip.AddrPort) *leaseCounters {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.leases[l]
	if c == nil {
		c = &leaseCounters{}
		s.leases[l] = c
	}
	return c
}

func (s *stats) forget(l netip.AddrPort) {
	s.mu.Lock()
	if c := s.leases[l]; c != nil {
		s.retired = s.retired.add(c.snapshot())
		delete(s.leases, l)
	}
	s.mu.Unlock()
}

// Stats returns a snapshot of the relay's counters.
func (r *Relay) Stats() Stats {
	st := Stats{
		Allocations:          r.allocationCount(),
		AllocationsTotal:     r.stats.allocsTotal.Load(),
		SecondaryAllocations: r.stats.secondary.Load(),
		Held:                 r.stats.held.Load(),
		HeldDropped:          r.stats.heldDropped.Load(),
		Leases:               map[netip.AddrPort]LeaseStats{},
		Refusals:             map[Reason]uint64{},
		TCP:                  TCPStats{Open: int(r.stats.tcpOpen.Load()), Closed: map[string]uint64{}},
	}
	r.stats.mu.Lock()
	defer r.stats.mu.Unlock()
	for why, n := range r.stats.tcp {
		st.TCP.Closed[why] = n
	}
	for why, n := range r.stats.refusals {
		st.Refusals[why] = n
	}
	st.Total = r.stats.retired
	for l, c := range r.stats.leases {
		ls := c.snapshot()
		st.Leases[l] = ls
		st.Total = st.Total.add(ls)
	}
	return st
}

func (c *leaseCounters) snapshot() LeaseStats {
	return LeaseStats{
		PacketsIn: c.packetsIn.Load(), PacketsOut: c.packetsOut.Load(),
		BytesIn: c.bytesIn.Load(), BytesOut: c.bytesOut.Load(),
	}
}

func (a LeaseStats) add(b LeaseStats) LeaseStats {
	return LeaseStats{
		PacketsIn: a.PacketsIn + b.PacketsIn, PacketsOut: a.PacketsOut + b.PacketsOut,
		BytesIn: a.BytesIn + b.BytesIn, BytesOut: a.BytesOut + b.BytesOut,
	}
}
