//go:build linux

package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"time"

	"golang.org/x/sys/unix"
)

// loop drives every client of the tool from one goroutine over one epoll
// set: registrations, idle clients' keepalives and the calling pairs. A
// client is a descriptor and a small struct, not a goroutine: with one or
// two goroutines per connection (coder/websocket), the tool spent more of
// the machine's CPU on parking and waking them than on the protocol, and
// it shares the machine with the server it measures.
type loop struct {
	ep     int
	conns  []*conn // by descriptor
	events []unix.EpollEvent
	rbuf   []byte // what one read takes, shared by all connections
	pbuf   []byte // a message being written
	fbuf   []byte // its frame
	now    time.Time

	srv  unix.SockaddrInet4
	host string // the Host header
	path string
	src  *sources

	pings []*conn // registered clients by their next ping, oldest first
	ph    int     // pings[ph:] are waiting

	reg *batch // the registrations under way

	calls int64
	pace  *pacer // nil: every pair calls again at once

	// What went wrong after registration.
	idleLost int64
	failures int64
	reasons  []string
}

const maxReasons = 5

func newLoop(rawURL string, src *sources) (*loop, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, err
	}
	if u.Scheme != "ws" {
		return nil, fmt.Errorf("%s: the load tool speaks ws:// only (it measures the server, not TLS)", rawURL)
	}
	a, err := net.ResolveTCPAddr("tcp4", u.Host)
	if err != nil {
		return nil, fmt.Errorf("resolving %s: %w", u.Host, err)
	}
	ep, err := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
	if err != nil {
		return nil, os.NewSyscallError("epoll_create1", err)
	}
	l := &loop{
		ep: ep, events: make([]unix.EpollEvent, 256), rbuf: make([]byte, 64<<10),
		host: u.Host, path: u.RequestURI(), src: src,
	}
	l.srv.Port = a.Port
	copy(l.srv.Addr[:], a.IP.To4())
	return l, nil
}

// close closes every client and the epoll set.
func (l *loop) close() {
	for _, c := range l.conns {
		if c != nil {
			l.drop(c)
		}
	}
	unix.Close(l.ep)
}

// run handles events until done says so, ctx ends or the registrations
// under way fail.
func (l *loop) run(ctx context.Context, done func() bool) error {
	l.now = time.Now()
	for !done() {
		if err := ctx.Err(); err != nil {
			return err
		}
		if l.reg != nil && l.reg.err != nil {
			return l.reg.err
		}
		n, err := unix.EpollWait(l.ep, l.events, l.timeout())
		if err != nil && err != unix.EINTR {
			return os.NewSyscallError("epoll_wait", err)
		}
		l.now = time.Now()
		for _, ev := range l.events[:max(n, 0)] {
			l.event(ev)
		}
		l.keepalives()
		l.reg.expire(l)
		if l.pace != nil {
			l.pace.release(l)
		}
	}
	return nil
}

// runFor handles events for d.
func (l *loop) runFor(ctx context.Context, d time.Duration) error {
	end := time.Now().Add(d)
	return l.run(ctx, func() bool { return !l.now.Before(end) })
}

// timeout is how long epoll may wait: until the next ping, at most 20 ms,
// so that run's conditions are seen in time.
func (l *loop) timeout() int {
	d := 20 * time.Millisecond
	if l.pace != nil && len(l.pace.waiting) > 0 {
		d = time.Millisecond
	}
	if l.ph < len(l.pings) {
		d = min(d, l.pings[l.ph].nextPing.Sub(l.now))
	}
	return max(int(d/time.Millisecond), 0)
}

func (l *loop) event(ev unix.EpollEvent) {
	if int(ev.Fd) >= len(l.conns) {
		return
	}
	c := l.conns[ev.Fd]
	if c == nil {
		return
	}
	if ev.Events&(unix.EPOLLOUT|unix.EPOLLERR) != 0 && (c.state == stConnecting || len(c.out) > 0) {
		l.writable(c)
	}
	if ev.Events&(unix.EPOLLIN|unix.EPOLLHUP|unix.EPOLLERR) != 0 && !c.closed && c.state != stConnecting {
		l.readable(c)
	}
}

