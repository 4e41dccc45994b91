package relay

import (
	"context"
	"errors"
	"io"
	"net"
	"syscall"
	"testing"
	"time"

	"github.com/pion/turn/v5"
)

// tcpRelay serves a relay on UDP and TCP with short TCP deadlines; numA and
// numB are in call c1.
func tcpRelay(t *testing.T, msg, idle time.Duration) (*Relay, string) {
	t.Helper()
	return tcpRelayConfig(t, Config{TCPMessageTimeout: msg, TCPIdleTimeout: idle})
}

func tcpRelayConfig(t *testing.T, cfg Config) (*Relay, string) {
	t.Helper()
	calls := newFakeCalls()
	calls.setLease(numA, freeLease(t, "127.77.0.1").String())
	calls.setLease(numB, freeLease(t, "127.77.0.2").String())
	calls.start("c1", numA, numB)
	cfg.Calls = calls
	r, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	pc, err := net.ListenPacket("udp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.Serve(ctx, pc, ln) }()
	t.Cleanup(func() { cancel(); <-done })
	<-r.Ready()
	return r, ln.Addr().String()
}

// tcpAllocate allocates for number over a TCP connection of its own.
func tcpAllocate(t *testing.T, r *Relay, addr, number string) net.PacketConn {
	t.Helper()
	tc, err := net.Dial("tcp4", addr)
	if err != nil {
		t.Fatal(err)
	}
	cr := r.Credentials("c1", number)
	c, err := turn.NewClient(&turn.ClientConfig{
		STUNServerAddr: addr, TURNServerAddr: addr,
		Conn: turn.NewSTUNConn(tc), Username: cr.Username, Password: cr.Password, Realm: "dialtone",
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Listen(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	rc, err := c.AllocateWithContext(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rc.Close() })
	return rc
}

// closedWithin waits for the server to close c and returns how long after
// since that was; it fails if c stays open for limit.
func closedWithin(t *testing.T, c net.Conn, since time.Time, limit time.Duration) time.Duration {
	t.Helper()
	c.SetReadDeadline(since.Add(limit))
	buf := make([]byte, 512)
	for {
		_, err := c.Read(buf)
		if err == nil {
			continue // an answer to what the client sent
		}
		if errors.Is(err, io.EOF) || errors.Is(err, syscall.ECONNRESET) {
			return time.Since(since)
		}
		t.Fatalf("connection not closed within %v: %v", limit, err)
	}
}

// TestTCPSilentConnectionsClosed: connections that never finish a STUN
// message, that dribble one, or that finish one and allocate nothing are
// closed after their deadline, each counted; an allocation made over TCP
// meanwhile stays up through the same silence, and relays.
func TestTCPSilentConnectionsClosed(t *testing.T) {
	const msg, idle = 500 * time.Millisecond, time.Second
	r, addr := tcpRelay(t, msg, idle)
	good := tcpAllocate(t, r, addr, numA)

	// Each time is taken before the event the relay's deadline follows, so
	// that it bounds the closing time from below.
	dial := func() (net.Conn, time.Time) {
		at := time.Now()
		c, err := net.Dial("tcp4", addr)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		return c, at
	}
	binding := stunMsg(0)
	// Connects and says nothing.
	mute, muteAt := dial()
	// Two bytes of a STUN header, then silence.
	two, twoAt := dial()
	two.Write(binding[:2])
	// A whole Binding request, then silence, without an allocation.
	idler, _ := dial()
	idlerAt := time.Now()
	idler.Write(binding)
	// A first message, then the next sent a byte at a time, slower than
	// the message deadline.
	drip, dripAt := dial()
	drip.Write(binding)
	dripDone := make(chan struct{})
	go func() {
		defer close(dripDone)
		tick := time.NewTicker(msg / 4)
		defer tick.Stop()
		for _, b := range stunMsg(3) {
			<-tick.C
			if _, err := drip.Write([]byte{b}); err != nil {
				return
			}
		}
	}()

	for _, c := range []struct {
		name  string
		conn  net.Conn
		since time.Time
		after time.Duration
	}{{"mute", mute, muteAt, msg}, {"two bytes", two, twoAt, msg}, {"dribble", drip, dripAt, msg}, {"idle", idler, idlerAt, idle}} {
		if d := closedWithin(t, c.conn, c.since, 10*idle); d < c.after {
			t.Errorf("%s: closed after %v, before its deadline %v", c.name, d, c.after)
		}
	}
	<-dripDone
	st := r.Stats().TCP
	for why, want := range map[string]uint64{TCPClosedFirstMessage: 2, TCPClosedMessage: 1, TCPClosedIdle: 1} {
		if st.Closed[why] != want {
			t.Errorf("closed %s: %d, want %d (%v)", why, st.Closed[why], want, st.Closed)
		}
	}
	if st.Open != 1 {
		t.Errorf("%d TCP connections open, want the allocation's 1", st.Open)
	}

	// The allocation has been as silent as the idler, and still relays.
	b := peer(t, r.cfg.Calls.(*fakeCalls).leases[numB])
	perm := udpAddr(r.cfg.Calls.(*fakeCalls).leases[numB])
	if _, err := good.WriteTo([]byte("still here"), perm); err != nil {
		t.Fatal(err)
	}
	if got, _ := readFrom(t, b); got != "still here" {
		t.Fatalf("peer got %q", got)
	}
}

// TestTCPClientThatDoesNotRead: a client that sends requests and never
// reads the answers blocks the relay's writes; after TCPWriteTimeout it is
// closed rather than holding pion/turn's read loop for ever.
func TestTCPClientThatDoesNotRead(t *testing.T) {
	const writeTO = 300 * time.Millisecond
	r, addr := tcpRelayConfig(t, Config{TCPWriteTimeout: writeTO})
	c, err := net.Dial("tcp4", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	burst := make([]byte, 0, 64*20)
	for range 64 {
		burst = append(burst, stunMsg(0)...)
	}
	// Write until the relay closes the connection: its answers fill the
	// buffers, its write times out, and the writes here then fail.
	c.SetWriteDeadline(time.Now().Add(30 * time.Second))
	for {
		if _, err := c.Write(burst); err != nil {
			break
		}
	}
	if got := r.Stats().TCP.Closed[TCPClosedWrite]; got != 1 {
		t.Fatalf("closed for writes: %d, want 1 (%v)", got, r.Stats().TCP.Closed)
	}
}
