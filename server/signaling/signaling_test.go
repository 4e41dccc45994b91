package signaling_test

import (
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/dialtone/dialtone/call/wire"
	"github.com/dialtone/dialtone/server/servertest"
)

func TestPongsInOrder(t *testing.T) {
	srv := servertest.New(t, servertest.Options{})
	c := servertest.Dial(t, srv.Addrs.URL)
	t.Run("burst", func(t *testing.T) {
		// Within the rate limiter's burst, so every ping is answered.
		var first, last uint64
		for i := range 150 {
			last = c.Send(&wire.Message{Type: wire.TypePing})
			if i == 0 {
				first = last
			}
		}
		c.ExpectReply(last)
		got := c.Drain()
		if len(got) != int(last-first) {
			t.Fatalf("got %d messages before the last pong, want %d", len(got), last-first)
		}
		for i, m := range got {
			if m.Type != wire.TypePong || m.Re != first+uint64(i) {
				t.Fatalf("message %d: %s re %d, want pong re %d", i, m.Type, m.Re, first+uint64(i))
			}
		}
	})
	t.Run("one at a time", func(t *testing.T) {
		for range 20 {
			seq := c.Send(&wire.Message{Type: wire.TypePing})
			if m := c.Next(func(*wire.Message) bool { return true }); m.Type != wire.TypePong || m.Re != seq {
				t.Fatalf("got %s re %d, want pong re %d", m.Type, m.Re, seq)
			}
		}
	})
}

func TestNoGoroutineLeft(t *testing.T) {
	srv := servertest.New(t, servertest.Options{})
	for i := range 200 {
		c := servertest.Dial(t, srv.Addrs.URL)
		seq := c.Send(&wire.Message{Type: wire.TypePing})
		c.ExpectReply(seq)
		if i%2 == 0 {
			// The server closes: its writer sends an error, then the close
			// frame, while serve waits for it.
			_ = c.SendBinary([]byte{0})
			if err := c.WaitClosed(); err != nil {
				t.Fatal(err)
			}
		}
		c.Close()
	}
	// Every goroutine a connection had — handler, writer, test client —
	// ends soon after it closes; the server's own goroutines stay.
	deadline := time.Now().Add(10 * time.Second)
	for {
		left := connGoroutines()
		if len(left) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d goroutines left behind, the first:\n%s", len(left), left[0])
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// connGoroutines returns the stacks of goroutines running signalling
// connections, on either side.
func connGoroutines() []string {
	buf := make([]byte, 1<<20)
	for {
		n := runtime.Stack(buf, true)
		if n < len(buf) {
			buf = buf[:n]
			break
		}
		buf = make([]byte, 2*len(buf))
	}
	var left []string
	for _, g := range strings.Split(string(buf), "\n\n") {
		if strings.Contains(g, "/server/signaling.(*poller).run") {
			continue // the server's, not a connection's
		}
		if strings.Contains(g, "/server/signaling.(*") || strings.Contains(g, "/server/servertest.(*Client)") {
			left = append(left, g)
		}
	}
	return left
}
