package main

import (
	"os/exec"
	"strings"
	"testing"

	"github.com/dialtone/dialtone/call"
)

// trustOf returns the trust event among p's events.
func trustOf(t *testing.T, p *callProc) *call.Trust {
	t.Helper()
	for _, e := range p.all {
		if e.Kind == call.EventTrust {
			return e.Trust
		}
	}
	t.Fatalf("no trust event: %s", p.kinds())
	return nil
}

// TestCallKeyChange runs the real binary: the first call pins the callee's
// key; when the callee comes back with a new key, the caller's `dialtone
// call` prints a trust event "key-changed" and the call ends unconnected;
// `dialtone trust NUMBER` accepts the new key and the next call connects.
func TestCallKeyChange(t *testing.T) {
	rs := startServer(t, "--pool", "127.77.9.0/24", "--registration", "open")
	url := rs.addrs["signalling"]
	const callerN, calleeN = "+15550100011", "+15550100012"
	callerData := t.TempDir()
	dial := func(calleeData string) (*callProc, *callProc, int) {
		callee := startCall(t, url, calleeN, "--answer", "auto", "--max-calls", "1", "--camera", "none", "--data", calleeData)
		callee.waitFor(t, call.EventRegistered)
		caller := startCall(t, url, callerN, "--dial", calleeN, "--duration", "1s", "--camera", "none", "--data", callerData)
		code := caller.exit(t)
		callee.cmd.Process.Kill()
		callee.exit(t)
		return caller, callee, code
	}
	caller, _, code := dial(t.TempDir())
	if tr := trustOf(t, caller); code != 0 || tr.State != call.TrustNew || tr.SafetyCode == "" {
		t.Fatalf("first call: exit %d, trust %+v; %s", code, tr, caller.stderr.String())
	}
	// The callee's number is freed by its key only on the server; a new
	// key for it needs a fresh server binding, so the server is open and
	// the number is re-registered from a new data directory.
	rs2 := startServer(t, "--pool", "127.77.10.0/24", "--registration", "open")
	url = rs2.addrs["signalling"]
	newData := t.TempDir()
	caller, _, code = dial(newData)
	tr := trustOf(t, caller)
	if tr.State != call.TrustKeyChanged || tr.Pinned == "" || tr.Key == tr.Pinned {
		t.Fatalf("new key: exit %d, trust %+v", code, tr)
	}
	if k := caller.kinds(); strings.Contains(k, "connected") || code == 0 {
		t.Fatalf("a changed key connected: exit %d, %s", code, k)
	}
	for _, e := range caller.all {
		if e.Kind == call.EventEnded && e.Reason != "key-changed" {
			t.Fatalf("ended %+v", e)
		}
	}
	out, err := exec.Command(binary(t), "trust", "--data", callerData).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "CHANGED") {
		t.Fatalf("trust list: %v\n%s", err, out)
	}
	out, err = exec.Command(binary(t), "trust", "--data", callerData, calleeN).CombinedOutput()
	if err != nil || !strings.Contains(string(out), tr.Key) {
		t.Fatalf("trust %s: %v\n%s", calleeN, err, out)
	}
	caller, _, code = dial(newData)
	if tr := trustOf(t, caller); code != 0 || tr.State != call.TrustPinned {
		t.Fatalf("after trust: exit %d, trust %+v", code, tr)
	}
}
