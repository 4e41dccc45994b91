package tui

import (
	"bytes"
	"strings"
	"testing"

	"github.com/dialtone/dialtone/tui/components/videopane"
)

// TestVideoPaintedOutsideTheView: with a video Output the in-call view
// leaves the video region blank, so Bubble Tea's cell diff never touches
// it, and the Output paints the picture there in one synchronized update;
// once the call's screen is gone the picture is erased and nothing more
// is painted.
func TestVideoPaintedOutsideTheView(t *testing.T) {
	var term bytes.Buffer
	video := videopane.NewOutput(&term, videopane.OutputConfig{})
	m, remote := inCallModel(100, 30, func(c *Config) { c.Video = video })
	remote.WriteFrame(benchFrames(320, 240, 1)[0])
	m.Update(tickMsg{gen: m.tickGen})
	content := m.View().Content
	lines := strings.Split(content, "\n")
	for i, l := range lines[:20] {
		if strings.TrimSpace(l) != "" {
			t.Fatalf("view line %d is not blank: %q", i, l)
		}
	}
	if !strings.Contains(content, "hang up") {
		t.Fatalf("the rest of the screen is gone:\n%s", content)
	}
	if err := video.Flush(); err != nil {
		t.Fatal(err)
	}
	out := term.String()
	if !strings.HasPrefix(out, "\x1b[?2026h") || !strings.HasSuffix(out, "\x1b[?2026l") || strings.Count(out, "\x1b[?2026h") != 1 {
		t.Fatalf("not one synchronized update: %q", out[:min(80, len(out))])
	}
	if n := strings.Count(out, "▀") + strings.Count(out, "▄"); n < 100 {
		t.Fatalf("only %d half-blocks painted", n)
	}
	if s := video.Stats(); s.Frames != 1 {
		t.Errorf("stats: %+v, want 1 frame", s)
	}

	term.Reset()
	m.screen = ScreenSummary
	m.View()
	// Leaving, the picture is erased at once, before the new screen is
	// drawn; then nothing more is painted.
	if erase := term.String(); !strings.Contains(erase, "X") || strings.Contains(erase, "▀") {
		t.Errorf("leaving the call's screen wrote %q, want the region erased", erase[:min(80, len(erase))])
	}
	term.Reset()
	remote.WriteFrame(benchFrames(320, 240, 2)[1])
	m.Update(tickMsg{gen: m.tickGen})
	m.View()
	if err := video.Flush(); err != nil {
		t.Fatal(err)
	}
	if term.Len() != 0 {
		t.Errorf("painted after the call's screen left: %q", term.String()[:min(80, term.Len())])
	}
}
