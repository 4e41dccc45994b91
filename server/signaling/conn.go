package signaling

import (
	"encoding/json"
	"errors"
	"net"
	"sync"
	"syscall"
	"time"

	"github.com/gobwas/ws"
	"golang.org/x/time/rate"

	"github.com/dialtone/dialtone/call/wire"
	"github.com/dialtone/dialtone/server/switchboard"
)

// conn is one client's WebSocket. Between messages it holds no goroutine
// and no buffer: its socket waits in the poller, and a goroutine reads only
// while bytes are coming (see poll_linux.go). A message is written by the
// goroutine that sends it when the socket takes it at once; a writer
// goroutine runs only while the socket is full. (A TLS connection, whose
// socket readiness the poller cannot interpret, keeps a reading goroutine
// and writes through the writer.)
type conn struct {
	srv     *Server
	nc      net.Conn
	raw     syscall.RawConn // the socket the poller watches; nil: read by a goroutine of its own
	pollFD  int32
	pollGen uint32 // 0 until the poller watches it
	sw      *switchboard.Conn
	limiter *rate.Limiter
	remote  string
	ip      string

	// idle closes the connection when the client has sent nothing for too
	// long; handshake is when it must have registered by.
	idle      *time.Timer
	handshake time.Time
	closeWait *time.Timer

	// The read side, owned by whichever goroutine holds it (rstate active):
	// buf[r0:r1] is read and not yet handled; buf is nil while parked.
	buf     []byte
	r0, r1  int
	msg     []byte // a fragmented message so far; nil when none
	msgOp   ws.OpCode
	strikes int
	drained bool // the last read left the socket empty

	mu sync.Mutex
	// queue[head:] waits for the writer, oldest first. It is nil while the
	// connection is idle, so an idle connection holds no buffer.
	queue   []item
	head    int
	writing bool          // a writer goroutine owns the socket's write side
	closing bool          // Close was called: the writer ends with a close frame
	code    ws.StatusCode // the close frame's code
	reason  string        // the close frame's reason
	rstate  readState
	woken   bool // the poller saw bytes come while a goroutine held the read side
	aborted bool // the read side ends at its next step
	done    bool // the socket is closed and the connection forgotten
}

// item is a message for the client, or a control frame ready to write.
type item struct {
	m     *wire.Message
	frame []byte
}

type readState int

const (
	readActive readState = iota // a goroutine holds the read side
	readParked                  // the poller holds it
	readEnded
)

// closeWaitFor is how long a close frame the server sent waits for the
// client's before the socket is closed all the same.
const closeWaitFor = 2 * time.Second

// start begins reading: the bytes that came with the upgrade first, then
// whatever the socket brings.
func (c *conn) start(early []byte) {
	cfg := &c.srv.cfg
	c.handshake = time.Now().Add(cfg.HandshakeTimeout)
	c.idle = time.AfterFunc(cfg.HandshakeTimeout, c.timedOut)
	if c.srv.poll != nil {
		c.raw = pollable(c.nc)
	}
	if len(early) == 0 && c.raw != nil {
		switch c.park() {
		case parked:
		case parkAgain:
			c.srv.spawn(c.readable)
		default:
			c.srv.spawn(c.endRead)
		}
		return
	}
	if len(early) > 0 {
		c.buf = append(getBuf(len(early)), early...)
		c.r1 = len(c.buf)
		// What else came is reported when the poller first watches the
		// socket.
		c.drained = true
	}
	c.srv.spawn(func() { c.readRun(len(early) == 0) })
}

// ready is the poller's word that bytes came (or the socket closed). It
// runs on the poller's goroutine: a worker takes the read side if the
// poller holds it, and a goroutine that holds it reads once more before
// handing it back.
func (c *conn) ready() {
	c.mu.Lock()
	switch c.rstate {
	case readParked:
		c.rstate = readActive
		c.mu.Unlock()
		c.srv.spawn(c.readable)
		return
	case readActive:
		c.woken = true
	}
	c.mu.Unlock()
}

// readable runs on a worker once ready has given it the read side.
func (c *conn) readable() { c.readRun(true) }

