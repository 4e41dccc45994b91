package main

import (
	"net"
	"net/url"
	"os"
	"testing"
	"time"

	"github.com/dialtone/dialtone/call"
)

// oldPatience is how long `dialtone call` used to keep trying to reach the
// server before it gave up and exited.
const oldPatience = 15 * time.Second

// TestCallRetriesThroughOutage: a headless answerer outlives a server outage
// longer than oldPatience, printing retrying for each attempt, and takes a
// call once the server is back on the same address and data directory.
func TestCallRetriesThroughOutage(t *testing.T) {
	data := t.TempDir()
	rs := startServer(t, "--pool", "127.77.9.0/24", "--data", data)
	sigURL := rs.addrs["signalling"]
	u, err := url.Parse(sigURL)
	if err != nil {
		t.Fatal(err)
	}
	callee := startCall(t, sigURL, "+15550100002", "--answer", "auto", "--max-calls", "1", "--retry-max", "200ms")
	callee.waitFor(t, call.EventRegistered)

	if err := rs.cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	<-rs.done
	down := callee.waitFor(t, call.EventDisconnected)
	retries := 0
	for {
		e := callee.waitFor(t, call.EventRetrying)
		if e.Error == "" {
			t.Fatalf("retrying without a reason: %+v", e)
		}
		retries++
		if e.Time.Sub(down.Time) > oldPatience+time.Second {
			break
		}
	}

	rs = startServer(t, "--pool", "127.77.9.0/24", "--data", data, "--listen", u.Host)
	if got := rs.addrs["signalling"]; got != sigURL {
		t.Fatalf("the server came back on %s, not %s", got, sigURL)
	}
	callee.waitFor(t, call.EventRegistered)
	caller := startCall(t, sigURL, "+15550100001", "--dial", "+15550100002", "--duration", "1s")
	if code := caller.exit(t); code != 0 {
		t.Fatalf("caller exited %d; events %s; stderr:\n%s", code, caller.kinds(), caller.stderr.String())
	}
	if code := callee.exit(t); code != 0 {
		t.Fatalf("callee exited %d; events %s; stderr:\n%s", code, callee.kinds(), callee.stderr.String())
	}
	t.Logf("%d retries over a %v outage", retries, oldPatience+time.Second)
}

// TestCallRetryFor: --retry-for bounds the trying; then the command exits 1.
func TestCallRetryFor(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := "ws://" + ln.Addr().String() + "/v1"
	ln.Close() // nothing listens there now
	p := startCall(t, dead, "+15550100001", "--answer", "auto", "--retry-for", "500ms", "--retry-max", "100ms")
	if e := p.waitFor(t, call.EventRetrying); e.Error == "" {
		t.Fatalf("retrying without a reason: %+v", e)
	}
	if code := p.exit(t); code != exitCallError {
		t.Fatalf("exited %d after --retry-for, want %d; events %s", code, exitCallError, p.kinds())
	}
}
