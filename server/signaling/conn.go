package signaling

import (
	"context"
	"encoding/json"
	"errors"
	"sync"
	"time"

	"github.com/coder/websocket"
	"golang.org/x/time/rate"

	"github.com/dialtone/dialtone/call/wire"
	"github.com/dialtone/dialtone/server/switchboard"
)

// conn is one client's WebSocket. Its reader runs in the HTTP handler's
// goroutine. A writer goroutine runs only while there is something to write:
// most connections sit idle between keepalives, and a parked writer per
// connection would cost a goroutine stack (and the GC headroom on it) for
// nothing.
type conn struct {
	srv     *Server
	ws      *websocket.Conn
	sw      *switchboard.Conn
	limiter *rate.Limiter
	remote  string

	mu sync.Mutex
	// queue[head:] waits for the writer, oldest first. It is nil while the
	// connection is idle, so an idle connection holds no buffer.
	queue   []*wire.Message
	head    int
	writing bool          // a writer goroutine owns the socket's write side
	closing bool          // Close was called: the writer ends with a close frame
	reason  string        // the close frame's reason
	stopped chan struct{} // when not nil, closed as the writer exits; serve waits on it
}

// Send queues m for the client without blocking: the switchboard calls it
// with its lock held. A client too slow to take its messages is
// disconnected; its session may resume elsewhere.
func (c *conn) Send(m *wire.Message) bool {
	c.mu.Lock()
	if c.closing {
		c.mu.Unlock()
		return false
	}
	if len(c.queue)-c.head >= c.srv.cfg.SendQueue {
		c.mu.Unlock()
		c.srv.stats.slowClosed.Add(1)
		c.Close("too slow to read its messages")
		return false
	}
	c.queue = append(c.queue, m)
	start := c.startWriterLocked()
	c.mu.Unlock()
	if start {
		go c.writeLoop()
	}
	return true
}

