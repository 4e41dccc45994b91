package main

import (
	"path/filepath"
	"regexp"
	"testing"
	"time"

	"github.com/dialtone/dialtone/call/wire"
	"github.com/dialtone/dialtone/server/servertest"
)

// TestPhoneLinkUnderTmux: one terminal phone shows a link code (l), a
// second phone joins the number with it, a call rings on both, the second
// takes it and the first says where it was answered.
func TestPhoneLinkUnderTmux(t *testing.T) {
	needTmux(t)
	bin := binary(t)
	url := startPhoneServer(t, bin)
	socket := tmuxSocket(t)
	const num = "+12025550141"
	phone := func(name string, args ...string) *tmuxPane {
		dir := t.TempDir()
		return newTmuxPane(t, socket, name, append([]string{bin, "--config", filepath.Join(dir, "config.toml"), "--data", dir,
			"--server", url, "--number", num, "--camera", "test", "--mic", "test", "--speaker", "none", "--device", name}, args...)...)
	}
	desk := phone("desk")
	desk.waitFor("online as", 20*time.Second)
	desk.keys("l")
	screen := stripSGR(desk.waitFor("on the new device:", 10*time.Second))
	m := regexp.MustCompile(`--link ([0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4})`).FindStringSubmatch(screen)
	if m == nil {
		t.Fatalf("no link code on the screen:\n%s", screen)
	}
	laptop := phone("laptop", "--link", m[1])
	laptop.waitFor("online as", 20*time.Second)
	desk.waitFor("linked laptop", 10*time.Second)
	desk.keys("Escape")
	desk.waitFor("linked laptop to this number", 5*time.Second)

	caller := servertest.Register(t, url, "+12025550142")
	r := caller.ExpectReply(caller.Send(&wire.Message{Type: wire.TypeDial, To: num}))
	desk.waitFor("incoming call", 20*time.Second)
	laptop.waitFor("incoming call", 20*time.Second)
	laptop.keys("a")
	caller.Expect(wire.TypeAccepted, r.Call)
	laptop.waitFor("h hang up", 20*time.Second)
	desk.waitFor("answered on laptop", 10*time.Second)
	caller.ExpectReply(caller.Send(&wire.Message{Type: wire.TypeHangup, Call: r.Call}))
	laptop.waitFor("call ended", 10*time.Second)
	laptop.keys("Enter")
	laptop.keys("q")
	desk.keys("q")
	laptop.waitFor("dialtone exited 0", 10*time.Second)
	desk.waitFor("dialtone exited 0", 10*time.Second)
}
