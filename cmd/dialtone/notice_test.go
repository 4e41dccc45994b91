package main

import (
	"bytes"
	"context"
	"errors"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/dialtone/dialtone/call"
)

// TestPhoneStartErrors: a device named on the command line that is not
// there, and a server address that is not one, stop the phone at start
// with a message that says what is wanted and what there is.
func TestPhoneStartErrors(t *testing.T) {
	bin := binary(t)
	for _, tt := range []struct {
		args []string
		want []string
	}{
		{[]string{"--camera", "/dev/video-none"}, []string{`--camera "/dev/video-none"`, "--camera test"}},
		{[]string{"--mic", "no such mic"}, []string{`--mic "no such mic"`, "--mic tone"}},
		{[]string{"--speaker", "no such speaker"}, []string{`--speaker "no such speaker"`, "--speaker none"}},
		{[]string{"--server", "foo"}, []string{`server "foo"`, "want ws://host:port/v1"}},
		{[]string{"--server", "http://example.org:7000"}, []string{"write ws://example.org:7000/v1"}},
	} {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			dir := t.TempDir()
			cmd := exec.Command(bin, append([]string{"--config", filepath.Join(dir, "config.toml"), "--data", dir,
				"--number", "+12025550100"}, tt.args...)...)
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			err := cmd.Run()
			var ee *exec.ExitError
			if !errors.As(err, &ee) || ee.ExitCode() != 1 {
				t.Fatalf("exit: %v, want status 1; stderr:\n%s", err, stderr.String())
			}
			for _, w := range tt.want {
				if !strings.Contains(stderr.String(), w) {
					t.Errorf("stderr lacks %q:\n%s", w, stderr.String())
				}
			}
		})
	}
}

// closedAddr is a loopback address nothing listens on.
func closedAddr(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// TestPhoneUnreachableUnderTmux: against a server that is not there the
// header says why and when it tries again, and a dial is refused at once.
// The address is given as host:port, which the phone takes as ws://…/v1.
func TestPhoneUnreachableUnderTmux(t *testing.T) {
	needTmux(t)
	bin := binary(t)
	dir := t.TempDir()
	addr := closedAddr(t)
	p := newTmuxPane(t, tmuxSocket(t), "unreachable", bin, "--config", filepath.Join(dir, "config.toml"), "--data", dir,
		"--server", addr, "--number", "+12025550100", "--camera", "test", "--mic", "test", "--speaker", "none")
	start := time.Now()
	p.waitFor("can't reach the server", 5*time.Second)
	t.Logf("the reason was on screen %v after start", time.Since(start).Round(time.Millisecond))
	p.waitFor("ws://"+addr+"/v1: connection refused", time.Second)
	p.waitFor("next try", time.Second)
	p.keys("+12025550111", "Enter")
	start = time.Now()
	p.waitFor("can't call now", 2*time.Second)
	if d := time.Since(start); d > time.Second {
		t.Errorf("the dial took %v to be refused", d)
	}
	p.quitPromptly("the home screen, offline")
}

// TestPhoneNumberTakenUnderTmux: a number bound to another key sends the
// first-run form back, saying why, and is not written to the config; the
// next number, once the server takes it, is.
func TestPhoneNumberTakenUnderTmux(t *testing.T) {
	needTmux(t)
	bin := binary(t)
	url := startPhoneServer(t, bin)
	owner := startCall(t, url, "+12025550301", "--answer", "auto")
	owner.waitFor(t, call.EventRegistered)
	owner.cmd.Process.Kill() // the number stays bound to its key

	dir := t.TempDir()
	cfg := filepath.Join(dir, "config.toml")
	p := newTmuxPane(t, tmuxSocket(t), "taken", bin, "--config", cfg, "--data", dir,
		"--server", url, "--camera", "test", "--mic", "test", "--speaker", "none")
	p.waitFor("What is your phone number?", 10*time.Second)
	p.keys("+12025550301", "Enter")
	p.waitFor("belongs to another key", 10*time.Second)
	p.waitFor("Choose another number", time.Second)
	if data, _ := os.ReadFile(cfg); strings.Contains(string(data), "12025550301") {
		t.Errorf("the refused number was saved:\n%s", data)
	}
	p.keys("BSpace", "BSpace", "9", "9", "Enter")
	p.waitFor("online as", 10*time.Second)
	deadline := time.Now().Add(5 * time.Second)
	for {
		data, _ := os.ReadFile(cfg)
		if strings.Contains(string(data), `number = "+12025550399"`) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the accepted number was not saved:\n%s", data)
		}
		time.Sleep(50 * time.Millisecond)
	}
	p.quitPromptly("the home screen")
}

