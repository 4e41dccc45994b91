package main

import (
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestPhoneQuitWhileRingingUnderTmux: the callee presses q on the incoming
// dialog. Quitting is not declining: the caller's screen says the call was
// not answered, never that it was declined, and the callee's phone, started
// again, lists it as a missed call.
func TestPhoneQuitWhileRingingUnderTmux(t *testing.T) {
	needTmux(t)
	bin := binary(t)
	url := startPhoneServer(t, bin)
	socket := tmuxSocket(t)
	calleeDir := t.TempDir()
	callee := func(name string) *tmuxPane {
		p := newTmuxPane(t, socket, name, bin, "--config", filepath.Join(calleeDir, "config.toml"), "--data", calleeDir,
			"--server", url, "--number", "+12025550311", "--camera", "none", "--mic", "none", "--speaker", "none")
		p.waitFor("online as", 20*time.Second)
		return p
	}
	cdir := t.TempDir()
	caller := newTmuxPane(t, socket, "caller", bin, "--config", filepath.Join(cdir, "config.toml"), "--data", cdir,
		"--server", url, "--number", "+12025550322", "--camera", "none", "--mic", "none", "--speaker", "none")
	caller.waitFor("online as", 20*time.Second)
	p := callee("callee")

	caller.keys("+12025550311", "Enter")
	p.waitFor("incoming call", 20*time.Second)
	p.waitFor("(202) 555-0322", time.Second)
	p.keys("q")
	p.waitFor("dialtone exited 0", 10*time.Second)
	s := stripSGR(caller.waitFor("no answer after", 10*time.Second))
	if strings.Contains(s, "declined") || strings.Contains(s, "refused") {
		t.Errorf("the caller was told the call was declined:\n%s", s)
	}

	p = callee("again")
	s = stripSGR(p.waitFor("missed", 10*time.Second))
	if !strings.Contains(s, "(202) 555-0322") {
		t.Errorf("the missed call does not name the caller:\n%s", s)
	}
	p.keys("q")
	p.waitFor("dialtone exited 0", 10*time.Second)
	caller.keys("Enter", "q")
	caller.waitFor("dialtone exited 0", 10*time.Second)
}
