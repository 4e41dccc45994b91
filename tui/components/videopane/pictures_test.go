package videopane

import (
	"bytes"
	"regexp"
	"strings"
	"testing"
)

// cellPictures lists, in order, what an Output wrote for in-cell pictures:
// "draw R,C" for a sixel or iTerm2 image at row R, column C (1-based, as
// the cursor position before it), "erase R,C+N" for an erased row.
func cellPictures(out string) []string {
	re := regexp.MustCompile(`\x1b\[(\d+);(\d+)H(\x1bP0;1;0q|\x1b\]1337;File=|\x1b\[(\d+)X)`)
	var got []string
	for _, m := range re.FindAllStringSubmatch(out, -1) {
		if m[4] != "" {
			got = append(got, "erase "+m[1]+","+m[2]+"+"+m[4])
		} else {
			got = append(got, "draw "+m[1]+","+m[2])
		}
	}
	return got
}

// TestOutputCellPictures: sixel and iTerm2 pictures live in the cells, so
// a picture drawn again redraws the ones on top of it (the self-view over
// the remote picture), a picture that moves or goes is erased where it
// was, and leaving the alternate screen or hiding erases them all.
func TestOutputCellPictures(t *testing.T) {
	for _, pics := range []Pictures{SixelPictures, ITermPictures} {
		t.Run(pics.String(), func(t *testing.T) {
			var term bytes.Buffer
			o := NewOutput(&term, OutputConfig{Pictures: pics, CellW: 4, CellH: 8})
			remote, self := movingFrame(64, 48, 0), movingFrame(32, 24, 1)
			at1, at2 := Rect{Cols: 20, Rows: 6}, Rect{Col: 14, Row: 4, Cols: 4, Rows: 2}
			step := func(name string, submit func(), want ...string) {
				t.Helper()
				submit()
				if err := o.Flush(); err != nil {
					t.Fatal(err)
				}
				out := term.String()
				term.Reset()
				if got := cellPictures(out); strings.Join(got, ";") != strings.Join(want, ";") {
					t.Errorf("%s: wrote %v, want %v", name, got, want)
				}
				if out != "" && (!strings.HasPrefix(out, syncBegin) || !strings.HasSuffix(out, syncEnd)) {
					t.Errorf("%s: not one synchronized update in a cursor save: %q", name, out[:min(40, len(out))])
				}
			}
			imgs := func(g1, g2 uint64, at Rect) func() {
				return func() {
					o.SubmitImages([]Image{{Frame: remote, At: at1, Gen: g1}, {Frame: self, At: at, Gen: g2}}, false)
				}
			}
			step("first", imgs(1, 1, at2), "draw 1,1", "draw 5,15")
			step("same", imgs(1, 1, at2))
			step("new self frame", imgs(1, 2, at2), "draw 5,15")
			step("new remote frame: the self-view on top again", imgs(2, 2, at2), "draw 1,1", "draw 5,15")
			moved := Rect{Col: 13, Row: 4, Cols: 4, Rows: 2}
			step("self-view moved", imgs(2, 2, moved), "erase 5,15+4", "erase 6,15+4", "draw 5,14")
			step("self-view gone", func() { o.SubmitImages([]Image{{Frame: remote, At: at1, Gen: 2}}, false) }, "erase 5,14+4", "erase 6,14+4")

			o.Hide()
			if got := cellPictures(term.String()); len(got) != at1.Rows || !strings.HasPrefix(got[0], "erase 1,1+20") {
				t.Errorf("Hide wrote %v, want the picture's %d rows erased", got, at1.Rows)
			}
			term.Reset()
			step("shown again", imgs(3, 3, at2), "draw 1,1", "draw 5,15")
			if _, err := o.Write([]byte("\x1b[?1049l")); err != nil {
				t.Fatal(err)
			}
			out := term.String()
			if got := cellPictures(out); len(got) != at1.Rows+at2.Rows || !strings.HasSuffix(out, "\x1b[?1049l") {
				t.Errorf("leaving the alternate screen wrote %v then %q, want both pictures erased first", got, out[max(0, len(out)-8):])
			}
		})
	}
}