// connState is where a client is in its life.
type connState uint8

const (
	stConnecting connState = iota // TCP connect under way
	stUpgrading                   // HTTP upgrade sent
	stHello                       // hello sent, waiting for the challenge
	stProof                       // proof sent, waiting for registered
	stRegistered
)

// conn is one client.
type conn struct {
	fd     int
	state  connState
	closed bool
	number string
	seq    uint64
	in     []byte // the start of a frame whose rest has not come yet
	out    []byte // what the socket would not take yet

	reg *pending // while registering

	pair   *pair // nil for an idle client
	callee bool

	keepalive time.Duration
	nextPing  time.Time
	pongsOwed int
}

func (l *loop) add(c *conn, events uint32) error {
	for c.fd >= len(l.conns) {
		l.conns = append(l.conns, make([]*conn, len(l.conns)+1024)...)
	}
	l.conns[c.fd] = c
	return unix.EpollCtl(l.ep, unix.EPOLL_CTL_ADD, c.fd, &unix.EpollEvent{Events: events, Fd: int32(c.fd)})
}

func (l *loop) watch(c *conn, events uint32) {
	if err := unix.EpollCtl(l.ep, unix.EPOLL_CTL_MOD, c.fd, &unix.EpollEvent{Events: events, Fd: int32(c.fd)}); err != nil {
		l.lost(c, os.NewSyscallError("epoll_ctl", err))
	}
}

// drop closes c's socket.
func (l *loop) drop(c *conn) {
	if c.closed {
		return
	}
	c.closed = true
	l.conns[c.fd] = nil
	unix.Close(c.fd)
}

// lost handles a connection that ended or failed under the tool: a
// registration fails, a pair fails, an idle client is counted lost.
func (l *loop) lost(c *conn, err error) {
	if c.closed {
		return
	}
	l.drop(c)
	switch {
	case c.reg != nil:
		c.reg.batch.fail(fmt.Errorf("registering %s: %w", c.number, err))
	case c.pair != nil:
		c.pair.fail(l, fmt.Errorf("%s: %w", c.number, err))
	default:
		l.idleLost++
		l.reason(fmt.Sprintf("idle client %s: %v", c.number, err))
	}
}

func (l *loop) reason(s string) {
	if len(l.reasons) < maxReasons {
		l.reasons = append(l.reasons, s)
	}
}

// send writes one message (JSON in l.pbuf) to c in a frame.
func (l *loop) send(c *conn, p []byte) {
	l.fbuf = appendClientFrame(l.fbuf[:0], p)
	l.write(c, l.fbuf)
}

func (l *loop) write(c *conn, b []byte) {
	if c.closed {
		return
	}
	if len(c.out) > 0 {
		c.out = append(c.out, b...)
		return
	}
	n, err := unix.Write(c.fd, b)
	for err == unix.EINTR {
		n, err = unix.Write(c.fd, b)
	}
	if err == unix.EAGAIN {
		n, err = 0, nil
	}
	if err != nil {
		l.lost(c, os.NewSyscallError("write", err))
		return
	}
	if n < len(b) {
		c.out = append(c.out[:0], b[n:]...)
		l.watch(c, unix.EPOLLIN|unix.EPOLLOUT)
	}
}

func (l *loop) writable(c *conn) {
	if c.state == stConnecting {
		l.connected(c)
		return
	}
	n, err := unix.Write(c.fd, c.out)
	if err == unix.EAGAIN || err == unix.EINTR {
		return
	}
	if err != nil {
		l.lost(c, os.NewSyscallError("write", err))
		return
	}
	c.out = c.out[n:]
	if len(c.out) == 0 {
		c.out = nil
		l.watch(c, unix.EPOLLIN)
	}
}