// readRun reads and handles messages while bytes keep coming, and parks the
// connection once a read has left the socket empty with nothing half
// received.
func (c *conn) readRun(fill bool) {
	for {
		if fill {
			switch c.fill() {
			case fillEnd:
				c.endRead()
				return
			case fillEmpty:
				if !c.handBack() {
					return
				}
				continue
			}
		}
		fill = true
		if !c.handleFrames() {
			c.endRead()
			return
		}
		if c.drained && c.r0 == c.r1 && c.msg == nil && c.raw != nil {
			if !c.handBack() {
				return
			}
		}
	}
}

// handBack drops the read buffer and parks the connection. It reports true
// when the caller is to read again instead (bytes came meanwhile); when it
// reports false the read side has left this goroutine.
func (c *conn) handBack() bool {
	putBuf(c.buf)
	c.buf, c.r0, c.r1 = nil, 0, 0
	switch c.park() {
	case parked:
		return false
	case parkAgain:
		return true
	default:
		c.endRead()
		return false
	}
}

type parkResult int

const (
	parked parkResult = iota
	parkAgain
	parkFailed
)

// park hands the read side to the poller, unless the poller has seen bytes
// come since the last read began (parkAgain: read again).
func (c *conn) park() parkResult {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.aborted {
		return parkFailed
	}
	if c.woken {
		c.woken = false
		return parkAgain
	}
	if c.pollGen == 0 {
		if err := c.srv.poll.add(c); err != nil {
			// The socket is closed, or the poller is: end the connection.
			return parkFailed
		}
	}
	// The event may already have fired: ready waits for c.mu and then
	// finds the connection parked.
	c.rstate = readParked
	return parked
}

// readBuf is the buffer a read starts with: messages are mostly small.
const readBuf = 4 << 10

var bufPool = sync.Pool{New: func() any { b := make([]byte, 0, readBuf); return &b }}

func getBuf(n int) []byte {
	if n > readBuf {
		return make([]byte, 0, n)
	}
	return (*bufPool.Get().(*[]byte))[:0]
}

func putBuf(b []byte) {
	if cap(b) == readBuf {
		b = b[:0]
		bufPool.Put(&b)
	}
}

type fillResult int

const (
	fillGot   fillResult = iota // bytes came
	fillEmpty                   // the socket had none (EAGAIN) and nothing is held
	fillEnd                     // the read side is over
)

// fill reads once from the socket, after what is held. The read does not
// wait when nothing is held and the poller watches the socket: the socket
// is drained then, and an empty one goes back to the poller. It reports
// fillEnd when the read side is over (the socket closed or failed, or the
// connection was aborted).
func (c *conn) fill() fillResult {
	if c.buf == nil {
		c.buf = getBuf(readBuf)
	}
	if c.r0 > 0 {
		n := copy(c.buf[:cap(c.buf)], c.buf[c.r0:c.r1])
		c.r0, c.r1 = 0, n
	}
	if c.r1 == cap(c.buf) {
		// A frame longer than the buffer: handleFrames has bounded it.
		nb := make([]byte, 0, min(2*cap(c.buf), wire.MaxMessage+maxHeader))
		if cap(nb) <= c.r1 {
			nb = make([]byte, 0, c.r1+readBuf)
		}
		nb = append(nb, c.buf[:c.r1]...)
		putBuf(c.buf)
		c.buf = nb
	}
	c.mu.Lock()
	aborted := c.aborted
	// This read takes whatever the poller has announced so far.
	c.woken = false
	c.mu.Unlock()
	if aborted {
		return fillEnd
	}
	space := c.buf[c.r1:cap(c.buf)]
	var n int
	var err error
	if c.raw != nil && c.r1 == 0 && c.msg == nil {
		n, err = c.readNow(space)
		if err == syscall.EAGAIN {
			return fillEmpty
		}
	} else {
		n, err = c.nc.Read(space)
	}
	c.r1 += n
	c.buf = c.buf[:c.r1]
	// A short read took all the socket had.
	c.drained = n < len(space)
	if err != nil && n == 0 {
		return fillEnd
	}
	return fillGot
}

// handleFrames handles every complete frame held. It reports false when
// the read side is over.
func (c *conn) handleFrames() bool {
	for {
		h, n, err := parseHeader(c.buf[c.r0:c.r1])
		if err != nil {
			c.closeWith(ws.StatusProtocolError, "protocol violation")
			return false
		}
		if n == 0 {
			return true
		}
		if h.OpCode.IsData() || h.OpCode == ws.OpContinuation {
			if int64(len(c.msg))+h.Length > wire.MaxMessage {
				c.srv.stats.badMessages.Add(1)
				c.closeWith(ws.StatusMessageTooBig, "message over the size limit")
				return false
			}
		}
		end := c.r0 + n + int(h.Length)
		if end > c.r1 {
			return true
		}
		payload := c.buf[c.r0+n : end]
		ws.Cipher(payload, h.Mask, 0)
		ok := c.frame(h, payload)
		c.r0 = end
		if !ok {
			return false
		}
	}
}

