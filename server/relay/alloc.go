package relay

import (
	"errors"
	"net"
	"net/netip"
	"syscall"
	"time"

	"github.com/pion/turn/v5"
)

// generator is the relay address generator: it binds a number's allocation
// on the number's lease.
type generator struct{ r *Relay }

func (generator) Validate() error { return nil }

func (g generator) AllocatePacketConn(conf turn.AllocateListenerConfig) (net.PacketConn, net.Addr, error) {
	if conf.UserID == "" {
		// pion/turn probes for a free even port, without a user, when a
		// client sends EVEN-PORT (RTP/RTCP pairs; WebRTC never does, coturn's
		// turnutils_uclient does at random). The lease fixes the port, so
		// the probe gets a socket-less placeholder on port 0, which is even,
		// and the allocation then takes the lease as any other. Refusing
		// (508, as RFC 8656 allows) would fail such clients for nothing.
		return placeholder{}, placeholder{}.LocalAddr(), nil
	}
	c, err := g.r.allocate(conf.UserID)
	if err != nil {
		return nil, nil, err
	}
	return c, net.UDPAddrFromAddrPort(c.bound), nil
}

// TCP relay allocations (RFC 6062) are not offered: media is UDP.
func (generator) AllocateListener(turn.AllocateListenerConfig) (net.Listener, net.Addr, error) {
	return nil, nil, errTCPRelay
}

func (generator) AllocateConn(turn.AllocateConnConfig) (net.Conn, error) { return nil, errTCPRelay }

// allocate binds the socket for userID's allocation.
//
// The lease port goes to the number's first allocation. A further one (the
// same number in a second call — call waiting — or ICE's second allocation
// during a restart) binds the lease IP with a kernel-chosen port: the lease
// still names the IP, and the peers' relays accept it because it is known
// here as an alias of the lease. Deployments that share one IP between
// leases keep the pool's port range outside net.ipv4.ip_local_port_range.
//
// The address family is the lease's, whatever the client requested.
func (r *Relay) allocate(userID string) (*leaseConn, error) {
	callID, number, ok := splitUserID(userID)
	if !ok {
		return nil, errUnknownUser
	}
	lease, ok := r.cfg.Calls.Lease(number)
	if !ok {
		r.stats.refuse(ReasonNoLease)
		return nil, errNoLease
	}
	lease = netip.AddrPortFrom(lease.Addr().Unmap(), lease.Port())

	c, err := r.bind(callID, number, lease)
	if err != nil {
		return nil, err
	}
	// The call may have ended, or the lease gone, between authentication and
	// now; EndCall and Release only close what is registered, so look again.
	if l, ok := r.cfg.Calls.Lease(number); !ok || l != lease || !r.cfg.Calls.Live(callID, number) {
		_ = c.Close()
		r.stats.refuse(ReasonCallNotLive)
		return nil, errNotLive
	}
	r.stats.allocsTotal.Add(1)
	return c, nil
}

func (r *Relay) bind(callID, number string, lease netip.AddrPort) (*leaseConn, error) {
	network := "udp4"
	if lease.Addr().Is6() {
		network = "udp6"
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return nil, errRelayClosing
	}
	held := 0
	for c := range r.conns {
		if c.callID == callID && c.number == number {
			held++
		}
	}
	if held >= r.cfg.MaxAllocations {
		r.stats.refuse(ReasonQuota)
		return nil, errQuota
	}
	uc, err := net.ListenUDP(network, net.UDPAddrFromAddrPort(lease))
	secondary := false
	if errors.Is(err, syscall.EADDRINUSE) {
		if r.byBound[lease] == nil {
			r.log.Warn("relay lease port taken by another process", keyLease, lease.String())
		}
		secondary = true
		uc, err = net.ListenUDP(network, net.UDPAddrFromAddrPort(netip.AddrPortFrom(lease.Addr(), 0)))
	}
	if err != nil {
		r.stats.refuse(ReasonBind)
		r.log.Warn("relay cannot bind lease", keyNumber, number, keyLease, lease.String(), "err", err)
		return nil, err
	}
	r.sizeBuffers(uc)
	bound := uc.LocalAddr().(*net.UDPAddr).AddrPort()
	bound = netip.AddrPortFrom(bound.Addr().Unmap(), bound.Port())
	if secondary {
		r.stats.secondary.Add(1)
	}
	rw := newBatchRW(uc)
	c := &leaseConn{
		udp: uc, in: newBatchReader(rw, 1, leaseBatch), out: newBatchWriter(rw),
		r: r, callID: callID, number: number,
		lease: lease, bound: bound, ctr: r.stats.lease(lease),
	}
	r.conns[c] = struct{}{}
	r.byBound[bound] = c
	r.gen.Add(1)
	return c, nil
}

// unregister forgets c; it is called once, when c closes.
func (r *Relay) unregister(c *leaseConn) {
	r.mu.Lock()
	delete(r.conns, c)
	if r.byBound[c.bound] == c {
		delete(r.byBound, c.bound)
	}
	if c.client != "" && r.byClient[c.client] == c {
		delete(r.byClient, c.client)
	}
	c.forgetUDPClient()
	r.mu.Unlock()
	r.gen.Add(1)
}

// aliases returns the relay addresses bound on those of leases that are
// not the lease itself (secondary allocations).
func (r *Relay) aliases(leases []netip.AddrPort) []netip.AddrPort {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []netip.AddrPort
	for c := range r.conns {
		if c.bound == c.lease {
			continue
		}
		for _, l := range leases {
			if c.lease == l {
				out = append(out, c.bound)
			}
		}
	}
	return out
}

// isLeaseIP reports whether ip is the IP of a lease with an allocation here.
func (r *Relay) isLeaseIP(ip netip.Addr) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	for c := range r.conns {
		if c.lease.Addr() == ip {
			return true
		}
	}
	return false
}

func (r *Relay) connForClient(key string) *leaseConn {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.byClient[key]
}

// placeholder is the socket-less answer to pion/turn's even-port probe; pion
// only reads its address and closes it.
type placeholder struct{}

func (placeholder) ReadFrom([]byte) (int, net.Addr, error)    { return 0, nil, net.ErrClosed }
func (placeholder) WriteTo(p []byte, _ net.Addr) (int, error) { return 0, net.ErrClosed }
func (placeholder) Close() error                              { return nil }
func (placeholder) LocalAddr() net.Addr                       { return &net.UDPAddr{IP: net.IPv4zero, Port: 0} }
func (placeholder) SetDeadline(time.Time) error               { return nil }
func (placeholder) SetReadDeadline(time.Time) error           { return nil }
func (placeholder) SetWriteDeadline(time.Time) error          { return nil }
