package main

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/dialtone/dialtone/call"
)

// TestPhoneKeypadUnderTmux: in a call between the real TUI and `dialtone
// call --dtmf 5*`, the caller's keys show in the TUI's in-call view, and
// keys typed in the TUI arrive at the caller as dtmf events.
func TestPhoneKeypadUnderTmux(t *testing.T) {
	needTmux(t)
	bin := binary(t)
	url := startPhoneServer(t, bin)
	dir := t.TempDir()
	p := newTmuxPane(t, tmuxSocket(t), "keypad", bin, "--config", filepath.Join(dir, "config.toml"), "--data", dir,
		"--server", url, "--number", "+12025550166", "--camera", "test", "--mic", "test", "--speaker", "none")
	p.waitFor("online as", 20*time.Second)

	caller := startCall(t, url, "+12025550177", "--dial", "+12025550166", "--dtmf", "5*")
	p.waitFor("incoming call", 20*time.Second)
	p.keys("a")
	caller.waitFor(t, call.EventConnected)
	p.waitFor("keys from the other side: 5*", 20*time.Second)
	p.keys("1", "#")
	if got := callerKeys(t, caller, 2); got != "1#" {
		t.Errorf("the caller received %q, want the 1# typed in the TUI", got)
	}
	p.waitFor("keys sent: 1# · keys from the other side: 5*", 5*time.Second)
	caller.cmd.Process.Signal(os.Interrupt)
	if code := caller.exit(t); code != exitCallOK {
		t.Errorf("the caller exited %d, want %d", code, exitCallOK)
	}
	p.waitFor("call ended", 10*time.Second)
	p.keys("Enter", "q")
	p.waitFor("dialtone exited 0", 10*time.Second)
}