// frame acts on one frame; false ends the read side.
func (c *conn) frame(h ws.Header, payload []byte) bool {
	switch h.OpCode {
	case ws.OpPing:
		c.sendFrame(appendFrame(nil, ws.OpPong, payload))
		return true
	case ws.OpPong:
		return true
	case ws.OpClose:
		// Answer with the client's code; the read side is over.
		code := ws.StatusNormalClosure
		if len(payload) == 1 {
			code = ws.StatusProtocolError
		} else if len(payload) >= 2 {
			code, _ = ws.ParseCloseFrameData(payload)
		}
		c.closeWith(code, "")
		return false
	case ws.OpContinuation:
		if c.msg == nil {
			c.closeWith(ws.StatusProtocolError, "continuation without a message")
			return false
		}
		c.msg = append(c.msg, payload...)
		if !h.Fin {
			return true
		}
		data := c.msg
		c.msg = nil
		return c.message(c.msgOp, data)
	default: // text or binary
		if c.msg != nil {
			c.closeWith(ws.StatusProtocolError, "a new message inside a fragmented one")
			return false
		}
		if !h.Fin {
			c.msgOp = h.OpCode
			c.msg = append(make([]byte, 0, 2*len(payload)), payload...)
			return true
		}
		return c.message(h.OpCode, payload)
	}
}

// message handles one whole client message; false ends the read side.
func (c *conn) message(op ws.OpCode, data []byte) bool {
	cfg := &c.srv.cfg
	if c.isClosing() {
		return false
	}
	c.resetIdle()
	if op != ws.OpText {
		c.srv.stats.badMessages.Add(1)
		c.send(wire.ErrorMessage(nil, wire.CodeBadMessage, "messages are JSON in text frames"))
		c.Close("binary frame")
		return false
	}
	if !c.limiter.Allow() {
		c.srv.stats.rateLimited.Add(1)
		c.strikes++
		c.send(wire.ErrorMessage(nil, wire.CodeRateLimited, "too many messages; slow down"))
	} else if m, err := wire.Decode(data); err != nil {
		c.srv.stats.badMessages.Add(1)
		c.strikes++
		var we *wire.Error
		errors.As(err, &we)
		c.send(&wire.Message{Type: wire.TypeError, Re: seqOf(data), Code: we.Code, Message: we.Msg})
	} else {
		was := c.sw.Registered()
		c.sw.Handle(c.srv.ctx, m)
		if !was && c.sw.Registered() {
			// The proof reset the clock to the handshake's deadline, as
			// it came before registering; the idle timeout holds from now,
			// or a client that pings every keepalive (as long as the
			// handshake timeout) races the deadline.
			c.resetIdle()
		}
	}
	if c.strikes > cfg.MaxStrikes {
		c.Close("too many bad messages")
		return false
	}
	return true
}

// resetIdle restarts the idle clock after a message; until the client has
// registered it runs to the handshake deadline at the latest.
func (c *conn) resetIdle() {
	d := c.srv.cfg.IdleTimeout
	if !c.sw.Registered() {
		d = min(d, time.Until(c.handshake))
	}
	c.idle.Reset(d)
}

// timedOut runs on the idle timer: the client has sent nothing for too long.
func (c *conn) timedOut() {
	if c.isClosing() {
		return
	}
	c.send(wire.ErrorMessage(nil, wire.CodeBadMessage, "timed out: register within the handshake timeout and ping while idle"))
	c.Close("timeout")
	c.abortRead()
}

// abortRead ends the read side: at once when the poller holds it, at its
// next step (a blocked read fails now) when a goroutine does.
func (c *conn) abortRead() {
	c.mu.Lock()
	c.aborted = true
	switch c.rstate {
	case readParked:
		c.srv.poll.remove(c)
		c.rstate = readActive // ours now
		c.mu.Unlock()
		c.endRead()
		return
	case readActive:
		_ = c.nc.SetReadDeadline(time.Unix(1, 0))
	}
	c.mu.Unlock()
}

