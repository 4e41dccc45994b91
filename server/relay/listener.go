package relay

import (
	"net"
	"time"
)

// turnConn is the client-facing UDP socket as pion/turn sees it: read and
// written in batches (batch.go). pion/turn reads it from one goroutine.
type turnConn struct {
	r   *Relay
	udp *net.UDPConn
	in  *batchReader
	out *batchWriter
}

func newTurnConn(r *Relay, udp *net.UDPConn) *turnConn {
	rw := newBatchRW(udp)
	return &turnConn{r: r, udp: udp, in: newBatchReader(rw, listenerBatch, listenerBatch), out: newBatchWriter(rw)}
}

// ReadFrom returns the next datagram for pion/turn: ChannelData in a
// channel the relay knows it relays itself (channels.go).
func (c *turnConn) ReadFrom(p []byte) (int, net.Addr, error) {
	for {
		data, from, err := c.in.read()
		if err != nil {
			return 0, nil, err
		}
		if c.r.relayChannelData(c.in, data, from) {
			continue
		}
		// What pion/turn does with it must not hold up what is queued.
		c.in.flush()
		return copy(p, data), from, nil
	}
}

func (c *turnConn) WriteTo(p []byte, addr net.Addr) (int, error) {
	ua, ok := addr.(*net.UDPAddr)
	if !ok {
		return c.udp.WriteTo(p, addr)
	}
	if err := c.out.write(p, ua); err != nil {
		return 0, err
	}
	return len(p), nil
}

func (c *turnConn) Close() error                       { return c.udp.Close() }
func (c *turnConn) LocalAddr() net.Addr                { return c.udp.LocalAddr() }
func (c *turnConn) SetDeadline(t time.Time) error      { return c.udp.SetDeadline(t) }
func (c *turnConn) SetReadDeadline(t time.Time) error  { return c.udp.SetReadDeadline(t) }
func (c *turnConn) SetWriteDeadline(t time.Time) error { return c.udp.SetWriteDeadline(t) }
