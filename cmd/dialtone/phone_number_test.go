package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestPhoneNumberFlagRememberedUnderTmux: a number given with --number is
// remembered in config.toml once the server accepts it, so the next start
// without --number is online as it; a --number the server refuses (another
// phone's) is not, the first-run form asks for another, and the config
// keeps the number it had.
func TestPhoneNumberFlagRememberedUnderTmux(t *testing.T) {
	needTmux(t)
	bin := binary(t)
	url := startPhoneServer(t, bin)
	socket := tmuxSocket(t)
	dir := t.TempDir()
	cfg := filepath.Join(dir, "config.toml")
	phone := func(name string, args ...string) *tmuxPane {
		return newTmuxPane(t, socket, name, append([]string{bin, "--config", cfg, "--data", dir, "--server", url,
			"--camera", "none", "--mic", "none", "--speaker", "none"}, args...)...)
	}
	remembered := func(want string) {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for {
			data, _ := os.ReadFile(cfg)
			if strings.Contains(string(data), `number = "`+want+`"`) {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("config.toml does not say number = %q:\n%s", want, data)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}

	p := phone("given", "--number", "+1 202 555 0161")
	p.waitFor("online as", 20*time.Second)
	remembered("+12025550161")
	p.keys("q")
	p.waitFor("dialtone exited 0", 10*time.Second)

	p = phone("again")
	p.waitFor("online as (202) 555-0161", 20*time.Second)
	p.keys("q")
	p.waitFor("dialtone exited 0", 10*time.Second)

	// Another phone (its own key) holds +1 202 555 0162.
	odir := t.TempDir()
	other := newTmuxPane(t, socket, "other", bin, "--config", filepath.Join(odir, "config.toml"), "--data", odir,
		"--server", url, "--number", "+12025550162", "--camera", "none", "--mic", "none", "--speaker", "none")
	other.waitFor("online as", 20*time.Second)
	other.keys("q")
	other.waitFor("dialtone exited 0", 10*time.Second)

	p = phone("taken", "--number", "+12025550162")
	p.waitFor("belongs to another key", 20*time.Second)
	p.waitFor("Choose another number", time.Second)
	p.keys("q")
	p.waitFor("dialtone exited 0", 10*time.Second)
	remembered("+12025550161")
}