// endRead is the end of the read side, by the goroutine holding it: the
// switchboard hears of it after the last message was handled, and the
// socket closes once the writer has said goodbye.
func (c *conn) endRead() {
	if c.buf != nil {
		putBuf(c.buf)
		c.buf, c.r0, c.r1 = nil, 0, 0
	}
	c.msg = nil
	c.idle.Stop()
	c.mu.Lock()
	c.rstate = readEnded
	c.mu.Unlock()
	if c.sw != nil {
		c.sw.Disconnect()
	}
	c.Close("")
	c.finishIfDone()
}

// finishIfDone closes the socket and forgets the connection once both
// sides are over.
func (c *conn) finishIfDone() {
	c.mu.Lock()
	if c.done || c.rstate != readEnded || !c.closing || c.writing {
		c.mu.Unlock()
		return
	}
	c.done = true
	if c.pollGen != 0 {
		c.srv.poll.remove(c)
	}
	if c.closeWait != nil {
		c.closeWait.Stop()
	}
	c.mu.Unlock()
	lingerClose(c.nc)
	c.srv.forget(c)
}

// lingerClose closes a socket without a reset: closing one with unread
// bytes (what a client sent after a frame that ended the connection) would
// send an RST, and the client could lose the close frame before it. It
// says FIN, then reads what is left, for closeWaitFor at most.
func lingerClose(nc net.Conn) {
	for inner := nc; inner != nil; {
		if cw, ok := inner.(interface{ CloseWrite() error }); ok {
			if cw.CloseWrite() == nil {
				_ = nc.SetReadDeadline(time.Now().Add(closeWaitFor))
				var b [512]byte
				for {
					if _, err := nc.Read(b[:]); err != nil {
						break
					}
				}
			}
			break
		}
		u, ok := inner.(interface{ NetConn() net.Conn })
		if !ok {
			break
		}
		inner = u.NetConn()
	}
	nc.Close()
}

// Send queues m for the client without blocking: the switchboard calls it
// with its lock held. A client too slow to take its messages is
// disconnected; its session may resume elsewhere.
func (c *conn) Send(m *wire.Message) bool { return c.enqueue(item{m: m}) }

// SendAll queues ms in order like as many Sends, and writes what it can at
// once in one write: the switchboard releases a session's messages together
// when the record they waited for is committed.
func (c *conn) SendAll(ms []*wire.Message) bool {
	var buf [8]item
	items := buf[:0]
	for _, m := range ms {
		items = append(items, item{m: m})
	}
	return c.enqueue(items...)
}

func (c *conn) sendFrame(f []byte) { c.enqueue(item{frame: f}) }

func (c *conn) enqueue(its ...item) bool {
	c.mu.Lock()
	if c.closing {
		c.mu.Unlock()
		return false
	}
	if len(c.queue)-c.head+len(its) > c.srv.cfg.SendQueue {
		c.mu.Unlock()
		c.srv.stats.slowClosed.Add(1)
		c.Close("too slow to read its messages")
		return false
	}
	if !c.writing && c.raw != nil && c.head == len(c.queue) {
		// Nothing waits and no writer runs: write here, unless the socket
		// would block.
		c.writing = true
		c.mu.Unlock()
		c.writeNow(its)
		return true
	}
	c.queue = append(c.queue, its...)
	start := c.startWriterLocked()
	c.mu.Unlock()
	if start {
		c.srv.spawn(c.writeLoop)
	}
	return true
}

// writeNow writes items on the caller's goroutine with a write that does
// not wait, for a connection whose write side it has claimed (writing).
// Handing each message to a writer goroutine cost a wake-up, a write
// deadline and a select per message, most of a writer's own CPU: the
// messages of a call set-up go to different connections, so there was
// seldom a second one to share the trip. What the socket does not take,
// and what was queued meanwhile, goes to the writer goroutine, which may
// wait for the socket within the write timeout.
func (c *conn) writeNow(its []item) {
	out := getBuf(readBuf)
	for _, it := range its {
		out = c.appendItem(out, it)
	}
	n := c.writeRaw(out)
	c.mu.Lock()
	if n < len(out) {
		// The rest goes first; a failed socket fails again in the writer,
		// which ends the connection (it must not end here: the caller may
		// hold the switchboard's lock).
		rest := item{frame: append([]byte(nil), out[n:]...)}
		c.queue = append(c.queue, item{})
		copy(c.queue[c.head+1:], c.queue[c.head:])
		c.queue[c.head] = rest
	}
	putBuf(out)
	if c.head == len(c.queue) && !c.closing {
		c.queue, c.head = nil, 0
		c.writing = false
		c.mu.Unlock()
		return
	}
	c.mu.Unlock()
	c.srv.spawn(c.writeLoop)
}

