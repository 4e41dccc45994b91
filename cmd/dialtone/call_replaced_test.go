package main

import (
	"strings"
	"testing"

	"github.com/dialtone/dialtone/call"
)

// TestCallReplaced: a second `dialtone call` with the same data directory
// (the same device key) takes the number; the first prints an error event
// with code replaced and exits 1 saying why, and does not take it back.
func TestCallReplaced(t *testing.T) {
	rs := startServer(t, "--pool", "127.77.10.0/24")
	url := rs.addrs["signalling"]
	data := t.TempDir()
	first := startCall(t, url, "+15550100001", "--answer", "auto", "--data", data)
	first.waitFor(t, call.EventRegistered)
	second := startCall(t, url, "+15550100001", "--answer", "auto", "--data", data)
	second.waitFor(t, call.EventRegistered)

	e := first.waitFor(t, call.EventError)
	if e.Code != "replaced" || !strings.Contains(e.Error, "connected again elsewhere") {
		t.Fatalf("first got error %q %q; want replaced, in words", e.Code, e.Error)
	}
	if code := first.exit(t); code != exitCallError {
		t.Fatalf("first exited %d, want %d; events %s", code, exitCallError, first.kinds())
	}
	if s := first.stderr.String(); !strings.Contains(s, "connected again elsewhere") {
		t.Fatalf("stderr does not say why:\n%s", s)
	}

	// The second still holds the number: a call to it connects.
	caller := startCall(t, url, "+15550100002", "--dial", "+15550100001", "--duration", "1s")
	if code := caller.exit(t); code != 0 {
		t.Fatalf("caller exited %d; events %s; stderr:\n%s", code, caller.kinds(), caller.stderr.String())
	}
	second.waitFor(t, call.EventConnected)
	for _, e := range second.all {
		if e.Kind == call.EventError || e.Kind == call.EventDisconnected {
			t.Fatalf("the second got %s %q %q", e.Kind, e.Code, e.Error)
		}
	}
}
