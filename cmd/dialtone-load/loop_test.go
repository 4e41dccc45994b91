//go:build linux

package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/dialtone/dialtone/server/servertest"
)

func newTestLoop(t *testing.T) (*loop, context.Context) {
	t.Helper()
	srv := servertest.New(t, servertest.Options{})
	l, err := newLoop(srv.Addrs.URL, &sources{perIP: 50})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(l.close)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return l, ctx
}

// TestCallsAgainstServer makes calls through a real server with idle
// clients registered beside them, and checks that every step of every
// call was what the tool expects.
func TestCallsAgainstServer(t *testing.T) {
	l, ctx := newTestLoop(t)
	idle, err := l.register(ctx, 0, 20, 8)
	if err != nil {
		t.Fatal(err)
	}
	callers, err := l.register(ctx, 20, 24, 8)
	if err != nil {
		t.Fatal(err)
	}
	ps := []*pair{newPair(callers[0], callers[1]), newPair(callers[2], callers[3])}
	l.now = time.Now()
	for _, p := range ps {
		p.until = l.now.Add(time.Hour)
		p.start(l)
	}
	// 40 calls in all stay within the server's message burst for a caller.
	if err := l.run(ctx, func() bool { return l.calls >= 40 || l.failures > 0 }); err != nil {
		t.Fatal(err)
	}
	if l.failures != 0 || l.idleLost != 0 {
		t.Fatalf("%d failures, %d idle clients lost: %v", l.failures, l.idleLost, l.reasons)
	}
	for i, p := range ps {
		if len(p.lat) == 0 {
			t.Errorf("pair %d made no call", i)
		}
	}
	for i, c := range idle {
		if c == nil || c.closed || c.state != stRegistered {
			t.Fatalf("idle client %d: %+v", i, c)
		}
	}
}

// TestCallFailureCounted dials a number nobody registered: the server's
// answer is not ringing, and the pair fails with the reason.
func TestCallFailureCounted(t *testing.T) {
	l, ctx := newTestLoop(t)
	callers, err := l.register(ctx, 0, 1, 1)
	if err != nil {
		t.Fatal(err)
	}
	p := newPair(callers[0], &conn{fd: -1, closed: true, number: "+15559999999"})
	l.now = time.Now()
	p.until = l.now.Add(time.Hour)
	p.start(l)
	if err := l.run(ctx, func() bool { return p.dead }); err != nil {
		t.Fatal(err)
	}
	if l.failures != 1 || len(l.reasons) != 1 || !strings.Contains(l.reasons[0], "dial answered unavailable") {
		t.Fatalf("%d failures: %v", l.failures, l.reasons)
	}
}

// TestKeepalive checks the pings an idle client sends when its time
// comes, and that one which has gone two keepalives without a pong is
// counted lost.
func TestKeepalive(t *testing.T) {
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_NONBLOCK, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(fds[1])
	ep, err := unix.EpollCreate1(0)
	if err != nil {
		t.Fatal(err)
	}
	l := &loop{ep: ep, rbuf: make([]byte, 4096)}
	defer l.close()
	c := &conn{fd: fds[0], state: stRegistered, number: "+15550000001", keepalive: 10 * time.Second}
	if err := l.add(c, unix.EPOLLIN); err != nil {
		t.Fatal(err)
	}
	l.now = time.Unix(1000, 0)
	l.schedule(c)
	ping := func() string {
		t.Helper()
		b := make([]byte, 256)
		n, err := unix.Read(fds[1], b)
		if err != nil {
			t.Fatalf("no ping: %v", err)
		}
		h := 2 // short frames only
		mask, body := b[h:h+4], b[h+4:n]
		for i := range body {
			body[i] ^= mask[i&3]
		}
		return string(body)
	}

	l.now = l.now.Add(9 * time.Second)
	l.keepalives()
	if n, _ := unix.Read(fds[1], make([]byte, 64)); n > 0 {
		t.Fatal("pinged before its keepalive was up")
	}
	l.now = l.now.Add(time.Second)
	l.keepalives()
	if got, want := ping(), `{"v":1,"type":"ping","seq":1}`; got != want {
		t.Fatalf("sent %s, want %s", got, want)
	}
	// The pong clears the debt.
	unix.Write(fds[1], []byte("\x81\x16"+`{"v":1,"type":"pong"}`+" "))
	l.readable(c)
	if c.pongsOwed != 0 || c.closed {
		t.Fatalf("after the pong: owed %d, closed %v (%v)", c.pongsOwed, c.closed, l.reasons)
	}
	for i := range 2 {
		l.now = l.now.Add(10 * time.Second)
		l.keepalives()
		if got := ping(); !strings.Contains(got, `"ping"`) {
			t.Fatalf("ping %d: sent %s", i+2, got)
		}
	}
	l.now = l.now.Add(10 * time.Second)
	l.keepalives()
	if !c.closed || l.idleLost != 1 {
		t.Fatalf("two pings unanswered: closed %v, %d lost", c.closed, l.idleLost)
	}
}

// TestStalledCallCounted counts a call the server left waiting for long
// before the end of the call phase, and not one cut short by the end.
func TestStalledCallCounted(t *testing.T) {
	end := time.Unix(1000, 0)
	l := &loop{now: end}
	for _, tc := range []struct {
		waited time.Duration
		want   int64
	}{{time.Second, 0}, {stallAfter + time.Second, 1}} {
		l.failures = 0
		p := &pair{a: &conn{number: "+15550000001"}, state: pAccepting, t0: end.Add(-tc.waited), until: end}
		p.stalled(l)
		if l.failures != tc.want {
			t.Errorf("waiting %v: %d failures, want %d", tc.waited, l.failures, tc.want)
		}
	}
}

// TestPacer lets calls start at the rate asked, and no faster.
func TestPacer(t *testing.T) {
	start := time.Unix(1000, 0)
	pc := &pacer{rate: 100, start: start}
	n := 0
	for ms := range 1000 {
		now := start.Add(time.Duration(ms) * time.Millisecond)
		for pc.take(now) {
			n++
		}
		if want := ms/10 + 1; n != want {
			t.Fatalf("after %d ms: %d calls started, want %d", ms, n, want)
		}
	}
}
