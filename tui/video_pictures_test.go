package tui

import (
	"bytes"
	"reflect"
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"

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

// TestResizeClearsCellPictures: where pictures live in the cells, the
// screen is cleared once a resize has settled, and only after the last
// of several; kitty pictures, above the text, need no clear.
func TestResizeClearsCellPictures(t *testing.T) {
	for _, tc := range []struct {
		pics  videopane.Pictures
		clear bool
	}{{videopane.SixelPictures, true}, {videopane.ITermPictures, true}, {videopane.KittyPictures, false}} {
		t.Run(tc.pics.String(), func(t *testing.T) {
			video := videopane.NewOutput(&bytes.Buffer{}, videopane.OutputConfig{Pictures: tc.pics})
			m, _ := inCallModel(100, 30, func(c *Config) { c.Video, c.Pictures = video, true })
			_, cmd := m.Update(tea.WindowSizeMsg{Width: 120, Height: 40})
			if (cmd != nil) != tc.clear {
				t.Fatalf("resize returned %v, want a settle timer: %v", cmd, tc.clear)
			}
			if !tc.clear {
				return
			}
			first := m.resizeGen
			m.Update(tea.WindowSizeMsg{Width: 130, Height: 40})
			if _, cmd := m.Update(resizedMsg{gen: first}); cmd != nil {
				t.Error("an earlier resize's timer cleared the screen")
			}
			_, cmd = m.Update(resizedMsg{gen: m.resizeGen})
			if cmd == nil || reflect.TypeOf(cmd()) != reflect.TypeOf(tea.ClearScreen()) {
				t.Errorf("the last resize's timer returned %v, want a clear screen", cmd)
			}
		})
	}
}

// TestStatsNameTheVideo: the stats panel's display line names how the
// video is drawn, for every --video choice.
func TestStatsNameTheVideo(t *testing.T) {
	for _, tc := range []struct {
		want string
		opt  func(*Config)
	}{
		{"blocks", func(c *Config) {}},
		{"quadrant", func(c *Config) { c.Glyphs = videopane.Quadrants }},
		{"sextant", func(c *Config) { c.Glyphs = videopane.Sextants }},
		{"ascii", func(c *Config) { c.ASCII = true }},
		{"kitty graphics", func(c *Config) { c.Pictures = true }},
	} {
		t.Run(tc.want, func(t *testing.T) {
			video := videopane.NewOutput(&bytes.Buffer{}, videopane.OutputConfig{})
			m, remote := inCallModel(100, 30, func(c *Config) { c.Video = video; tc.opt(c) })
			remote.WriteFrame(benchFrames(320, 240, 1)[0])
			m.Update(tickMsg{gen: m.tickGen})
			m.View()
			m.stats = true
			c := m.View().Content
			i := strings.Index(c, "display")
			if i < 0 {
				t.Fatalf("no display line in the stats panel:\n%s", c)
			}
			if line, _, _ := strings.Cut(c[i:], "\n"); !strings.Contains(line, tc.want+" ") {
				t.Errorf("display line %q does not name %q", line, tc.want)
			}
		})
	}
}
