package relay

import (
	"net"
	"net/netip"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// How long a socket trusts its cached peer set, and how often at most a
// datagram from or to a stranger makes it ask the server again. Ending a
// call or releasing a lease invalidates every cache at once (Relay.gen), so
// these bound only changes the server did not announce, such as a new call
// for a number that already relays another.
const (
	peerTTL     = time.Second
	peerRefetch = 100 * time.Millisecond
)

// leaseConn is an allocation's relay socket, bound on the lease. It is the
// enforcement point of the peer restriction on IP and port: pion/turn's own
// permissions are by IP only.
type leaseConn struct {
	// udp is not embedded: pion/turn must not reach an unchecked read or
	// write method.
	udp            *net.UDPConn
	in             *batchReader
	out            *batchWriter
	r              *Relay
	callID, number string
	lease, bound   netip.AddrPort
	ctr            *leaseCounters
	client         string // guarded by r.mu

	peers atomic.Pointer[peerSet]
	once  sync.Once

	// Datagrams held until pion/turn has a permission for them (hold.go).
	permitted    atomic.Pointer[[]netip.Addr] // peer IPs pion/turn has a permission for
	nheld        atomic.Int32                 // len(held), read without holdMu
	wake         atomic.Bool                  // a past read deadline was set to hand one over
	holdMu       sync.Mutex
	held         []heldDatagram
	readDeadline time.Time // the one pion/turn set

	// Channels relayed without pion/turn (channels.go).
	channels  atomic.Pointer[[]channel]
	chMu      sync.Mutex                  // serialises changes to channels
	udpClient atomic.Pointer[net.UDPAddr] // the client, when it is on UDP
	frame     []byte                      // ChannelData being framed; the read loop's
}

type peerSet struct {
	gen   uint64
	at    time.Time
	addrs []netip.AddrPort // the peers' leases and their secondary relay addresses
}

// ReadFrom returns the next datagram from a peer; others are dropped. One
// from a peer pion/turn has no permission for yet is held until it has.
func (c *leaseConn) ReadFrom(p []byte) (int, net.Addr, error) {
	for {
		if n, from, ok := c.release(p); ok {
			c.ctr.packetsIn.Add(1)
			c.ctr.bytesIn.Add(uint64(n))
			return n, net.UDPAddrFromAddrPort(from), nil
		}
		data, ua, err := c.in.read()
		if err != nil {
			if c.woken(err) {
				continue
			}
			return 0, nil, err
		}
		from := ua.AddrPort()
		from = netip.AddrPortFrom(from.Addr().Unmap(), from.Port())
		if !c.allowed(from) {
			c.r.stats.refuse(ReasonPacketIn)
			continue
		}
		if !c.permits(from.Addr()) {
			c.hold(data, from)
			continue
		}
		if c.relayToClient(data, from) {
			continue
		}
		// What pion/turn does with it must not hold up what is queued.
		c.in.flush()
		n := copy(p, data)
		c.ctr.packetsIn.Add(1)
		c.ctr.bytesIn.Add(uint64(n))
		return n, ua, nil
	}
}

// relayToClient sends a peer's datagram to a UDP client in its channel,
// if it has one for the peer, and reports whether it did.
func (c *leaseConn) relayToClient(data []byte, from netip.AddrPort) bool {
	cl := c.udpClient.Load()
	if cl == nil {
		return false
	}
	ch := c.channelByPeer(from)
	tc := c.r.turn.Load()
	if ch == nil || tc == nil {
		return false
	}
	c.ctr.packetsIn.Add(1)
	c.ctr.bytesIn.Add(uint64(len(data)))
	c.sendChannelData(ch, data, cl, tc)
	return true
}

// WriteTo sends p to a peer. A datagram to anything else is dropped and
// reported as sent, so that pion/turn does not log it as a socket error.
func (c *leaseConn) WriteTo(p []byte, addr net.Addr) (int, error) {
	ua, ok := addr.(*net.UDPAddr)
	if !ok {
		c.r.stats.refuse(ReasonPacketOut)
		return len(p), nil
	}
	if err := c.send(p, ua, nil); err != nil {
		return 0, err
	}
	return len(p), nil
}

// send sends p to ua if ua is a peer: queued on loop, the read loop
// relaying it, or at once without one.
func (c *leaseConn) send(p []byte, ua *net.UDPAddr, loop *batchReader) error {
	to := ua.AddrPort()
	to = netip.AddrPortFrom(to.Addr().Unmap(), to.Port())
	if !c.allowed(to) {
		c.r.stats.refuse(ReasonPacketOut)
		return nil
	}
	// Counted before sending, so that a peer that has the datagram can
	// already see it in Stats.
	c.ctr.packetsOut.Add(1)
	c.ctr.bytesOut.Add(uint64(len(p)))
	if loop == nil {
		return c.out.write(p, ua)
	}
	loop.queue(c.out, p, ua)
	return nil
}

// Close closes the socket; pion/turn's read loop then deletes the allocation.
func (c *leaseConn) Close() error {
	var err error
	c.once.Do(func() {
		err = c.udp.Close()
		c.r.unregister(c)
		c.r.log.Debug("relay socket closed", keyNumber, c.number, keyCallID, c.callID, keyRelay, c.bound.String())
	})
	return err
}

func (c *leaseConn) LocalAddr() net.Addr { return c.udp.LocalAddr() }

func (c *leaseConn) SetDeadline(t time.Time) error {
	c.holdMu.Lock()
	c.readDeadline = t
	c.holdMu.Unlock()
	return c.udp.SetDeadline(t)
}

func (c *leaseConn) SetReadDeadline(t time.Time) error {
	c.holdMu.Lock()
	c.readDeadline = t
	c.holdMu.Unlock()
	return c.udp.SetReadDeadline(t)
}

func (c *leaseConn) SetWriteDeadline(t time.Time) error { return c.udp.SetWriteDeadline(t) }

// allowed reports whether ap is one of the number's peers (IP and port).
func (c *leaseConn) allowed(ap netip.AddrPort) bool {
	s := c.peers.Load()
	gen := c.r.gen.Load()
	if s != nil && s.gen == gen {
		age := time.Since(s.at)
		if age < peerTTL && slices.Contains(s.addrs, ap) {
			return true
		}
		if age < peerRefetch {
			return false
		}
	}
	return slices.Contains(c.refreshPeers(gen).addrs, ap)
}

func (c *leaseConn) refreshPeers(gen uint64) *peerSet {
	leases := c.r.cfg.Calls.Peers(c.number)
	own := *c.r.own.Load()
	addrs := make([]netip.AddrPort, 0, len(leases))
	for _, l := range leases {
		l = netip.AddrPortFrom(l.Addr().Unmap(), l.Port())
		// A lease must never name the relay's own listener or the number's
		// own lease, whatever the server says.
		if slices.Contains(own, l) || l == c.lease {
			continue
		}
		addrs = append(addrs, l)
	}
	addrs = append(addrs, c.r.aliases(addrs)...)
	s := &peerSet{gen: gen, at: time.Now(), addrs: addrs}
	c.peers.Store(s)
	return s
}

// permit is the pion/turn permission handler. Permissions are by IP; the
// port is checked per datagram by leaseConn.
func (r *Relay) permit(client net.Addr, peerIP net.IP) bool {
	c := r.connForClient(clientKey(client))
	if c == nil {
		r.stats.refuse(ReasonNoAllocation)
		return false
	}
	ip, ok := netip.AddrFromSlice(peerIP)
	if !ok {
		r.stats.refuse(ReasonPeerOther)
		return false
	}
	ip = ip.Unmap()
	for _, p := range c.refreshPeers(r.gen.Load()).addrs {
		if p.Addr() == ip {
			return true
		}
	}
	why := r.classify(ip)
	r.stats.refuse(why)
	r.log.Debug("relay permission refused", keyNumber, c.number, keyCallID, c.callID, "peer", ip.String(), "reason", string(why))
	return false
}

var metadataIPs = []netip.Addr{
	netip.MustParseAddr("169.254.169.254"), // AWS, GCP, Azure, OpenStack
	netip.MustParseAddr("fd00:ec2::254"),   // AWS IPv6
}

// classify names why a non-peer IP was refused, most specific first.
func (r *Relay) classify(ip netip.Addr) Reason {
	switch {
	case slices.Contains(metadataIPs, ip):
		return ReasonPeerMetadata
	case r.isLeaseIP(ip):
		return ReasonPeerLease
	case slices.ContainsFunc(*r.own.Load(), func(a netip.AddrPort) bool { return a.Addr() == ip }):
		return ReasonPeerServer
	case ip.IsLoopback():
		return ReasonPeerLoopback
	case ip.IsLinkLocalUnicast(), ip.IsLinkLocalMulticast():
		return ReasonPeerLinkLocal
	case ip.IsPrivate():
		return ReasonPeerPrivate
	}
	return ReasonPeerOther
}
