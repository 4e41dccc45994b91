package signaling

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/dialtone/dialtone/call/wire"
)

// wait bounds how long a test waits for an event; it is a ceiling for a
// broken conn, not a pacing sleep.
const wait = 10 * time.Second

// pipe is a conn's write side on a real WebSocket: the test drives Send and
// Close directly and reads what the client receives.
type pipe struct {
	c      *conn
	client *websocket.Conn
}

// writeModes are the two ways a conn writes: a socket the poller can watch
// is written on the sender's goroutine until it would block, a TLS one
// always by the writer goroutine.
var writeModes = []struct {
	name   string
	inline bool
}{{"writer", false}, {"inline", true}}

// eachWriteMode runs f once for each way a conn writes.
func eachWriteMode(t *testing.T, f func(t *testing.T, inline bool)) {
	for _, m := range writeModes {
		t.Run(m.name, func(t *testing.T) { f(t, m.inline) })
	}
}

// newPipe connects a client to a conn with the given send queue and write
// timeout, writing inline or not. The conn has no switchboard; these tests
// never start its reader.
func newPipe(t *testing.T, inline bool, sendQueue int, writeTimeout time.Duration) *pipe {
	t.Helper()
	srv := &Server{cfg: Config{SendQueue: sendQueue, WriteTimeout: writeTimeout}, log: slog.New(slog.DiscardHandler), ctx: context.Background()}
	conns := make(chan *conn, 1)
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, uerr := checkUpgrade(r, ""); uerr != nil {
			uerr.write(w)
			return
		}
		nc, _, err := hijack(w, r, "", wait)
		if err != nil {
			return
		}
		c := &conn{srv: srv, nc: nc, remote: r.RemoteAddr}
		if inline {
			if c.raw = pollable(nc); c.raw == nil {
				t.Error("no raw socket to write inline")
			}
		}
		conns <- c
	}))
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	client, _, err := websocket.Dial(ctx, hs.URL, nil)
	if err != nil {
		t.Fatalf("dialling: %v", err)
	}
	client.SetReadLimit(-1)
	p := &pipe{c: <-conns, client: client}
	t.Cleanup(func() {
		client.CloseNow()
		p.c.nc.Close()
		p.waitIdle(t)
		hs.Close()
	})
	return p
}

// read returns the next message the client receives.
func (p *pipe) read(t *testing.T) (*wire.Message, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	_, data, err := p.client.Read(ctx)
	if err != nil {
		return nil, err
	}
	m, err := wire.Decode(data)
	if err != nil {
		t.Fatalf("decoding %q: %v", data, err)
	}
	return m, nil
}

// expectSeqs reads messages and checks they carry Re from..to in order.
func (p *pipe) expectSeqs(t *testing.T, from, to uint64) {
	t.Helper()
	for want := from; want <= to; want++ {
		m, err := p.read(t)
		if err != nil {
			t.Fatalf("reading message %d: %v", want, err)
		}
		if m.Re != want {
			t.Fatalf("got message %d, want %d", m.Re, want)
		}
	}
}

