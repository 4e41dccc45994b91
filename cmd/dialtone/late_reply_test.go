package main

import (
	"bytes"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/dialtone/dialtone/tui/components/videopane/termcap"
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

// openPty opens a pseudo-terminal of 100×40 cells: the master end for the
// test, the slave end for the phone.
func openPty(t *testing.T) (master, slave *os.File) {
	t.Helper()
	master, err := os.OpenFile("/dev/ptmx", os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Skipf("no pty: %v", err)
	}
	if err := unix.IoctlSetPointerInt(int(master.Fd()), unix.TIOCSPTLCK, 0); err != nil {
		t.Fatal(err)
	}
	n, err := unix.IoctlGetInt(int(master.Fd()), unix.TIOCGPTN)
	if err != nil {
		t.Fatal(err)
	}
	slave, err = os.OpenFile("/dev/pts/"+strconv.Itoa(n), os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := unix.IoctlSetWinsize(int(slave.Fd()), unix.TIOCSWINSZ, &unix.Winsize{Row: 40, Col: 100}); err != nil {
		t.Fatal(err)
	}
	return master, slave
}

// ptyTerm is a terminal the test plays itself: the phone runs on the
// pty's other end, as its controlling terminal, and what it writes is
// kept.
type ptyTerm struct {
	t      *testing.T
	master *os.File
	mu     sync.Mutex
	out    []byte
	grew   chan struct{} // closed and replaced whenever out grows
}

func newPtyTerm(t *testing.T, bin string, args ...string) *ptyTerm {
	t.Helper()
	master, slave := openPty(t)
	cmd := exec.Command(bin, args...)
	// Not inside tmux, whatever runs the test: the phone asks this
	// terminal what it can show.
	cmd.Env = append(slices.DeleteFunc(os.Environ(), func(kv string) bool {
		return strings.HasPrefix(kv, "TMUX=") || strings.HasPrefix(kv, "TERM=") || strings.HasPrefix(kv, "TERM_PROGRAM=")
	}), "TERM=xterm-256color", "COLORTERM=truecolor")
	cmd.Stdin, cmd.Stdout, cmd.Stderr = slave, slave, slave
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Setctty: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	slave.Close()
	p := &ptyTerm{t: t, master: master, grew: make(chan struct{})}
	read := make(chan struct{})
	go func() {
		defer close(read)
		b := make([]byte, 32<<10)
		for {
			n, err := master.Read(b)
			p.mu.Lock()
			p.out = append(p.out, b[:n]...)
			close(p.grew)
			p.grew = make(chan struct{})
			p.mu.Unlock()
			if err != nil {
				return
			}
		}
	}()
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
		master.Close()
		<-read
	})
	return p
}

// waitFor waits until the phone has written want since the output's
// offset from, and returns the offset after it.
func (p *ptyTerm) waitFor(from int, want string, d time.Duration) int {
	p.t.Helper()
	timeout := time.After(d)
	for {
		p.mu.Lock()
		i := bytes.Index(p.out[from:], []byte(want))
		grew := p.grew
		p.mu.Unlock()
		if i >= 0 {
			return from + i + len(want)
		}
		select {
		case <-grew:
		case <-timeout:
			p.mu.Lock()
			defer p.mu.Unlock()
			p.t.Fatalf("waited %v for %q; the phone wrote %d bytes, ending:\n%q", d, want, len(p.out), p.out[max(0, len(p.out)-2000):])
		}
	}
}

func (p *ptyTerm) send(s string) {
	p.t.Helper()
	if _, err := p.master.WriteString(s); err != nil {
		p.t.Fatal(err)
	}
}

// TestPhoneDropsSlowRepliesInPieces plays a terminal over a slow link:
// it answers the phone's capability query only after the phone stopped
// waiting, each reply in two pieces further apart than Bubble Tea waits
// for the rest of a sequence. Then 600 and Enter dial the echo test; a
// digit of a reply taken for a key would dial another number.
func TestPhoneDropsSlowRepliesInPieces(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the phone; not in -short")
	}
	if newEngine == nil {
		t.Skip("this build has no call engine; nothing to call")
	}
	bin := binary(t)
	dir := t.TempDir()
	p := newPtyTerm(t, bin, "--config", filepath.Join(dir, "config.toml"), "--data", dir,
		"--number", "+12025550100", "--camera", "test", "--mic", "test", "--speaker", "none")
	at := p.waitFor(0, termcap.Query, 20*time.Second)
	at = p.waitFor(at, "online as", 20*time.Second)
	// The link's delay, between the pieces, is what is tested: longer than
	// Bubble Tea's 50 ms for the rest of a sequence.
	const gap = 150 * time.Millisecond
	for _, r := range lateReplies {
		cut := len(r) * 2 / 3
		p.send(r[:cut])
		time.Sleep(gap)
		p.send(r[cut:])
	}
	p.send("600\r")
	// The help bar styles the key apart from its words.
	p.waitFor(at, "hang up", 20*time.Second)
}
