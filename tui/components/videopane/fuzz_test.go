package videopane

import (
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"
	"github.com/dialtone/dialtone/device"
)

// FuzzRender draws frames of odd sizes, with planes filled from the input
// and sometimes too short, in panes from 0×0 to larger than MaxCols×MaxRows.
// It checks that nothing panics and that the output is the promised shape.
func FuzzRender(f *testing.F) {
	f.Add(uint16(0), uint16(0), uint16(0), uint16(0), uint8(0), []byte{})
	f.Add(uint16(2), uint16(2), uint16(1), uint16(1), uint8(0), []byte{1, 2, 3, 4, 5, 6})
	f.Add(uint16(64), uint16(48), uint16(80), uint16(24), uint8(1), []byte{200, 10, 30})
	f.Add(uint16(3), uint16(5), uint16(7), uint16(3), uint8(2), []byte{255})
	f.Add(uint16(640), uint16(2), uint16(2000), uint16(600), uint8(0), []byte{9})
	f.Fuzz(func(t *testing.T, w, h, cols, rows uint16, mode uint8, data []byte) {
		fw, fh := int(w%700), int(h%700)
		c, r := int(cols%1100)-2, int(rows%600)-2
		fr := device.Frame{Width: fw, Height: fh}
		cs := ((fw + 1) / 2) * ((fh + 1) / 2)
		buf := make([]byte, fw*fh+2*cs)
		for i := range buf {
			if len(data) > 0 {
				buf[i] = data[i%len(data)]
			}
		}
		fr.Y, fr.U, fr.V = buf[:fw*fh], buf[fw*fh:fw*fh+cs], buf[fw*fh+cs:]
		if len(data) > 0 && data[0]%5 == 0 && cs > 0 {
			fr.V = fr.V[:cs-1] // malformed
		}
		m := ColorMode(mode % 4) // 3 is not a mode; it must draw something sane
		out := NewRenderer(Config{ColorBits: int(mode % 10)}).Render(fr, c, r, m)
		if c <= 0 || r <= 0 {
			if out != "" {
				t.Fatalf("%dx%d pane: %q", c, r, out)
			}
			return
		}
		wc, wr := min(c, MaxCols), min(r, MaxRows)
		if len(out) > wr*(wc*maxCellBytes+lineBytes) {
			t.Fatalf("%d bytes for %dx%d", len(out), wc, wr)
		}
		lines := strings.Split(out, "\n")
		if len(lines) != wr {
			t.Fatalf("%d lines, want %d", len(lines), wr)
		}
		for i, l := range lines {
			if ansi.StringWidth(l) != wc {
				t.Fatalf("line %d: width %d, want %d", i, ansi.StringWidth(l), wc)
			}
		}
	})
}
