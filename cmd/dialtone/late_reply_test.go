package main

import (
	"encoding/hex"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// lateReplies are the terminal's answers to termcap's query, as they
// would reach Bubble Tea when they come after the detection's deadline
// (a slow ssh link): kitty's graphics reply, XTGETTCAP TN, XTVERSION, the
// cell size report and DA1. Each is full of digits and of letters the TUI
// binds (c, q, s, t, ...).
var lateReplies = []string{
	"\x1b_Gi=31;OK\x1b\\",
	"\x1bP1+r544e=787465726d\x1b\\",
	"\x1bP>|kitty(0.26.5)\x1b\\",
	"\x1b[6;13;6t",
	"\x1b[?62;4;22c",
}

// sendRaw writes b to the pane's terminal byte for byte, as the terminal
// itself would, not as keys named to tmux.
func (p *tmuxPane) sendRaw(b string) {
	p.t.Helper()
	args := []string{"send-keys", "-t", p.name, "-H"}
	for _, c := range []byte(b) {
		args = append(args, hex.EncodeToString([]byte{c}))
	}
	p.tmux(args...)
}

// TestPhoneIgnoresLateTerminalRepliesUnderTmux feeds the real binary the
// terminal's replies to the capability query after it stopped waiting for
// them, on the home screen and in a call: none of them may type into the
// dial field, quit, send a keypad tone, mute, turn the camera off or show
// the stats. A key typed after them is the marker that they were read.
func TestPhoneIgnoresLateTerminalRepliesUnderTmux(t *testing.T) {
	needTmux(t)
	bin := binary(t)
	dir := t.TempDir()
	p := newTmuxPane(t, tmuxSocket(t), "late", bin, "--config", filepath.Join(dir, "config.toml"), "--data", dir,
		"--number", "+12025550100", "--camera", "test", "--mic", "test", "--speaker", "none")
	p.waitFor("online as", 20*time.Second)
	p.waitFor("dial 600 for the echo test", time.Second)

	for _, r := range lateReplies {
		p.sendRaw(r)
	}
	p.keys("6")
	s := stripSGR(p.waitFor("6▏", 5*time.Second))
	if field := regexp.MustCompile(`│ *([^│]*?)▏`).FindStringSubmatch(s); field == nil || field[1] != "6" {
		t.Fatalf("the dial field holds %q after the late replies and 6, want 6:\n%s", field, s)
	}
	for _, bad := range []string{"dialtone exited", "this help, on and off"} {
		if strings.Contains(s, bad) {
			t.Fatalf("the late replies left %q on the home screen:\n%s", bad, s)
		}
	}

	p.keys("0", "0", "Enter")
	p.waitFor("h hang up", 20*time.Second)
	for _, r := range lateReplies {
		p.sendRaw(r)
	}
	p.keys("#")
	s = stripSGR(p.waitFor("keys sent:", 5*time.Second))
	if sent := regexp.MustCompile(`keys sent: (\S*)`).FindStringSubmatch(s); sent == nil || sent[1] != "#" {
		t.Errorf("keys sent %q after the late replies and #, want #:\n%s", sent, s)
	}
	for _, want := range []string{"h hang up", "m mute", "v camera off"} {
		if !strings.Contains(s, want) {
			t.Errorf("the call lacks %q after the late replies:\n%s", want, s)
		}
	}
	if strings.Contains(s, "(relay)") {
		t.Errorf("the late replies showed the stats:\n%s", s)
	}
	p.keys("q")
	p.waitFor("dialtone exited 0", 10*time.Second)
}
