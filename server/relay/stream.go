package relay

import (
	"errors"
	"net"
	"sync"
	"time"
)

// Why a TURN-over-TCP connection was closed by the relay's deadlines; the
// server exports them as a counter labelled by reason.
const (
	TCPClosedFirstMessage = "first_message" // no complete message within TCPMessageTimeout of connecting
	TCPClosedMessage      = "message"       // a later message begun and not finished within TCPMessageTimeout
	TCPClosedIdle         = "idle"          // no allocation and no message for TCPIdleTimeout
	TCPClosedWrite        = "write"         // the client took nothing it was sent for TCPWriteTimeout
	TCPClosedFraming      = "framing"       // bytes that are neither STUN nor ChannelData
)

// streamListener hands pion/turn connections that carry the relay's
// deadlines. pion/turn reads a TCP connection until it fails, with no
// deadline of its own, so without them two bytes and silence hold a
// descriptor for ever.
type streamListener struct {
	net.Listener
	r *Relay
}

func (l streamListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	s := &streamConn{Conn: c, r: l.r, key: clientKey(c.RemoteAddr())}
	l.r.trackStream(s, true)
	return s, nil
}

// streamConn is one TURN-over-TCP connection. Before each read it sets the
// deadline its state calls for, counting only the time spent waiting on
// the client (a busy relay that has bytes queued and not yet read must not
// blame the client for them):
//
//   - until the first message is complete, and in the middle of any later
//     one: TCPMessageTimeout;
//   - between messages, without an allocation: TCPIdleTimeout;
//   - between messages, with an allocation: none (the allocation's lifetime,
//     which the client must refresh, bounds it; when it ends the idle
//     deadline applies).
type streamConn struct {
	net.Conn
	r   *Relay
	key string

	mu        sync.Mutex
	f         framer
	waited    time.Duration // spent waiting on the client in the current phase
	reading   time.Time     // when the read in progress began to wait; zero when none
	allocs    int           // live allocations on this connection
	closeOnce sync.Once
}

func (c *streamConn) Read(p []byte) (int, error) {
	c.mu.Lock()
	c.reading = time.Now()
	c.armLocked(c.reading)
	c.mu.Unlock()
	n, err := c.Conn.Read(p)
	now := time.Now()
	c.mu.Lock()
	defer c.mu.Unlock()
	c.waited += now.Sub(c.reading)
	c.reading = time.Time{}
	if n > 0 {
		wasIn, frames := c.f.inMessage(), c.f.frames
		c.f.feed(p[:n])
		// A message completed, or a later one began: a new phase.
		if c.f.frames != frames || !wasIn && c.f.inMessage() && frames > 0 {
			c.waited = 0
		}
		if c.f.bad {
			c.r.stats.tcpClosed(TCPClosedFraming)
		}
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		c.r.stats.tcpClosed(c.phaseLocked())
		c.r.log.Debug("relay TCP connection timed out", keyClient, c.key, "phase", c.phaseLocked())
	}
	return n, err
}

// phaseLocked names the deadline that applies now.
func (c *streamConn) phaseLocked() string {
	switch {
	case c.f.frames == 0:
		return TCPClosedFirstMessage
	case c.f.inMessage():
		return TCPClosedMessage
	default:
		return TCPClosedIdle
	}
}

// armLocked sets the read deadline for the connection's state, now.
func (c *streamConn) armLocked(now time.Time) {
	var dl time.Time
	switch {
	case c.f.bad:
		dl = now // pion/turn is about to close it anyway
	case c.f.frames == 0, c.f.inMessage():
		dl = now.Add(c.r.cfg.TCPMessageTimeout - c.waited)
	case c.allocs == 0:
		dl = now.Add(c.r.cfg.TCPIdleTimeout - c.waited)
	}
	_ = c.Conn.SetReadDeadline(dl)
}

// Write bounds each write: a client that reads nothing would otherwise
// block pion/turn's read loop (which answers requests inline) for ever.
// Such a client is closed.
func (c *streamConn) Write(p []byte) (int, error) {
	_ = c.Conn.SetWriteDeadline(time.Now().Add(c.r.cfg.TCPWriteTimeout))
	n, err := c.Conn.Write(p)
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		c.r.stats.tcpClosed(TCPClosedWrite)
		_ = c.Close()
	}
	return n, err
}

// Close closes the connection; it stops counting as open before the client
// can see it closed.
func (c *streamConn) Close() error {
	c.closeOnce.Do(func() { c.r.trackStream(c, false) })
	return c.Conn.Close()
}

// allocated counts an allocation made (+1) or deleted (-1) on c. The last
// one going re-arms a read that waits without a deadline.
func (c *streamConn) allocated(delta int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.allocs = max(c.allocs+delta, 0)
	if c.allocs == 0 && !c.reading.IsZero() {
		// A read waiting without a deadline: the idle time starts now.
		c.waited = 0
		c.reading = time.Now()
		c.armLocked(c.reading)
	}
}

func (r *Relay) trackStream(c *streamConn, open bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if open {
		r.streams[c.key] = c
		r.stats.tcpOpen.Add(1)
	} else {
		if r.streams[c.key] == c {
			delete(r.streams, c.key)
		}
		r.stats.tcpOpen.Add(-1)
	}
}

// streamAllocated tells the TCP connection of client key, if it is one,
// that an allocation was made (+1) or deleted (-1) on it.
func (r *Relay) streamAllocated(key string, delta int) {
	r.mu.Lock()
	c := r.streams[key]
	r.mu.Unlock()
	if c != nil {
		c.allocated(delta)
	}
}
