package main

import (
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/dialtone/dialtone/call"
)

// quitWithin is how long a phone may take, from q to its exit, in any
// state. The phone's own bound is a second; the rest is tmux's polling and
// a loaded machine.
const quitWithin = 2 * time.Second

// quitPromptly presses q and waits for the process to exit with status 0.
func (p *tmuxPane) quitPromptly(state string) {
	p.t.Helper()
	start := time.Now()
	p.keys("q")
	p.waitFor("dialtone exited 0", 10*time.Second)
	if d := time.Since(start); d > quitWithin {
		p.t.Errorf("%s: q on %s took %v to exit, want under %v", p.name, state, d, quitWithin)
	} else {
		p.t.Logf("%s: q on %s exited in %v", p.name, state, d.Round(time.Millisecond))
	}
}

// TestPhoneQuitsInEveryStateUnderTmux presses q on the incoming dialog,
// while ringing out, on the call-waiting dialog and on the call-ended card,
// and in a call, and has the real binary exit each time within quitWithin. Before the fix
// the engine's event pump blocked for ever on a TUI that had gone.
func TestPhoneQuitsInEveryStateUnderTmux(t *testing.T) {
	needTmux(t)
	bin := binary(t)
	url := startPhoneServer(t, bin)
	socket := tmuxSocket(t)
	phone := func(name, num string) *tmuxPane {
		dir := t.TempDir()
		p := newTmuxPane(t, socket, name, bin, "--config", filepath.Join(dir, "config.toml"), "--data", dir,
			"--server", url, "--number", num, "--camera", "test", "--mic", "test", "--speaker", "none")
		p.waitFor("online as", 20*time.Second)
		return p
	}

	t.Run("incoming", func(t *testing.T) {
		p := phone("incoming", "+12025550201")
		p.t = t
		startCall(t, url, "+12025550202", "--dial", "+12025550201")
		p.waitFor("incoming call", 20*time.Second)
		p.quitPromptly("the incoming dialog")
	})
	t.Run("SIGTERM while ringing", func(t *testing.T) {
		p := phone("sigterm", "+12025550251")
		p.t = t
		startCall(t, url, "+12025550252", "--dial", "+12025550251")
		p.waitFor("incoming call", 20*time.Second)
		shell := strings.TrimSpace(p.tmux("display-message", "-p", "-t", p.name, "#{pane_pid}"))
		out, err := exec.Command("pgrep", "-P", shell).Output()
		pid, perr := strconv.Atoi(strings.TrimSpace(string(out)))
		if err != nil || perr != nil {
			t.Fatalf("finding the phone's process under the shell %s: %v %v %q", shell, err, perr, out)
		}
		start := time.Now()
		if err := syscall.Kill(pid, syscall.SIGTERM); err != nil {
			t.Fatal(err)
		}
		p.waitFor("dialtone exited", 10*time.Second)
		if d := time.Since(start); d > quitWithin {
			t.Errorf("SIGTERM on the incoming dialog took %v to exit, want under %v", d, quitWithin)
		}
	})
	t.Run("ringing out", func(t *testing.T) {
		callee := phone("callee", "+12025550211")
		caller := phone("caller", "+12025550212")
		callee.t, caller.t = t, t
		caller.keys("+12025550211", "Enter")
		callee.waitFor("incoming call", 20*time.Second)
		caller.waitFor("ringing", 5*time.Second)
		caller.quitPromptly("ringing out")
		callee.waitFor("Recent", 10*time.Second) // the cancelled call went away
		callee.quitPromptly("the home screen")
	})
	t.Run("call waiting", func(t *testing.T) {
		p := phone("waiting", "+12025550221")
		p.t = t
		first := startCall(t, url, "+12025550222", "--dial", "+12025550221")
		p.waitFor("incoming call", 20*time.Second)
		p.keys("a")
		first.waitFor(t, call.EventConnected)
		startCall(t, url, "+12025550223", "--dial", "+12025550221")
		p.waitFor("call waiting", 20*time.Second)
		p.quitPromptly("the call-waiting dialog")
	})
	t.Run("in a call", func(t *testing.T) {
		p := phone("incall", "+12025550241")
		p.t = t
		c := startCall(t, url, "+12025550242", "--dial", "+12025550241")
		p.waitFor("incoming call", 20*time.Second)
		p.keys("a")
		c.waitFor(t, call.EventConnected)
		p.waitFor("kbit/s", 10*time.Second) // stats: media flows
		p.quitPromptly("a call")
		if e := c.waitFor(t, call.EventEnded); e.Reason != "hangup" {
			t.Errorf("the caller saw the call end with %q, want hangup", e.Reason)
		}
	})
	t.Run("call ended", func(t *testing.T) {
		p := phone("ended", "+12025550231")
		p.t = t
		c := startCall(t, url, "+12025550232", "--dial", "+12025550231", "--duration", "1s")
		p.waitFor("incoming call", 20*time.Second)
		p.keys("a")
		c.waitFor(t, call.EventEnded)
		p.waitFor("call ended", 10*time.Second)
		p.quitPromptly("the call-ended card")
	})
}
