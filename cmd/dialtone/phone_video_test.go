package main

import (
	"context"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dialtone/dialtone/tui/components/videopane"
	"github.com/dialtone/dialtone/tui/components/videopane/termcap"
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
		{"sixel", videopane.HalfBlocks, false, false},
		{"iterm", videopane.HalfBlocks, false, false},
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

// TestPictures: the protocol asked for, and inside tmux, left to auto,
// none; never for the cell modes.
func TestPictures(t *testing.T) {
	t.Setenv("TMUX", "/tmp/tmux-0/default,1,0")
	logger := slog.New(slog.DiscardHandler)
	for mode, want := range map[string]videopane.Pictures{
		"kitty": videopane.KittyPictures, "sixel": videopane.SixelPictures, "iterm": videopane.ITermPictures,
		"auto": videopane.NoPictures, "blocks": videopane.NoPictures, "sextant": videopane.NoPictures,
	} {
		if got := pictures(context.Background(), mode, logger).pics; got != want {
			t.Errorf("pictures(%q) in tmux = %v, want %v", mode, got, want)
		}
	}
}

// TestChoosePictures: auto takes kitty graphics first, then iTerm2 images
// for a terminal that names itself iTerm2 or WezTerm, then sixel.
func TestChoosePictures(t *testing.T) {
	for _, tc := range []struct {
		caps termcap.Caps
		tp   string
		want videopane.Pictures
	}{
		{termcap.Caps{Answered: true, Kitty: true, Sixel: true, Version: "WezTerm 2024"}, "", videopane.KittyPictures},
		{termcap.Caps{Answered: true, Sixel: true, Version: "WezTerm 20240203"}, "", videopane.ITermPictures},
		{termcap.Caps{Answered: true, Sixel: true}, "iTerm.app", videopane.ITermPictures},
		{termcap.Caps{Answered: true, Sixel: true, Name: "xterm", Version: "XTerm(379)"}, "", videopane.SixelPictures},
		{termcap.Caps{Answered: true, Name: "xterm"}, "", videopane.NoPictures},
		{termcap.Caps{}, "", videopane.NoPictures},
	} {
		if got := choosePictures(tc.caps, tc.tp); got != tc.want {
			t.Errorf("choosePictures(%+v, %q) = %v, want %v", tc.caps, tc.tp, got, tc.want)
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