// Close ends the connection once the queued messages are written.
func (c *conn) Close(reason string) {
	c.mu.Lock()
	if c.closing {
		c.mu.Unlock()
		return
	}
	c.closing = true
	c.reason = reason
	start := c.startWriterLocked()
	c.mu.Unlock()
	if start {
		go c.writeLoop()
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

func (c *conn) serve(ctx context.Context) {
	c.readLoop(ctx)
	c.sw.Disconnect()
	c.Close("")
	// Close has made sure a writer is running or has finished, and nothing
	// starts one after it: wait for it so no goroutine outlives the handler.
	c.mu.Lock()
	var stopped chan struct{}
	if c.writing {
		c.stopped = make(chan struct{})
		stopped = c.stopped
	}
	c.mu.Unlock()
	if stopped != nil {
		<-stopped
	}
	c.ws.CloseNow()
}

// errIdle is the cause of the read context's end when the client has sent
// nothing for too long.
var errIdle = errors.New("idle")

// readDeadline is the context readLoop reads under. One context and timer
// serve every read, re-armed for each, so a message costs no allocation for
// its deadline; they are replaced only after the deadline has passed.
type readDeadline struct {
	ctx    context.Context
	cancel context.CancelCauseFunc
	timer  *time.Timer
}

// arm returns a context that ends with cause errIdle at t.
func (d *readDeadline) arm(parent context.Context, t time.Time) context.Context {
	if d.ctx == nil {
		ctx, cancel := context.WithCancelCause(parent)
		d.ctx, d.cancel = ctx, cancel
		d.timer = time.AfterFunc(time.Until(t), func() { cancel(errIdle) })
		return ctx
	}
	d.timer.Reset(time.Until(t))
	return d.ctx
}

// disarm stops the timer. If it has already fired, the context is spent and
// the next arm makes a new one, so a message that arrived just in time does
// not doom the read after it.
func (d *readDeadline) disarm() {
	if !d.timer.Stop() {
		d.cancel(nil)
		d.ctx = nil
	}
}

func (c *conn) readLoop(ctx context.Context) {
	cfg := &c.srv.cfg
	handshakeDeadline := time.Now().Add(cfg.HandshakeTimeout)
	strikes := 0
	var rd readDeadline
	defer func() {
		if rd.ctx != nil {
			rd.timer.Stop()
			rd.cancel(nil)
		}
	}()
	for {
		deadline := time.Now().Add(cfg.IdleTimeout)
		if !c.sw.Registered() && handshakeDeadline.Before(deadline) {
			deadline = handshakeDeadline
		}
		rctx := rd.arm(ctx, deadline)
		typ, data, err := c.ws.Read(rctx)
		timedOut := err != nil && context.Cause(rctx) == errIdle
		rd.disarm()
		if c.isClosing() {
			return
		}
		if err != nil {
			if timedOut {
				c.send(wire.ErrorMessage(nil, wire.CodeBadMessage, "timed out: register within the handshake timeout and ping while idle"))
				c.Close("timeout")
			}
			var ce websocket.CloseError
			if errors.As(err, &ce) && ce.Code == websocket.StatusMessageTooBig {
				c.srv.stats.badMessages.Add(1)
			}
			return
		}
		if typ != websocket.MessageText {
			c.srv.stats.badMessages.Add(1)
			c.send(wire.ErrorMessage(nil, wire.CodeBadMessage, "messages are JSON in text frames"))
			c.Close("binary frame")
			return
		}
		if !c.limiter.Allow() {
			c.srv.stats.rateLimited.Add(1)
			strikes++
			c.send(wire.ErrorMessage(nil, wire.CodeRateLimited, "too many messages; slow down"))
		} else if m, err := wire.Decode(data); err != nil {
			c.srv.stats.badMessages.Add(1)
			strikes++
			var we *wire.Error
			errors.As(err, &we)
			c.send(&wire.Message{Type: wire.TypeError, Re: seqOf(data), Code: we.Code, Message: we.Msg})
		} else {
			c.sw.Handle(ctx, m)
		}
		if strikes > cfg.MaxStrikes {
			c.Close("too many bad messages")
			return
		}
	}
}

func (c *conn) send(m *wire.Message) { c.Send(m) }

// writeLoop writes the queue until it is empty and exits; after Close it
// first says goodbye with a close frame. Only one runs at a time (writing),
// which keeps each connection's messages in order.
func (c *conn) writeLoop() {
	for {
		c.mu.Lock()
		if c.head == len(c.queue) {
			closing, reason := c.closing, c.reason
			// Drop the buffer: an idle connection should hold none.
			c.queue, c.head = nil, 0
			if !closing {
				c.stopWritingLocked()
				c.mu.Unlock()
				return
			}
			c.mu.Unlock()
			c.ws.Close(websocket.StatusNormalClosure, truncate(reason))
			c.stopWriting()
			return
		}
		m := c.queue[c.head]
		c.queue[c.head] = nil
		c.head++
		c.mu.Unlock()
		if !c.write(m) {
			c.Close("write failed")
			c.ws.CloseNow()
			c.mu.Lock()
			c.queue, c.head = nil, 0
			c.stopWritingLocked()
			c.mu.Unlock()
			return
		}
	}
}

func (c *conn) stopWriting() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.stopWritingLocked()
}

func (c *conn) stopWritingLocked() {
	c.writing = false
	if c.stopped != nil {
		close(c.stopped)
	}
}

// write reports whether m was written or need not be.
func (c *conn) write(m *wire.Message) bool {
	b, err := wire.Encode(m)
	if err != nil {
		c.srv.log.Error("encoding a message", "type", m.Type, "err", err)
		return true
	}
	// No context from serve: the writer may be started by any Send. Ending
	// serve's context closes the socket anyway (a read under it fails and
	// closes it), so this write then fails at once.
	ctx, cancel := context.WithTimeout(context.Background(), c.srv.cfg.WriteTimeout)
	defer cancel()
	return c.ws.Write(ctx, websocket.MessageText, b) == nil
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