// TestPhoneServerDiesUnderTmux: the server is killed mid-call. Within two
// seconds the call says the connection was lost and that it reconnects;
// the picture is not left up as if live; and when the call's media (which
// the server's relay carried) goes, the card says why in words.
func TestPhoneServerDiesUnderTmux(t *testing.T) {
	needTmux(t)
	bin := binary(t)
	rs := startServer(t)
	url := rs.addrs["signalling"]
	dir := t.TempDir()
	p := newTmuxPane(t, tmuxSocket(t), "dies", bin, "--config", filepath.Join(dir, "config.toml"), "--data", dir,
		"--server", url, "--number", "+12025550401", "--camera", "test", "--mic", "test", "--speaker", "none")
	p.waitFor("online as", 20*time.Second)
	c := startCall(t, url, "+12025550402", "--dial", "+12025550401")
	p.waitFor("incoming call", 20*time.Second)
	p.keys("a")
	c.waitFor(t, call.EventConnected)
	p.waitFor("kbit/s", 10*time.Second) // stats: media flows
	rs.cmd.Process.Kill()
	start := time.Now()
	p.waitFor("connection to the server lost", 2*time.Second)
	t.Logf("the loss was on screen %v after the kill", time.Since(start).Round(time.Millisecond))
	p.waitFor("video stalled", 5*time.Second)
	p.waitFor("call ended", 60*time.Second)
	p.waitFor("the connection to the server was lost", time.Second)
	t.Logf("the call ended %v after the kill", time.Since(start).Round(time.Millisecond))
	p.quitPromptly("the call-ended card")
}

// TestPhoneNoDevicesUnderTmux: on a machine without a camera or audio the
// home screen says so, with the flags to try the phone without them.
func TestPhoneNoDevicesUnderTmux(t *testing.T) {
	needTmux(t)
	if cams, err := listCameras(); err == nil && len(cams) > 0 {
		t.Skip("this machine has a camera")
	}
	bin := binary(t)
	dir := t.TempDir()
	p := newTmuxPane(t, tmuxSocket(t), "nodevices", bin, "--config", filepath.Join(dir, "config.toml"), "--data", dir,
		"--number", "+12025550501")
	p.waitFor("online as", 20*time.Second)
	p.waitFor("no camera (none found)", time.Second)
	p.waitFor("--camera test --mic tone", time.Second)
	p.quitPromptly("the home screen")
}

// TestPhoneCameraOffUnderTmux: when one phone turns its camera off (v), the
// other shows "their camera is off" in place of the last picture, and the picture
// again when it comes back on.
func TestPhoneCameraOffUnderTmux(t *testing.T) {
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
	callee, caller := phone("callee", "+12025550701"), phone("caller", "+12025550702")
	caller.keys("+12025550701", "Enter")
	callee.waitFor("incoming call", 20*time.Second)
	callee.keys("a")
	callee.waitFor("kbit/s", 20*time.Second) // stats: media flows
	waitBlocks := func() {
		deadline := time.Now().Add(20 * time.Second)
		for truecolourBlocks(callee.screen(true)) < 10 {
			if time.Now().After(deadline) {
				t.Fatalf("the callee shows no video:\n%s", callee.screen(false))
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	waitBlocks()
	caller.keys("v")
	start := time.Now()
	callee.waitFor("their camera is off", 5*time.Second)
	t.Logf("camera off on the other screen %v after v", time.Since(start).Round(time.Millisecond))
	caller.keys("v")
	deadline := time.Now().Add(5 * time.Second)
	for strings.Contains(callee.screen(false), "their camera is off") {
		if time.Now().After(deadline) {
			t.Fatalf("still camera off after the camera came back:\n%s", callee.screen(false))
		}
		time.Sleep(50 * time.Millisecond)
	}
	waitBlocks()
	caller.quitPromptly("a call")
	callee.waitFor("hung up", 10*time.Second)
	callee.quitPromptly("the call-ended card")
}

// TestPhoneWithoutTerminal: with its output piped (dialtone | tee log) the
// phone, whose input was still a terminal, showed nothing, for ever; with
// no terminal at all it failed with Bubble Tea's words. It now stops at
// once and says why and what to use instead.
func TestPhoneWithoutTerminal(t *testing.T) {
	bin := binary(t)
	for _, withTTY := range []bool{true, false} {
		t.Run(map[bool]string{true: "input a terminal", false: "no terminal"}[withTTY], func(t *testing.T) {
			dir := t.TempDir()
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			cmd := exec.CommandContext(ctx, bin, "--config", filepath.Join(dir, "config.toml"), "--data", dir,
				"--number", "+12025550100", "--camera", "test", "--mic", "tone", "--speaker", "none")
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			if withTTY {
				master, slave := openPty(t)
				defer master.Close()
				defer slave.Close()
				cmd.Stdin = slave
				cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Setctty: true}
			}
			err := cmd.Run()
			if ctx.Err() != nil {
				t.Fatalf("the phone was still running 30 s later, showing nothing; stderr:\n%s", stderr.String())
			}
			var ee *exec.ExitError
			if !errors.As(err, &ee) || ee.ExitCode() != 1 {
				t.Fatalf("exit: %v, want status 1; stderr:\n%s", err, stderr.String())
			}
			for _, w := range []string{"needs a terminal", "dialtone call"} {
				if !strings.Contains(stderr.String(), w) {
					t.Errorf("stderr lacks %q:\n%s", w, stderr.String())
				}
			}
		})
	}
}
