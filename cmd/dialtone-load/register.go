//go:build linux

package main

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha1"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"os"
	"strings"
	"sync"
	"time"

	"golang.org/x/sys/unix"

	"github.com/dialtone/dialtone/call/wire"
)

// registerTimeout bounds one registration, from connect to registered.
const registerTimeout = 20 * time.Second

// batch is a run of registrations of consecutive numbers, conc at a time.
type batch struct {
	from, next, to int
	conc           int
	out            []*conn // by number, once registered
	done           int
	inflight       map[*conn]struct{}
	err            error
	lastExpire     time.Time
}

// pending is what a client needs while it registers.
type pending struct {
	batch   *batch
	key     ed25519.PrivateKey
	wsKey   string
	started time.Time
}

func (b *batch) fail(err error) {
	if b.err == nil {
		b.err = err
	}
}

// register registers the numbers from to to (exclusive) and returns their
// clients, registered and keeping alive, in order.
func (l *loop) register(ctx context.Context, from, to, conc int) ([]*conn, error) {
	b := &batch{from: from, next: from, to: to, conc: max(conc, 1), out: make([]*conn, to-from), inflight: map[*conn]struct{}{}}
	l.reg = b
	defer func() { l.reg = nil }()
	l.now = time.Now()
	l.startRegistrations()
	err := l.run(ctx, func() bool { return b.done == len(b.out) || b.err != nil })
	if err == nil {
		err = b.err
	}
	if err != nil {
		for c := range b.inflight {
			l.drop(c)
		}
		for _, c := range b.out {
			if c != nil {
				l.drop(c)
			}
		}
		return nil, err
	}
	return b.out, nil
}

func (l *loop) startRegistrations() {
	b := l.reg
	for b.err == nil && b.next < b.to && len(b.inflight) < b.conc {
		i := b.next
		b.next++
		c, err := l.dial(fmt.Sprintf("+1555%07d", i))
		if err != nil {
			b.fail(fmt.Errorf("connecting for +1555%07d: %w", i, err))
			return
		}
		c.reg = &pending{batch: b, started: l.now}
		b.inflight[c] = struct{}{}
	}
}

// expire fails the batch if a registration has taken too long; it looks
// once a second.
func (b *batch) expire(l *loop) {
	if b == nil || l.now.Sub(b.lastExpire) < time.Second {
		return
	}
	b.lastExpire = l.now
	for c := range b.inflight {
		if l.now.Sub(c.reg.started) > registerTimeout {
			b.fail(fmt.Errorf("registering %s: no answer within %v", c.number, registerTimeout))
		}
	}
}

// dial starts a non-blocking TCP connection from the next source address.
func (l *loop) dial(number string) (*conn, error) {
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, os.NewSyscallError("socket", err)
	}
	// As Go's net package does: small messages go out at once.
	if err := unix.SetsockoptInt(fd, unix.IPPROTO_TCP, unix.TCP_NODELAY, 1); err != nil {
		unix.Close(fd)
		return nil, os.NewSyscallError("setsockopt", err)
	}
	var src unix.SockaddrInet4
	copy(src.Addr[:], l.src.next().To4())
	if err := unix.Bind(fd, &src); err != nil {
		unix.Close(fd)
		return nil, os.NewSyscallError("bind", err)
	}
	if err := unix.Connect(fd, &l.srv); err != nil && err != unix.EINPROGRESS {
		unix.Close(fd)
		return nil, os.NewSyscallError("connect", err)
	}
	c := &conn{fd: fd, number: number}
	if err := l.add(c, unix.EPOLLOUT); err != nil {
		unix.Close(fd)
		return nil, os.NewSyscallError("epoll_ctl", err)
	}
	return c, nil
}

// connected sends the WebSocket upgrade once the TCP connection is up.
func (l *loop) connected(c *conn) {
	if e, err := unix.GetsockoptInt(c.fd, unix.SOL_SOCKET, unix.SO_ERROR); err != nil || e != 0 {
		if err == nil {
			err = unix.Errno(e)
		}
		l.lost(c, os.NewSyscallError("connect", err))
		return
	}
	var k [16]byte
	rand.Read(k[:])
	c.reg.wsKey = base64.StdEncoding.EncodeToString(k[:])
	req := "GET " + l.path + " HTTP/1.1\r\nHost: " + l.host +
		"\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: " + c.reg.wsKey +
		"\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: " + wire.Subprotocol + "\r\n\r\n"
	c.state = stUpgrading
	l.watch(c, unix.EPOLLIN)
	l.write(c, []byte(req))
}