// Close ends the connection once the queued messages are written.
func (c *conn) Close(reason string) { c.closeWith(ws.StatusNormalClosure, reason) }

func (c *conn) closeWith(code ws.StatusCode, reason string) {
	c.mu.Lock()
	if c.closing {
		c.mu.Unlock()
		return
	}
	c.closing = true
	c.code, c.reason = code, reason
	start := c.startWriterLocked()
	c.mu.Unlock()
	if start {
		c.srv.spawn(c.writeLoop)
	}
}

// startWriterLocked claims the write side for a new writer goroutine unless
// one is running; the caller starts it after unlocking.
func (c *conn) startWriterLocked() bool {
	if c.writing {
		return false
	}
	c.writing = true
	return true
}

func (c *conn) isClosing() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.closing
}

func (c *conn) send(m *wire.Message) { c.Send(m) }

// maxWrite bounds the bytes one write gathers from the queue.
const maxWrite = 64 << 10

// writeLoop writes the queue until it is empty and exits; after Close it
// first says goodbye with a close frame. Only one runs at a time (writing),
// which keeps each connection's messages in order. What is queued while it
// writes goes out in one write.
func (c *conn) writeLoop() {
	// The buffer is pooled with the read side's: a writer runs for a
	// message or two, and growing a fresh one each time was most of what
	// the write path allocated.
	out := getBuf(readBuf)
	defer func() { putBuf(out) }()
	for {
		c.mu.Lock()
		if c.head == len(c.queue) {
			closing, code, reason := c.closing, c.code, c.reason
			// Drop the buffer: an idle connection should hold none.
			c.queue, c.head = nil, 0
			if !closing {
				c.writing = false
				c.mu.Unlock()
				return
			}
			c.mu.Unlock()
			c.writeBytes(appendFrame(out[:0], ws.OpClose, closeBody(code, reason)))
			c.closeSent()
			return
		}
		out = out[:0]
		for c.head < len(c.queue) && len(out) < maxWrite {
			it := c.queue[c.head]
			c.queue[c.head] = item{}
			c.head++
			out = c.appendItem(out, it)
		}
		c.mu.Unlock()
		if !c.writeBytes(out) {
			c.mu.Lock()
			c.closing = true
			c.queue, c.head = nil, 0
			c.writing = false
			c.mu.Unlock()
			c.abortRead()
			c.finishIfDone()
			return
		}
	}
}

func (c *conn) appendItem(out []byte, it item) []byte {
	if it.m == nil {
		return append(out, it.frame...)
	}
	out, err := appendMessageFrame(out, it.m)
	if err != nil {
		c.srv.log.Error("encoding a message", "type", it.m.Type, "err", err)
	}
	return out
}

// writeBytes writes b within the write timeout.
func (c *conn) writeBytes(b []byte) bool {
	if len(b) == 0 {
		return true
	}
	_ = c.nc.SetWriteDeadline(time.Now().Add(c.srv.cfg.WriteTimeout))
	_, err := c.nc.Write(b)
	return err == nil
}

// closeSent ends the writer after the close frame: the client has
// closeWaitFor to answer with its own before the read side is ended.
func (c *conn) closeSent() {
	c.mu.Lock()
	c.writing = false
	ended := c.rstate == readEnded
	if !ended && c.closeWait == nil {
		c.closeWait = time.AfterFunc(closeWaitFor, c.abortRead)
	}
	c.mu.Unlock()
	c.finishIfDone()
}

// seqOf recovers the sequence number of a message that did not decode, so
// the error can say which request it answers; 0 when there is none.
func seqOf(data []byte) uint64 {
	var probe struct {
		Seq uint64 `json:"seq"`
	}
	if json.Unmarshal(data, &probe) != nil {
		return 0
	}
	return probe.Seq
}

// truncate keeps a close reason within the 123 bytes a close frame allows.
func truncate(s string) string {
	if len(s) > 120 {
		return s[:120]
	}
	return s
}
