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
// goroutine; a writer goroutine drains out.
type conn struct {
	srv     *Server
	ws      *websocket.Conn
	sw      *switchboard.Conn
	limiter *rate.Limiter
	remote  string

	out       chan *wire.Message
	closeOnce sync.Once
	closed    chan struct{}
	reason    string
}

// Send queues m for the client without blocking. A client too slow to take
// its messages is disconnected; its session may resume elsewhere.
func (c *conn) Send(m *wire.Message) bool {
	select {
	case <-c.closed:
		return false
	default:
	}
	select {
	case c.out <- m:
		return true
	default:
		c.srv.stats.slowClosed.Add(1)
		c.Close("too slow to read its messages")
		return false
	}
}

// Close ends the connection once the queued messages are written.
func (c *conn) Close(reason string) {
	c.closeOnce.Do(func() {
		c.reason = reason
		close(c.closed)
	})
}

func (c *conn) serve(ctx context.Context) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	writerDone := make(chan struct{})
	go func() {
		defer close(writerDone)
		c.writeLoop(ctx)
	}()
	c.readLoop(ctx)
	c.sw.Disconnect()
	c.Close("")
	<-writerDone
	c.ws.CloseNow()
}

func (c *conn) readLoop(ctx context.Context) {
	cfg := &c.srv.cfg
	handshakeDeadline := time.Now().Add(cfg.HandshakeTimeout)
	strikes := 0
	for {
		deadline := time.Now().Add(cfg.IdleTimeout)
		if !c.sw.Registered() && handshakeDeadline.Before(deadline) {
			deadline = handshakeDeadline
		}
		rctx, cancel := context.WithDeadline(ctx, deadline)
		typ, data, err := c.ws.Read(rctx)
		cancel()
		select {
		case <-c.closed:
			return
		default:
		}
		if err != nil {
			if errors.Is(err, context.DeadlineExceeded) {
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

func (c *conn) writeLoop(ctx context.Context) {
	write := func(m *wire.Message) bool {
		b, err := wire.Encode(m)
		if err != nil {
			c.srv.log.Error("encoding a message", "type", m.Type, "err", err)
			return true
		}
		wctx, cancel := context.WithTimeout(ctx, c.srv.cfg.WriteTimeout)
		defer cancel()
		return c.ws.Write(wctx, websocket.MessageText, b) == nil
	}
	for {
		select {
		case m := <-c.out:
			if !write(m) {
				c.Close("write failed")
				c.ws.CloseNow()
				return
			}
		case <-c.closed:
			// Flush what is queued, then say goodbye.
			for {
				select {
				case m := <-c.out:
					if !write(m) {
						c.ws.CloseNow()
						return
					}
				default:
					c.ws.Close(websocket.StatusNormalClosure, truncate(c.reason))
					return
				}
			}
		case <-ctx.Done():
			return
		}
	}
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