// upgraded reads the server's answer to the upgrade from the front of
// data and, once it has all of it, checks it as RFC 6455 asks of a client
// and sends hello. It returns how many bytes the answer took, 0 while it
// is incomplete.
func (l *loop) upgraded(c *conn, data []byte) (int, error) {
	end := bytes.Index(data, []byte("\r\n\r\n"))
	if end < 0 {
		if len(data) > 8<<10 {
			return 0, errors.New("an upgrade answer over 8 KB")
		}
		return 0, nil
	}
	lines := strings.Split(string(data[:end]), "\r\n")
	if !strings.HasPrefix(lines[0], "HTTP/1.1 101 ") {
		return 0, fmt.Errorf("upgrade answered %q", lines[0])
	}
	h := map[string]string{}
	for _, line := range lines[1:] {
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			return 0, fmt.Errorf("upgrade answer header %q", line)
		}
		h[strings.ToLower(strings.TrimSpace(k))] = strings.TrimSpace(v)
	}
	sum := sha1.Sum([]byte(c.reg.wsKey + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"))
	switch {
	case !strings.EqualFold(h["upgrade"], "websocket"):
		return 0, fmt.Errorf("upgrade answered Upgrade: %q", h["upgrade"])
	case !strings.EqualFold(h["connection"], "upgrade"):
		return 0, fmt.Errorf("upgrade answered Connection: %q", h["connection"])
	case h["sec-websocket-accept"] != base64.StdEncoding.EncodeToString(sum[:]):
		return 0, fmt.Errorf("upgrade answered the wrong Sec-WebSocket-Accept %q", h["sec-websocket-accept"])
	case h["sec-websocket-protocol"] != wire.Subprotocol:
		return 0, fmt.Errorf("upgrade chose subprotocol %q, not %q", h["sec-websocket-protocol"], wire.Subprotocol)
	}
	_, c.reg.key, _ = ed25519.GenerateKey(nil)
	c.state = stHello
	l.sendMsg(c, &wire.Message{Type: wire.TypeHello, Number: c.number, Key: c.reg.key.Public().(ed25519.PublicKey)})
	return end + 4, nil
}

// sendMsg sends a message encoded by call/wire, stamping c's next seq.
func (l *loop) sendMsg(c *conn, m *wire.Message) {
	c.seq++
	m.Seq = c.seq
	b, err := wire.AppendEncode(l.pbuf[:0], m)
	if err != nil {
		l.lost(c, err)
		return
	}
	l.pbuf = b
	l.send(c, b)
}

// challenged answers the challenge with the proof: the number and the
// server's nonce, signed with the key hello carried.
func (l *loop) challenged(c *conn, m *inMsg) {
	if !m.is(wire.TypeChallenge) || m.re != c.seq {
		l.lost(c, fmt.Errorf("hello answered %s", m.describe()))
		return
	}
	nonce, _ := base64.StdEncoding.DecodeString(string(m.nonce)) // checked by decodeIn
	c.state = stProof
	l.sendMsg(c, &wire.Message{Type: wire.TypeProof, Sig: ed25519.Sign(c.reg.key, wire.ProofMessage(c.number, nonce))})
}

func (l *loop) registered(c *conn, m *inMsg) {
	if !m.is(wire.TypeRegistered) || m.re != c.seq {
		l.lost(c, fmt.Errorf("proof answered %s", m.describe()))
		return
	}
	if string(m.number) != c.number {
		l.lost(c, fmt.Errorf("registered %s for %s", m.number, c.number))
		return
	}
	b := c.reg.batch
	c.reg = nil
	c.state = stRegistered
	c.keepalive = 10 * time.Second
	if m.keepaliveS > 0 {
		c.keepalive = time.Duration(m.keepaliveS) * time.Second
	}
	l.schedule(c)
	delete(b.inflight, c)
	b.out[c.index()-b.from] = c
	b.done++
	l.startRegistrations()
}

// index is the client's place in the run, from its number.
func (c *conn) index() int {
	n := 0
	for _, d := range c.number[len("+1555"):] {
		n = n*10 + int(d-'0')
	}
	return n
}

// sources hands out loopback source addresses, perIP connections each.
type sources struct {
	mu    sync.Mutex
	n     int
	perIP int
}

func (s *sources) next() net.IP {
	s.mu.Lock()
	defer s.mu.Unlock()
	i := s.n / s.perIP
	s.n++
	return net.IPv4(127, 1, byte(i>>8), byte(i&0xff)+1)
}
