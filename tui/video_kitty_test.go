package tui

import (
	"bytes"
	"strings"
	"testing"

	"github.com/dialtone/dialtone/tui/components/videopane"
)

// TestVideoKitty: with Kitty set the in-call video goes out as two kitty
// images, the remote picture and the self-view, and a new remote frame
// sends the remote picture again and only it.
func TestVideoKitty(t *testing.T) {
	var term bytes.Buffer
	video := videopane.NewOutput(&term, videopane.OutputConfig{})
	m, remote := inCallModel(100, 30, func(c *Config) { c.Video, c.Kitty = video, true })
	remote.WriteFrame(benchFrames(320, 240, 1)[0])
	m.Update(tickMsg{gen: m.tickGen})
	if c := m.View().Content; strings.Contains(c, "▀") {
		t.Fatal("the view draws the video")
	}
	if err := video.Flush(); err != nil {
		t.Fatal(err)
	}
	out := term.String()
	if n := strings.Count(out, "\x1b_Ga=T"); n != 2 || !strings.Contains(out, ",i=1,") || !strings.Contains(out, ",i=2,") {
		t.Fatalf("%d images sent, want the remote picture and the self-view: %q", n, out[:min(200, len(out))])
	}
	if strings.Contains(out, "▀") {
		t.Error("cells painted besides the images")
	}
	term.Reset()
	remote.WriteFrame(benchFrames(320, 240, 2)[1])
	m.Update(tickMsg{gen: m.tickGen})
	m.View()
	if err := video.Flush(); err != nil {
		t.Fatal(err)
	}
	if out := term.String(); strings.Count(out, "\x1b_Ga=T") != 1 || !strings.Contains(out, ",i=1,") {
		t.Errorf("a new remote frame sent %q, want image 1 only", out[:min(200, len(out))])
	}
	m.stats = true
	if c := m.View().Content; !strings.Contains(c, "kitty graphics") {
		t.Errorf("the stats panel does not say kitty graphics:\n%s", c)
	}
}