// waitIdle waits for the writer to exit, as it must once the queue is
// empty, and checks it has let go of the queue's buffer.
func (p *pipe) waitIdle(t *testing.T) {
	t.Helper()
	deadline := time.Now().Add(wait)
	for {
		p.c.mu.Lock()
		writing, queue := p.c.writing, p.c.queue
		p.c.mu.Unlock()
		if !writing {
			if queue != nil {
				t.Errorf("an idle conn holds a queue of cap %d", cap(queue))
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the writer is still running after %v", wait)
		}
		time.Sleep(time.Millisecond)
	}
}

func pong(seq uint64) *wire.Message { return &wire.Message{Type: wire.TypePong, Re: seq} }

func TestSendKeepsOrder(t *testing.T) { eachWriteMode(t, testSendKeepsOrder) }

func testSendKeepsOrder(t *testing.T, inline bool) {
	t.Run("while a writer runs", func(t *testing.T) {
		const n = 5000
		p := newPipe(t, inline, n, wait)
		for seq := uint64(1); seq <= n; seq++ {
			if !p.c.Send(pong(seq)) {
				t.Fatalf("Send %d refused", seq)
			}
		}
		p.expectSeqs(t, 1, n)
		p.waitIdle(t)
	})
	t.Run("while none runs", func(t *testing.T) {
		p := newPipe(t, inline, 256, wait)
		for seq := uint64(1); seq <= 100; seq++ {
			p.waitIdle(t)
			if !p.c.Send(pong(seq)) {
				t.Fatalf("Send %d refused", seq)
			}
			p.expectSeqs(t, seq, seq)
		}
	})
	t.Run("in batches", func(t *testing.T) {
		// SendAll's messages go in order, between and after single Sends.
		p := newPipe(t, inline, 256, wait)
		seq := uint64(1)
		for size := 1; size <= 9; size++ {
			p.waitIdle(t)
			ms := make([]*wire.Message, size)
			for i := range ms {
				ms[i] = pong(seq + uint64(i))
			}
			if !p.c.SendAll(ms) {
				t.Fatalf("SendAll of %d refused", size)
			}
			if !p.c.Send(pong(seq + uint64(size))) {
				t.Fatal("Send after SendAll refused")
			}
			p.expectSeqs(t, seq, seq+uint64(size))
			seq += uint64(size) + 1
		}
		p.waitIdle(t)
	})
	t.Run("bursts from many senders", func(t *testing.T) {
		// Each sender's messages must arrive in its own order however the
		// writer starts and stops between bursts.
		const senders, each = 8, 300
		p := newPipe(t, inline, senders*each, wait)
		done := make(chan struct{})
		for s := range uint64(senders) {
			go func() {
				defer func() { done <- struct{}{} }()
				for i := range uint64(each) {
					p.c.Send(pong(s<<32 | i))
				}
			}()
		}
		next := make([]uint64, senders)
		for range senders * each {
			m, err := p.read(t)
			if err != nil {
				t.Fatal(err)
			}
			s, i := m.Re>>32, m.Re&(1<<32-1)
			if i != next[s] {
				t.Fatalf("sender %d: got message %d, want %d", s, i, next[s])
			}
			next[s]++
		}
		for range senders {
			<-done
		}
		p.waitIdle(t)
	})
}

func TestSlowClientClosed(t *testing.T) { eachWriteMode(t, testSlowClientClosed) }

func testSlowClientClosed(t *testing.T, inline bool) {
	t.Run("bound", func(t *testing.T) {
		const bound = 16
		p := newPipe(t, inline, bound, wait)
		// Hold the write side as a writer stuck on a full socket would.
		p.c.mu.Lock()
		p.c.writing = true
		p.c.mu.Unlock()
		for seq := uint64(1); seq <= bound; seq++ {
			if !p.c.Send(pong(seq)) {
				t.Fatalf("Send %d refused within the bound", seq)
			}
		}
		if p.c.Send(pong(bound + 1)) {
			t.Fatal("Send over the bound accepted")
		}
		if got := p.c.srv.stats.slowClosed.Load(); got != 1 {
			t.Fatalf("slowClosed = %d, want 1", got)
		}
		if !p.c.isClosing() {
			t.Fatal("a client over the bound is not being closed")
		}
		if p.c.Send(pong(bound + 2)) {
			t.Fatal("Send after close accepted")
		}
		p.c.mu.Lock()
		p.c.writing = false
		p.c.queue, p.c.head = nil, 0
		p.c.mu.Unlock()
	})
	t.Run("bound in batches", func(t *testing.T) {
		// A batch that would pass the bound is refused whole.
		const bound = 16
		p := newPipe(t, inline, bound, wait)
		p.c.mu.Lock()
		p.c.writing = true
		p.c.mu.Unlock()
		if !p.c.SendAll([]*wire.Message{pong(1), pong(2), pong(3)}) {
			t.Fatal("SendAll within the bound refused")
		}
		over := make([]*wire.Message, bound-2)
		for i := range over {
			over[i] = pong(uint64(4 + i))
		}
		if p.c.SendAll(over) {
			t.Fatal("SendAll over the bound accepted")
		}
		if !p.c.isClosing() {
			t.Fatal("a client over the bound is not being closed")
		}
		p.c.mu.Lock()
		if got := len(p.c.queue) - p.c.head; got != 3 {
			t.Errorf("%d messages queued, want the first batch's 3", got)
		}
		p.c.writing = false
		p.c.queue, p.c.head = nil, 0
		p.c.mu.Unlock()
	})
	t.Run("closed after what it was sent", func(t *testing.T) {
		// Messages come faster than the writer writes them: once the
		// queue is full the client is closed, but still gets what was
		// queued, then a close frame saying why.
		p := newPipe(t, inline, 8, wait)
		// Written inline, messages go until the socket is full: keep its
		// buffer small, or the test reads megabytes of pongs.
		if err := p.c.nc.(*net.TCPConn).SetWriteBuffer(16 << 10); err != nil {
			t.Fatal(err)
		}
		var sent uint64
		for p.c.Send(pong(sent + 1)) {
			if sent++; sent > 1e6 {
				t.Fatal("the queue never filled")
			}
		}
		if got := p.c.srv.stats.slowClosed.Load(); got != 1 {
			t.Fatalf("slowClosed = %d, want 1", got)
		}
		p.expectSeqs(t, 1, sent)
		_, err := p.read(t)
		var ce websocket.CloseError
		if !errors.As(err, &ce) || ce.Reason != "too slow to read its messages" {
			t.Fatalf("after the queue: %v, want a close saying too slow", err)
		}
		p.waitIdle(t)
	})
}

func TestCloseFlushes(t *testing.T) { eachWriteMode(t, testCloseFlushes) }

func testCloseFlushes(t *testing.T, inline bool) {
	for _, n := range []uint64{0, 1, 300} {
		t.Run("", func(t *testing.T) {
			p := newPipe(t, inline, 512, wait)
			for seq := uint64(1); seq <= n; seq++ {
				p.c.Send(pong(seq))
			}
			p.c.Close("bye")
			p.c.Close("again")
			if p.c.Send(pong(n + 1)) {
				t.Fatal("Send after Close accepted")
			}
			p.expectSeqs(t, 1, n)
			_, err := p.read(t)
			var ce websocket.CloseError
			if !errors.As(err, &ce) || ce.Code != websocket.StatusNormalClosure || ce.Reason != "bye" {
				t.Fatalf("after the queue: %v, want a normal close saying bye", err)
			}
			p.waitIdle(t)
		})
	}
}

// TestParkAfterBytesCame: an edge the poller sees while a goroutine holds
// the read side is not lost (the registration is edge-triggered: no other
// would come for those bytes); the goroutine reads again instead of
// parking, once.
func TestParkAfterBytesCame(t *testing.T) {
	c := &conn{srv: &Server{}, pollGen: 1} // watched by the poller, read side held
	c.ready()
	if got := c.park(); got != parkAgain {
		t.Fatalf("park after an edge while reading = %v, want parkAgain", got)
	}
	if got := c.park(); got != parked {
		t.Fatalf("park with no edge since = %v, want parked", got)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.rstate != readParked {
		t.Fatalf("read state %v after parking, want parked", c.rstate)
	}
}
