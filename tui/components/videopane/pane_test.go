package videopane

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestPlaceholder(t *testing.T) {
	tests := []struct {
		name       string
		cols, rows int
		text       string
		want       []string
	}{
		{"centred", 12, 3, "no video", []string{"            ", "  no video  ", "            "}},
		{"wrapped", 10, 4, "camera is off", []string{"          ", "camera is ", "   off    ", "          "}},
		{"long word cut", 4, 2, "abcdefghij", []string{"abcd", "efgh"}},
		{"empty text", 3, 1, "", []string{"   "}},
		{"no room", 0, 5, "x", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Placeholder(tt.cols, tt.rows, tt.text)
			if want := strings.Join(tt.want, "\n"); got != want {
				t.Errorf("got\n%q\nwant\n%q", got, want)
			}
		})
	}
	// Non-ASCII text is measured in runes.
	for _, l := range strings.Split(Placeholder(30, 5, TooSmall), "\n") {
		if n := utf8.RuneCountInString(l); n != 30 {
			t.Fatalf("line %q is %d wide", l, n)
		}
	}
}

func TestPane(t *testing.T) {
	p := NewPane(Config{})
	p.SetSize(40, 10)
	if v := p.View(); !strings.Contains(v, "no video") {
		t.Errorf("without a frame: %q", v)
	}

	src := solid(64, 48, 255, 0, 0)
	p.SetFrame(src)
	red := p.View()
	if !strings.Contains(red, "48;2;255;1;0m") {
		t.Fatalf("red frame not drawn: %q", red)
	}
	// The pane keeps its own copy of the planes.
	copy(src.Y, solid(64, 48, 0, 0, 255).Y)
	p.SetColorMode(TrueColor) // no change: cached
	if p.View() != red {
		t.Error("view changed after the source frame was reused")
	}
	p.SetSize(41, 10)
	if v := p.View(); v == red || !strings.Contains(v, "48;2;255;1;0m") {
		t.Error("resize did not redraw the copied frame")
	}

	p.SetStatus("camera off")
	if v := p.View(); !strings.Contains(v, "camera off") || strings.Contains(v, "\x1b") {
		t.Errorf("status: %q", v)
	}
	p.SetStatus("")
	p.SetColorMode(NoColor)
	if v := p.View(); strings.Contains(v, "\x1b") || strings.Count(v, "\n") != 9 {
		t.Errorf("no colour: %q", v)
	}

	p.SetSize(MinCols-1, MinRows)
	if v := p.View(); !strings.Contains(v, "too") {
		t.Errorf("small pane: %q", v)
	}
	p.SetSize(40, 10)
	p.Clear()
	if v := p.View(); !strings.Contains(v, "no video") {
		t.Errorf("after Clear: %q", v)
	}
	bad := solid(8, 8, 0, 0, 0)
	bad.U = nil
	p.SetFrame(src)
	p.SetFrame(bad)
	if v := p.View(); !strings.Contains(v, "no video") {
		t.Errorf("after a malformed frame: %q", v)
	}
}
