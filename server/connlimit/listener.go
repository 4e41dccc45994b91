package connlimit

import (
	"errors"
	"log/slog"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// Listener is a net.Listener whose connections are counted against a
// Budget and its Limits. Refused connections are closed at once (with a
// reset, so that they leave no TIME_WAIT behind) and Accept moves on to
// the next.
type Listener struct {
	net.Listener
	b   *Budget
	lim Limits
	// Log, when set before the first Accept, receives a line per refusal
	// (Debug) and per descriptor shortage (Warn).
	Log *slog.Logger

	// guarded by b.mu
	perSource map[netip.Prefix]int
	open      int

	closeOnce sync.Once
	closed    chan struct{}

	accepted, perSourceRefused, shareRefused, budgetRefused, retries atomic.Uint64
}

// Stats are one listener's counters.
type Stats struct {
	Name   string
	Limits Limits
	// Open is the connections open now; Accepted counts those ever handed on.
	Open     int
	Accepted uint64
	// Refused counts connections closed at accept, by reason (RefusedX).
	Refused map[string]uint64
	// AcceptRetries counts Accept errors retried after a backoff (out of
	// descriptors, connection aborted before accept).
	AcceptRetries uint64
}

// Stats returns a snapshot of l's counters.
func (l *Listener) Stats() Stats {
	l.b.mu.Lock()
	open := l.open
	l.b.mu.Unlock()
	return Stats{
		Name: l.lim.Name, Limits: l.lim, Open: open, Accepted: l.accepted.Load(), AcceptRetries: l.retries.Load(),
		Refused: map[string]uint64{
			RefusedPerSource: l.perSourceRefused.Load(),
			RefusedShare:     l.shareRefused.Load(),
			RefusedBudget:    l.budgetRefused.Load(),
		},
	}
}

// Limits returns the limits l was made with.
func (l *Listener) Limits() Limits { return l.lim }

// Backoff bounds for retried Accept errors, as net/http's.
const (
	minBackoff = 5 * time.Millisecond
	maxBackoff = time.Second
)

// Accept returns the next connection within the limits.
func (l *Listener) Accept() (net.Conn, error) {
	var delay time.Duration
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			if !retryable(err) {
				return nil, err
			}
			l.retries.Add(1)
			delay = min(max(2*delay, minBackoff), maxBackoff)
			if l.Log != nil {
				l.Log.Warn("accepting a connection", "listener", l.lim.Name, "err", err, "retry_in", delay)
			}
			t := time.NewTimer(delay)
			select {
			case <-l.closed:
				t.Stop()
				return nil, net.ErrClosed
			case <-t.C:
			}
			continue
		}
		delay = 0
		src := Source(c.RemoteAddr())
		if why := l.b.admit(l, src); why != "" {
			l.refuse(c, why)
			continue
		}
		l.accepted.Add(1)
		return &Conn{Conn: c, l: l, src: src}, nil
	}
}

func (l *Listener) refuse(c net.Conn, why string) {
	switch why {
	case RefusedPerSource:
		l.perSourceRefused.Add(1)
	case RefusedShare:
		l.shareRefused.Add(1)
	default:
		l.budgetRefused.Add(1)
	}
	if l.Log != nil {
		l.Log.Debug("connection refused", "listener", l.lim.Name, "client.addr", c.RemoteAddr().String(), "reason", why)
	}
	if tc, ok := c.(*net.TCPConn); ok {
		_ = tc.SetLinger(0)
	}
	_ = c.Close()
}

// Close closes the listener; open connections stay open.
func (l *Listener) Close() error {
	l.closeOnce.Do(func() { close(l.closed) })
	return l.Listener.Close()
}

// retryable reports Accept errors that say nothing about the listener: the
// process is out of descriptors or memory for now, or one connection died
// in the backlog.
func retryable(err error) bool {
	for _, e := range []syscall.Errno{syscall.EMFILE, syscall.ENFILE, syscall.ENOBUFS, syscall.ENOMEM,
		syscall.ECONNABORTED, syscall.ECONNRESET} {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}

// Conn is an accepted connection; closing it gives its slot back.
type Conn struct {
	net.Conn
	l    *Listener
	src  netip.Prefix
	once sync.Once
}

// Close closes the connection and releases its slot once.
func (c *Conn) Close() error {
	err := c.Conn.Close()
	c.once.Do(func() { c.l.b.release(c.l, c.src) })
	return err
}

// NetConn returns the connection it wraps, as tls.Conn does.
func (c *Conn) NetConn() net.Conn { return c.Conn }

// Source is the key the connection is counted under.
func (c *Conn) Source() netip.Prefix { return c.src }
