package tui

import (
	"bytes"
	"strings"
	"testing"

	"github.com/dialtone/dialtone/tui/components/videopane"
)

// TestVideoPictures: with Pictures set the in-call video goes out as two
// images in the Output's protocol, the remote picture and the self-view;
// a new remote frame sends the remote picture again, and, where pictures
// live in the cells (sixel, iTerm2), the self-view on top of it; the stats
// panel names the protocol.
func TestVideoPictures(t *testing.T) {
	for _, tc := range []struct {
		pics      videopane.Pictures
		image     string // what starts an image
		onNewRemo int    // images sent for a new remote frame
	}{
		{videopane.KittyPictures, "\x1b_Ga=T", 1},
		{videopane.SixelPictures, "\x1bP0;1;0q", 2},
		{videopane.ITermPictures, "\x1b]1337;File=", 2},
	} {
		t.Run(tc.pics.String(), func(t *testing.T) {
			var term bytes.Buffer
			video := videopane.NewOutput(&term, videopane.OutputConfig{Pictures: tc.pics, CellW: 4, CellH: 8})
			m, remote := inCallModel(100, 30, func(c *Config) { c.Video, c.Pictures = video, true })
			remote.WriteFrame(benchFrames(320, 240, 1)[0])
			m.Update(tickMsg{gen: m.tickGen})
			if c := m.View().Content; strings.Contains(c, "▀") {
				t.Fatal("the view draws the video")
			}
			if err := video.Flush(); err != nil {
				t.Fatal(err)
			}
			out := term.String()
			if n := strings.Count(out, tc.image); n != 2 {
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
			if n := strings.Count(term.String(), tc.image); n != tc.onNewRemo {
				t.Errorf("a new remote frame sent %d images, want %d", n, tc.onNewRemo)
			}
			m.stats = true
			if c := m.View().Content; !strings.Contains(c, tc.pics.String()) {
				t.Errorf("the stats panel does not say %s:\n%s", tc.pics, c)
			}
		})
	}
}
