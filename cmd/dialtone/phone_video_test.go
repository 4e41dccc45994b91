package main

import (
	"context"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dialtone/dialtone/tui/components/videopane"
)

func TestVideoMode(t *testing.T) {
	for _, tc := range []struct {
		in     string
		glyphs videopane.Glyphs
		ascii  bool
		bad    bool
	}{
		{"auto", videopane.HalfBlocks, false, false},
		{"blocks", videopane.HalfBlocks, false, false},
		{"quadrant", videopane.Quadrants, false, false},
		{"sextant", videopane.Sextants, false, false},
		{"ascii", videopane.HalfBlocks, true, false},
		{"kitty", videopane.HalfBlocks, false, false},
		{"kitty-ish", 0, false, true},
	} {
		g, a, err := videoMode(tc.in)
		if (err != nil) != tc.bad || g != tc.glyphs || a != tc.ascii {
			t.Errorf("videoMode(%q) = %v, %v, %v", tc.in, g, a, err)
		}
		var c phoneConfig
		if err := c.parse([]byte(`video = "` + tc.in + `"`)); (err != nil) != tc.bad {
			t.Errorf("config video = %q: %v", tc.in, err)
		}
	}
}

// TestUseKitty: kitty graphics when asked for, never inside tmux when
// left to auto, and never for the cell modes.
func TestUseKitty(t *testing.T) {
	t.Setenv("TMUX", "/tmp/tmux-0/default,1,0")
	logger := slog.New(slog.DiscardHandler)
	for mode, want := range map[string]bool{"kitty": true, "auto": false, "blocks": false, "sextant": false} {
		if got := useKitty(context.Background(), mode, logger); got != want {
			t.Errorf("useKitty(%q) in tmux = %v, want %v", mode, got, want)
		}
	}
}

// TestPhoneSextantUnderTmux: with --video sextant the echo test's picture
// comes back drawn in Unicode 13 sextants.
func TestPhoneSextantUnderTmux(t *testing.T) {
	needTmux(t)
	bin := binary(t)
	dir := t.TempDir()
	p := newTmuxPane(t, tmuxSocket(t), "sextant", bin, "--config", filepath.Join(dir, "config.toml"), "--data", dir,
		"--number", "+12025550100", "--camera", "test", "--mic", "test", "--speaker", "none", "--video", "sextant")
	p.waitFor("online as", 20*time.Second)
	p.keys("6", "0", "0", "Enter")
	p.waitFor("hang up", 20*time.Second)
	deadline := time.Now().Add(20 * time.Second)
	for {
		n := 0
		for _, r := range p.screen(false) {
			if r >= 0x1FB00 && r <= 0x1FB3B {
				n++
			}
		}
		if n >= 50 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d sextants on the screen:\n%s", n, p.screen(false))
		}
		time.Sleep(50 * time.Millisecond)
	}
	p.keys("s")
	if s := p.waitFor("display", 5*time.Second); !strings.Contains(stripSGR(s), "sextant") {
		t.Errorf("the stats panel does not say sextant:\n%s", stripSGR(s))
	}
	p.keys("h")
	p.waitFor("call ended", 10*time.Second)
	p.keys("q")
}
