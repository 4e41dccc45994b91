package signaling

import (
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"os"
	"sync"
	"syscall"

	"golang.org/x/sys/unix"
)

// poller watches idle connections for bytes with one epoll set, so that a
// connection between messages needs no goroutine: a goroutine parked in a
// read holds its stack (8 KB and more once the HTTP server has grown it),
// and that was most of what an idle client cost. When a connection's socket
// becomes readable the poller starts a goroutine for it, which reads and
// handles what came and hands the connection back (park).
//
// Registrations are edge-triggered and stay for the connection's life, so
// handing a connection back costs no system call (a one-shot registration
// took an epoll_ctl to re-arm after every message, 3.7 per call set-up).
// An edge comes when bytes arrive; the reader hands the connection back
// only after a read that left the socket empty (a short read or EAGAIN),
// and an edge that comes while a goroutine reads is remembered (conn.woken)
// and makes it read once more, so no bytes are left unannounced. At most
// one goroutine reads a connection at a time: the connection's state says
// which (see conn.ready).
//
// The epoll descriptor itself is non-blocking and in the Go runtime's own
// poller, so waiting for events parks the run goroutine like any socket
// read, and closing the descriptor ends it.
type poller struct {
	ep *os.File
	rc syscall.RawConn

	mu    sync.Mutex
	conns map[int32]pollEntry // by socket descriptor
	gen   uint32
}

type pollEntry struct {
	c   *conn
	gen uint32 // tells a stale event for a reused descriptor from a fresh one
}

func newPoller() (*poller, error) {
	fd, err := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
	if err != nil {
		return nil, fmt.Errorf("creating an epoll set: %w", err)
	}
	if err := unix.SetNonblock(fd, true); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("making the epoll set non-blocking: %w", err)
	}
	ep := os.NewFile(uintptr(fd), "epoll")
	rc, err := ep.SyscallConn()
	if err != nil {
		ep.Close()
		return nil, fmt.Errorf("polling the epoll set: %w", err)
	}
	return &poller{ep: ep, rc: rc, conns: make(map[int32]pollEntry)}, nil
}

// run delivers events until the poller is closed, calling ready for each
// connection whose socket had bytes arrive (or has closed).
func (p *poller) run(ready func(*conn)) {
	events := make([]unix.EpollEvent, 256)
	for {
		var n int
		err := p.rc.Read(func(fd uintptr) bool {
			for {
				var err error
				n, err = unix.EpollWait(int(fd), events, 0)
				if err == unix.EINTR {
					continue
				}
				if err != nil {
					n = 0
				}
				return n > 0 || err != nil
			}
		})
		if err != nil {
			return // closed
		}
		for _, ev := range events[:n] {
			p.mu.Lock()
			e, ok := p.conns[ev.Fd]
			p.mu.Unlock()
			if ok && e.gen == uint32(ev.Pad) {
				ready(e.c)
			}
		}
	}
}

func (p *poller) close() error { return p.ep.Close() }

// pollable returns the raw socket of a connection the poller can watch: a
// plain TCP connection, possibly wrapped (the listener's slot accounting).
// TLS connections buffer records the socket's readiness says nothing about;
// they are read by a goroutine each.
func pollable(nc net.Conn) syscall.RawConn {
	for {
		switch c := nc.(type) {
		case *net.TCPConn:
			rc, err := c.SyscallConn()
			if err != nil {
				return nil
			}
			return rc
		case *tls.Conn:
			return nil
		case interface{ NetConn() net.Conn }:
			nc = c.NetConn()
		default:
			return nil
		}
	}
}

// add watches c's socket; the first event comes at once if it has bytes
// (an edge-triggered registration reports what is already there).
func (p *poller) add(c *conn) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.gen++
	gen := p.gen
	var fd32 int32
	err := p.ctl(c, unix.EPOLL_CTL_ADD, gen, &fd32)
	if err != nil {
		return err
	}
	c.pollFD, c.pollGen = fd32, gen
	p.conns[fd32] = pollEntry{c: c, gen: gen}
	return nil
}

// remove stops watching c. It must come before the socket is closed: the
// descriptor may be reused at once.
func (p *poller) remove(c *conn) {
	p.mu.Lock()
	if e, ok := p.conns[c.pollFD]; ok && e.c == c {
		delete(p.conns, c.pollFD)
	}
	p.mu.Unlock()
	var fd32 int32
	_ = p.ctl(c, unix.EPOLL_CTL_DEL, c.pollGen, &fd32)
}

// ctl runs one epoll_ctl on c's socket inside both descriptors' Control, so
// neither can be closed under it.
func (p *poller) ctl(c *conn, op int, gen uint32, fd32 *int32) error {
	var err error
	cerr := c.raw.Control(func(sfd uintptr) {
		*fd32 = int32(sfd)
		ev := unix.EpollEvent{Events: unix.EPOLLIN | unix.EPOLLRDHUP | unix.EPOLLET, Fd: int32(sfd), Pad: int32(gen)}
		perr := p.rc.Control(func(efd uintptr) { err = unix.EpollCtl(int(efd), op, int(sfd), &ev) })
		if perr != nil {
			err = perr
		}
	})
	if cerr != nil {
		return cerr
	}
	if err != nil {
		return fmt.Errorf("epoll_ctl %d: %w", op, err)
	}
	return nil
}

// readNow is one read that does not wait.
func (c *conn) readNow(b []byte) (int, error) {
	var n int
	var err error
	cerr := c.raw.Control(func(fd uintptr) {
		for {
			n, err = syscall.Read(int(fd), b)
			if err != syscall.EINTR {
				return
			}
		}
	})
	switch {
	case cerr != nil:
		return 0, cerr
	case err != nil:
		return 0, err
	case n == 0:
		return 0, io.EOF
	}
	return n, nil
}

// writeRaw writes b to the socket without waiting and returns how much it
// took.
func (c *conn) writeRaw(b []byte) int {
	var n int
	_ = c.raw.Control(func(fd uintptr) {
		for n < len(b) {
			w, err := syscall.Write(int(fd), b[n:])
			if err == syscall.EINTR {
				continue
			}
			if err != nil || w <= 0 {
				return
			}
			n += w
		}
	})
	return n
}
