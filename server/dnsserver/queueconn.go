package dnsserver

import (
	"net"
	"net/netip"
	"sync"
	"time"
)

// slowQueue is how many queries may wait for the miekg/dns path; more are
// dropped, as a full socket buffer would drop them.
const slowQueue = 1024

// queueConn is the net.PacketConn the miekg/dns server reads from behind
// the UDP workers: the queries they hand over, whose replies it writes to
// the real socket from the address each query came to.
type queueConn struct {
	pc     *net.UDPConn
	q      chan queued
	done   chan struct{}
	once   sync.Once
	onDrop func()
}

type queued struct {
	b    []byte
	addr *queuedAddr
}

// queuedAddr is a client's address with the control message its reply
// needs (the local address to send from). It is what miekg/dns hands
// ServeDNS as RemoteAddr; netipAddr reads it through AddrPort.
type queuedAddr struct {
	*net.UDPAddr
	oob []byte
}

func newQueueConn(pc *net.UDPConn) *queueConn {
	return &queueConn{pc: pc, q: make(chan queued, slowQueue), done: make(chan struct{})}
}

// push queues a copy of query p from addr; oob is the reply's control
// message, also copied. It never blocks.
func (c *queueConn) push(p []byte, addr *net.UDPAddr, oob []byte) {
	if addr == nil {
		return
	}
	a := &queuedAddr{UDPAddr: net.UDPAddrFromAddrPort(addr.AddrPort())}
	if len(oob) > 0 {
		a.oob = append([]byte(nil), oob...)
	}
	select {
	case c.q <- queued{b: append([]byte(nil), p...), addr: a}:
	default:
		if c.onDrop != nil {
			c.onDrop()
		}
	}
}

func (c *queueConn) ReadFrom(b []byte) (int, net.Addr, error) {
	select {
	case p := <-c.q:
		return copy(b, p.b), p.addr, nil
	case <-c.done:
		return 0, nil, net.ErrClosed
	}
}

func (c *queueConn) WriteTo(b []byte, addr net.Addr) (int, error) {
	if a, ok := addr.(*queuedAddr); ok {
		n, _, err := c.pc.WriteMsgUDP(b, a.oob, a.UDPAddr)
		return n, err
	}
	return c.pc.WriteTo(b, addr)
}

// Close stops the reads; the socket is the workers' to close.
func (c *queueConn) Close() error {
	c.once.Do(func() { close(c.done) })
	return nil
}

func (c *queueConn) LocalAddr() net.Addr { return c.pc.LocalAddr() }

// SetReadDeadline: the miekg/dns server sets a deadline before each read,
// which a queue need not keep (it notices its shutdown by the close), and
// one in the past to stop reading when it shuts down, which is a Close.
func (c *queueConn) SetReadDeadline(t time.Time) error {
	if !t.IsZero() && !t.After(time.Now()) {
		return c.Close()
	}
	return nil
}

func (c *queueConn) SetDeadline(t time.Time) error    { return c.SetReadDeadline(t) }
func (c *queueConn) SetWriteDeadline(time.Time) error { return nil }

// AddrPort is the client's address, for netipAddr.
func (a *queuedAddr) AddrPort() netip.AddrPort { return a.UDPAddr.AddrPort() }
