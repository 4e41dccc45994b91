package sigclient

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/coder/websocket"

	"github.com/dialtone/dialtone/call/wire"
)

// readLoop reads the server's messages until the connection fails or falls
// silent for two keepalive intervals.
func (c *Client) readLoop(ctx context.Context, ws *websocket.Conn) error {
	idle := 2*c.keepalive + time.Second
	for {
		rctx, cancel := context.WithTimeout(ctx, idle)
		typ, data, err := ws.Read(rctx)
		silent := ctx.Err() == nil && rctx.Err() != nil
		cancel()
		if err != nil {
			if silent {
				return fmt.Errorf("the server was silent for %v", idle)
			}
			return fmt.Errorf("reading: %w", err)
		}
		if typ != websocket.MessageText {
			continue
		}
		m, err := wire.Decode(data)
		if err != nil {
			c.log.Warn("undecodable message from the server", "err", err)
			continue
		}
		if m.SN != 0 {
			if m.SN <= c.lastSN {
				continue // seen before the connection dropped
			}
			if m.SN > c.lastSN+1 {
				c.log.Warn("server messages lost", "from_sn", c.lastSN+1, "to_sn", m.SN-1)
			}
			c.lastSN = m.SN
		}
		if m.Type == wire.TypePong && c.takePing(m.Re) {
			continue
		}
		if m.Type == wire.TypeLinkRequest {
			c.answerLink(m)
			continue
		}
		if m.Type == wire.TypeError && m.Re == 0 && endsSession[m.Code] {
			// This device registered on another connection, or was
			// unlinked: reconnecting would fight the other connection
			// for the number, or be refused.
			return &RejectedError{ServerError{Code: m.Code, Message: m.Message}}
		}
		c.deliver(m)
	}
}

// writeLoop sends the queued messages and the keepalive pings. A message
// whose write fails stays queued for the next connection.
func (c *Client) writeLoop(ctx context.Context, ws *websocket.Conn) error {
	tick := time.NewTicker(c.keepalive)
	defer tick.Stop()
	for {
		for {
			c.mu.Lock()
			if len(c.outq) == 0 {
				c.mu.Unlock()
				break
			}
			b := c.outq[0]
			c.mu.Unlock()
			wctx, cancel := context.WithTimeout(ctx, c.cfg.DialTimeout)
			err := ws.Write(wctx, websocket.MessageText, b)
			cancel()
			if err != nil {
				return fmt.Errorf("writing: %w", err)
			}
			c.mu.Lock()
			c.outq[0] = nil
			c.outq = c.outq[1:]
			c.mu.Unlock()
		}
		select {
		case <-c.bye:
			// Everything queued is out: say goodbye.
			wctx, cancel := context.WithTimeout(ctx, time.Second)
			_ = writeMsg(wctx, ws, &wire.Message{Type: wire.TypeBye, Seq: c.seq.Add(1)})
			cancel()
			_ = ws.Close(websocket.StatusNormalClosure, "bye")
			return ErrClosed
		default:
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-c.wake:
		case <-c.bye:
		case <-tick.C:
			seq := c.seq.Add(1)
			c.mu.Lock()
			c.pings[seq] = true
			c.mu.Unlock()
			wctx, cancel := context.WithTimeout(ctx, c.cfg.DialTimeout)
			err := writeMsg(wctx, ws, &wire.Message{Type: wire.TypePing, Seq: seq})
			cancel()
			if err != nil {
				return fmt.Errorf("writing: %w", err)
			}
		}
	}
}

func (c *Client) takePing(re uint64) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.pings[re] {
		return false
	}
	delete(c.pings, re)
	return true
}

// deliver hands m to a waiting Request, if any, and to Messages.
func (c *Client) deliver(m *wire.Message) {
	if m.Re != 0 {
		c.mu.Lock()
		ch := c.waiters[m.Re]
		c.mu.Unlock()
		if ch != nil {
			select {
			case ch <- m:
			default:
			}
		}
	}
	c.in.push(m)
}

// pump moves messages from the unbounded inbox to Messages, so that a slow
// consumer never stalls the reader (and with it the keepalive).
func (c *Client) pump(ctx context.Context) {
	for {
		select {
		case <-c.in.ready():
		case <-ctx.Done():
			return
		}
		for _, m := range c.in.take() {
			select {
			case c.msgs <- m:
			case <-ctx.Done():
				return
			}
		}
	}
}

// queue is an unbounded FIFO with a readiness signal.
type queue[T any] struct {
	mu     sync.Mutex
	items  []T
	signal chan struct{}
}

func (q *queue[T]) sig() chan struct{} {
	if q.signal == nil {
		q.signal = make(chan struct{}, 1)
	}
	return q.signal
}

func (q *queue[T]) push(v T) {
	q.mu.Lock()
	q.items = append(q.items, v)
	s := q.sig()
	q.mu.Unlock()
	select {
	case s <- struct{}{}:
	default:
	}
}

func (q *queue[T]) ready() <-chan struct{} {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.sig()
}

func (q *queue[T]) take() []T {
	q.mu.Lock()
	defer q.mu.Unlock()
	out := q.items
	q.items = nil
	return out
}
