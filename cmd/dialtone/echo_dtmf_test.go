package main

import (
	"os"
	"testing"

	"github.com/dialtone/dialtone/call"
)

// TestEchoKeypad: the echo test sends keypad tones back, so `dialtone call
// --dial 600 --dtmf 3#` sees its own keys as the other side's, once each.
func TestEchoKeypad(t *testing.T) {
	rs := startServer(t, "--pool", "127.77.36.0/24")
	caller := startCall(t, rs.addrs["signalling"], "+15550100036", "--dial", "600", "--camera", "none", "--mic", "tone:500", "--dtmf", "3#")
	caller.waitFor(t, call.EventConnected)
	if got := callerKeys(t, caller, 2); got != "3#" {
		t.Errorf("the echo sent back %q, want 3#", got)
	}
	caller.cmd.Process.Signal(os.Interrupt)
	if code := caller.exit(t); code != 0 {
		t.Fatalf("exited %d; events %s; stderr:\n%s", code, caller.kinds(), caller.stderr.String())
	}
	if got, want := caller.kinds(), "registered dialing ringing accepted trust connected dtmf dtmf ended"; got != want {
		t.Errorf("events: %s, want %s", got, want)
	}
}
