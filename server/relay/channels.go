package relay

import (
	"encoding/binary"
	"net"
	"net/netip"
	"slices"
)

// Media between a client and its peer travels in TURN channels (ChannelData,
// RFC 8656 section 12), and for each such datagram pion/turn looks up the
// allocation and the channel, logs at Debug (formatting the client's
// address whether or not Debug is on: UDPAddr.String was 4.5 % of the
// relay's profile) and writes. The relay mirrors the channels pion/turn
// binds (OnChannelCreated and OnChannelDeleted) on the allocation's socket
// and relays ChannelData over UDP itself, in the read loops it owns: from a
// client, turnConn hands it to the allocation's leaseConn.WriteTo; from a
// peer, leaseConn.ReadFrom frames it and writes it to the client. Both go
// through the same peer checks, counters and batches as before. Anything
// else (STUN, a channel it does not know, TURN over TCP) goes to pion/turn
// as before, so its errors and events are unchanged.

// channel is a channel binding of an allocation.
type channel struct {
	number uint16
	peer   *net.UDPAddr
	peerAP netip.AddrPort
}

func (c *leaseConn) channelByNumber(n uint16) *channel {
	chs := c.channels.Load()
	if chs == nil {
		return nil
	}
	for i := range *chs {
		if (*chs)[i].number == n {
			return &(*chs)[i]
		}
	}
	return nil
}

func (c *leaseConn) channelByPeer(ap netip.AddrPort) *channel {
	chs := c.channels.Load()
	if chs == nil {
		return nil
	}
	for i := range *chs {
		if (*chs)[i].peerAP == ap {
			return &(*chs)[i]
		}
	}
	return nil
}

// setChannel adds (add) or removes the channel n to peer.
func (c *leaseConn) setChannel(n uint16, peer *net.UDPAddr, add bool) {
	c.chMu.Lock()
	defer c.chMu.Unlock()
	var next []channel
	if old := c.channels.Load(); old != nil {
		next = slices.Clone(*old)
	}
	next = slices.DeleteFunc(next, func(ch channel) bool { return ch.number == n })
	if add {
		ap := peer.AddrPort()
		next = append(next, channel{number: n, peer: peer, peerAP: netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())})
	}
	c.channels.Store(&next)
}

func (r *Relay) onChannel(relayAddr, peer net.Addr, number uint16, add bool) {
	ua, ok := relayAddr.(*net.UDPAddr)
	if !ok {
		return
	}
	pa, ok := peer.(*net.UDPAddr)
	if !ok {
		return
	}
	bound := ua.AddrPort()
	bound = netip.AddrPortFrom(bound.Addr().Unmap(), bound.Port())
	r.mu.Lock()
	c := r.byBound[bound]
	r.mu.Unlock()
	if c != nil {
		c.setChannel(number, pa, add)
	}
}

func (r *Relay) onChannelCreated(_, _ net.Addr, _, _, _ string, relayAddr, peer net.Addr, number uint16) {
	r.onChannel(relayAddr, peer, number, true)
}

func (r *Relay) onChannelDeleted(_, _ net.Addr, _, _, _ string, relayAddr, peer net.Addr, number uint16) {
	r.onChannel(relayAddr, peer, number, false)
}

// udpKey is the key of a UDP client in Relay.udpClients.
func udpKey(a *net.UDPAddr) netip.AddrPort {
	ap := a.AddrPort()
	return netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
}

// relayChannelData relays a client's ChannelData datagram to the peer of
// its channel and reports whether it did; if not, pion/turn gets it.
func (r *Relay) relayChannelData(loop *batchReader, data []byte, from *net.UDPAddr) bool {
	if len(data) < 4 || data[0] < 0x40 || data[0] > 0x7f { // channels 0x4000-0x7FFF
		return false
	}
	n := int(binary.BigEndian.Uint16(data[2:4]))
	if n > len(data)-4 {
		return false
	}
	v, ok := r.udpClients.Load(udpKey(from))
	if !ok {
		return false
	}
	c := v.(*leaseConn)
	ch := c.channelByNumber(binary.BigEndian.Uint16(data[0:2]))
	if ch == nil {
		return false
	}
	c.send(data[4:4+n], ch.peer, loop)
	return true
}

// sendChannelData frames a peer's datagram for channel ch and writes it to
// the allocation's UDP client.
func (c *leaseConn) sendChannelData(ch *channel, data []byte, client *net.UDPAddr, tc *turnConn) {
	padded := (4 + len(data) + 3) &^ 3
	buf := slices.Grow(c.frame[:0], padded)[:padded]
	binary.BigEndian.PutUint16(buf[0:2], ch.number)
	binary.BigEndian.PutUint16(buf[2:4], uint16(len(data)))
	copy(buf[4:], data)
	clear(buf[4+len(data):])
	c.frame = buf
	c.in.queue(tc.out, buf, client)
}

// forgetUDPClient stops relaying ChannelData for c's client.
func (c *leaseConn) forgetUDPClient() {
	if ua := c.udpClient.Swap(nil); ua != nil {
		c.r.udpClients.CompareAndDelete(udpKey(ua), c)
	}
}