func (l *loop) readable(c *conn) {
	n, err := unix.Read(c.fd, l.rbuf)
	if err == unix.EAGAIN || err == unix.EINTR {
		return
	}
	if err != nil {
		l.lost(c, os.NewSyscallError("read", err))
		return
	}
	if n == 0 {
		l.lost(c, errors.New("the server closed the connection"))
		return
	}
	data := l.rbuf[:n]
	if len(c.in) > 0 {
		c.in = append(c.in, data...)
		data = c.in
	}
	if c.state == stUpgrading {
		k, err := l.upgraded(c, data)
		if err != nil {
			l.lost(c, err)
			return
		}
		if k == 0 {
			if len(c.in) == 0 {
				c.in = append([]byte(nil), data...)
			}
			return
		}
		data = data[k:]
	}
	for !c.closed {
		f, k, err := parseServerFrame(data)
		if err != nil {
			l.lost(c, err)
			return
		}
		if k == 0 {
			break
		}
		data = data[k:]
		l.frame(c, f)
	}
	// Keep what is left of a frame for the next read.
	switch {
	case c.closed:
	case len(data) == 0:
		c.in = nil
	case len(c.in) > 0:
		c.in = append(c.in[:0], data...)
	default:
		c.in = append([]byte(nil), data...)
	}
}

func (l *loop) frame(c *conn, f serverFrame) {
	switch {
	case f.op == 0x8: // close
		l.lost(c, fmt.Errorf("the server closed the WebSocket (%q)", closeReason(f.payload)))
	case f.op == 0x9: // ping
		l.fbuf = appendMasked(l.fbuf[:0], 0x8a, f.payload)
		l.write(c, l.fbuf)
	case f.op == 0xa: // pong
	case f.op != 0x1 || !f.fin:
		l.lost(c, fmt.Errorf("the server sent a frame of opcode %d (fin %v); it sends whole text messages", f.op, f.fin))
	default:
		var m inMsg
		if err := decodeIn(f.payload, &m); err != nil {
			l.lost(c, fmt.Errorf("decoding %.200q: %w", f.payload, err))
			return
		}
		l.message(c, &m)
	}
}

func closeReason(p []byte) string {
	if len(p) < 2 {
		return ""
	}
	return fmt.Sprintf("%d %s", int(p[0])<<8|int(p[1]), p[2:])
}

func (l *loop) message(c *conn, m *inMsg) {
	switch c.state {
	case stHello:
		l.challenged(c, m)
	case stProof:
		l.registered(c, m)
	default:
		switch {
		case m.is("pong"):
			c.pongsOwed = 0
		case c.pair != nil:
			c.pair.message(l, c, m)
		default:
			l.lost(c, fmt.Errorf("an idle client got %s", m.describe()))
		}
	}
}

// keepalives pings every registered client whose time has come, as a
// phone does every keepalive_s the server asked for; the server closes
// a connection that sends nothing for three of them.
func (l *loop) keepalives() {
	for l.ph < len(l.pings) {
		c := l.pings[l.ph]
		if c.closed {
			l.ph++
			continue
		}
		if c.nextPing.After(l.now) {
			break
		}
		l.ph++
		if c.pongsOwed >= 2 {
			l.lost(c, errors.New("no pong for two keepalives"))
			continue
		}
		c.seq++
		c.pongsOwed++
		l.pbuf = appendPing(l.pbuf[:0], c.seq)
		l.send(c, l.pbuf)
		l.schedule(c)
	}
	// Reuse the queue's front once half of it is spent.
	if l.ph > 1024 && l.ph > len(l.pings)/2 {
		n := copy(l.pings, l.pings[l.ph:])
		clear(l.pings[n:])
		l.pings, l.ph = l.pings[:n], 0
	}
}

// schedule queues c's next ping. Every client pings at the same interval,
// so the queue stays in order.
func (l *loop) schedule(c *conn) {
	c.nextPing = l.now.Add(c.keepalive)
	l.pings = append(l.pings, c)
}
