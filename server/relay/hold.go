package relay

import (
	"errors"
	"net"
	"net/netip"
	"os"
	"slices"
	"time"
)

// A call's two leases may exchange datagrams from the moment the call is
// accepted (leaseConn.allowed asks the server), but pion/turn delivers a
// datagram from a peer only once the client has created a permission for
// the peer's IP, and drops it before. ICE's first connectivity check is
// sent by the peer's relay as soon as the peer's own permission exists,
// which often is before this side's: pion's agent then waits for its 200 ms
// retransmission, and call set-up's tail with it. So a datagram that passes
// the relay's own peer check but for which pion/turn has no permission yet
// is held here, and handed to pion/turn the moment the permission is
// created (OnPermissionCreated). The peer restriction is unchanged: only the
// call's peers are held, and pion/turn still applies its permissions.
const (
	holdMax = 8               // datagrams held per allocation; more are dropped
	holdFor = 2 * time.Second // after which a held datagram is dropped
)

type heldDatagram struct {
	from netip.AddrPort
	at   time.Time
	data []byte
}

// wakePast is the read deadline that wakes a blocked ReadFrom.
var wakePast = time.Unix(1, 0)

// permits reports whether pion/turn holds a permission for ip on c.
func (c *leaseConn) permits(ip netip.Addr) bool {
	p := c.permitted.Load()
	return p != nil && slices.Contains(*p, ip)
}

// hold keeps a copy of a peer's datagram until pion/turn can take it.
func (c *leaseConn) hold(data []byte, from netip.AddrPort) {
	c.holdMu.Lock()
	defer c.holdMu.Unlock()
	if len(c.held) >= holdMax {
		c.r.stats.heldDropped.Add(1)
		return
	}
	c.held = append(c.held, heldDatagram{from: from, at: time.Now(), data: slices.Clone(data)})
	c.nheld.Add(1)
	c.r.stats.held.Add(1)
}

// release copies into p the oldest held datagram that pion/turn now has a
// permission for, dropping those held too long.
func (c *leaseConn) release(p []byte) (int, netip.AddrPort, bool) {
	if c.nheld.Load() == 0 {
		return 0, netip.AddrPort{}, false
	}
	c.holdMu.Lock()
	defer c.holdMu.Unlock()
	now := time.Now()
	c.held = slices.DeleteFunc(c.held, func(h heldDatagram) bool {
		stale := now.Sub(h.at) > holdFor
		if stale {
			c.r.stats.heldDropped.Add(1)
		}
		return stale
	})
	defer func() { c.nheld.Store(int32(len(c.held))) }()
	for i, h := range c.held {
		if c.permits(h.from.Addr()) {
			n := copy(p, h.data)
			c.held = slices.Delete(c.held, i, i+1)
			return n, h.from, true
		}
	}
	return 0, netip.AddrPort{}, false
}

// woken reports whether err is the wake-up setPermitted sets off, and if so
// restores the read deadline pion/turn asked for.
func (c *leaseConn) woken(err error) bool {
	if !errors.Is(err, os.ErrDeadlineExceeded) || !c.wake.Swap(false) {
		return false
	}
	c.holdMu.Lock()
	d := c.readDeadline
	c.holdMu.Unlock()
	_ = c.udp.SetReadDeadline(d)
	return true
}

// setPermitted records that pion/turn now holds a permission for ip on c and,
// if a datagram from ip is held, wakes ReadFrom to hand it over.
func (c *leaseConn) setPermitted(ip netip.Addr, add bool) {
	for {
		old := c.permitted.Load()
		var next []netip.Addr
		if old != nil {
			next = slices.Clone(*old)
		}
		next = slices.DeleteFunc(next, func(a netip.Addr) bool { return a == ip })
		if add {
			next = append(next, ip)
		}
		if c.permitted.CompareAndSwap(old, &next) {
			break
		}
	}
	if !add {
		return
	}
	c.holdMu.Lock()
	defer c.holdMu.Unlock()
	if slices.ContainsFunc(c.held, func(h heldDatagram) bool { return h.from.Addr() == ip }) {
		c.wake.Store(true)
		_ = c.udp.SetReadDeadline(wakePast)
	}
}

func (r *Relay) onPermission(relayAddr net.Addr, peer net.IP, add bool) {
	ua, ok := relayAddr.(*net.UDPAddr)
	if !ok {
		return
	}
	ip, ok := netip.AddrFromSlice(peer)
	if !ok {
		return
	}
	bound := ua.AddrPort()
	bound = netip.AddrPortFrom(bound.Addr().Unmap(), bound.Port())
	r.mu.Lock()
	c := r.byBound[bound]
	r.mu.Unlock()
	if c != nil {
		c.setPermitted(ip.Unmap(), add)
	}
}

func (r *Relay) onPermissionCreated(_, _ net.Addr, _, _, _ string, relayAddr net.Addr, peer net.IP) {
	r.onPermission(relayAddr, peer, true)
}

func (r *Relay) onPermissionDeleted(_, _ net.Addr, _, _, _ string, relayAddr net.Addr, peer net.IP) {
	r.onPermission(relayAddr, peer, false)
}
