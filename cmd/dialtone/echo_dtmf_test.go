package main

import (
	"os"
	"testing"
	"time"

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

func TestCallFlagsDTMF(t *testing.T) {
	for _, tc := range []struct {
		dtmf, mic string
		ok        bool
	}{
		{"1234#", "tone", true},
		{",,1,2001#*ABCDabcd", "tone", true},
		{"", "none", true},
		{"12x", "tone", false},
		{"1 2", "tone", false},
		{"1", "none", false},
	} {
		f := &callFlags{server: "ws://h/v1", number: "+15550100001", dial: "600", retryMax: time.Second, dtmf: tc.dtmf, mic: tc.mic}
		if err := f.check(); (err == nil) != tc.ok {
			t.Errorf("--dtmf %q --mic %s: %v, want ok %v", tc.dtmf, tc.mic, err, tc.ok)
		}
	}
}
