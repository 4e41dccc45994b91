package videopane

import (
	"os"
	"path/filepath"
	"testing"
)

// shows checks that the terminal's cells at (x0, y0) show g's picture, each
// pixel within tol per channel (TrueColor) or exactly.
func shows(t *testing.T, v *vterm, g *Grid, x0, y0, tol int) {
	t.Helper()
	for y := range g.Rows {
		for x, c := range g.Row(y) {
			got := v.at(x0+x, y0+y)
			want := cell{up: colourOf(c.Fg), lo: colourOf(c.Bg), glyph: c.R}
			if c.R == ' ' {
				want.up = want.lo
			}
			if c.R != '▀' && c.R != ' ' && got.glyph != c.R {
				t.Fatalf("cell %d,%d: glyph %q, want %q", x, y, got.glyph, c.R)
			}
			if !nearColour(got.up, want.up, tol) || !nearColour(got.lo, want.lo, tol) {
				t.Fatalf("cell %d,%d shows %06x/%06x, want %06x/%06x", x, y, got.up, got.lo, want.up, want.lo)
			}
		}
	}
}

func colourOf(k uint32) colour {
	if k == none {
		return deflt
	}
	return colour(k)
}

func nearColour(a, b colour, tol int) bool {
	if a == deflt || b == deflt {
		return a == b
	}
	ar, ag, ab := rgbOf(a)
	br, bg, bb := rgbOf(b)
	return near(ar, br, tol) && near(ag, bg, tol) && near(ab, bb, tol)
}

func TestPaintDrawsTheFrame(t *testing.T) {
	for _, tol := range []int{0, 6} {
		var g Grid
		r := NewRenderer(Config{})
		frames := []Grid{}
		for n := range 3 {
			r.RenderGrid(&g, movingFrame(160, 120, n), 40, 12, TrueColor)
			frames = append(frames, Grid{Cols: g.Cols, Rows: g.Rows, Cells: append([]Cell(nil), g.Cells...)})
		}
		p := &Painter{Tolerance: tol}
		v := newVterm(t, 50, 16)
		for i := range frames {
			v.play(string(p.Paint(nil, &frames[i], 3, 2, TrueColor)))
			// Damage within the tolerance stays on screen, and a run may
			// keep a colour within it: at most twice it in all.
			shows(t, v, &frames[i], 3, 2, 2*tol)
		}
		if v.at(2, 2) != (cell{up: deflt, lo: deflt, glyph: ' '}) || v.at(3, 1).glyph != ' ' {
			t.Errorf("tolerance %d: painted outside the region", tol)
		}
	}
}

func TestPaintWritesOnlyDamage(t *testing.T) {
	var g Grid
	NewRenderer(Config{}).RenderGrid(&g, movingFrame(160, 120, 0), 40, 12, TrueColor)
	p := &Painter{}
	v := newVterm(t, 40, 12)
	v.play(string(p.Paint(nil, &g, 0, 0, TrueColor)))
	if v.writes != 40*12 {
		t.Fatalf("first frame wrote %d cells, want all %d", v.writes, 40*12)
	}
	if out := p.Paint(nil, &g, 0, 0, TrueColor); len(out) != 0 {
		t.Fatalf("same frame again wrote %q", out)
	}
	v.writes = 0
	g.Row(5)[7] = Cell{Fg: 0xff0000, Bg: 0x00ff00, R: '▀'}
	g.Row(5)[30] = Cell{Fg: 0x0000ff, Bg: 0x00ff00, R: '▀'}
	g.Row(9)[0] = Cell{Fg: none, Bg: none, R: 'x'}
	v.play(string(p.Paint(nil, &g, 0, 0, TrueColor)))
	if v.writes != 3 {
		t.Errorf("three changed cells: wrote %d", v.writes)
	}
	shows(t, v, &g, 0, 0, 0)
	p.Invalidate()
	v.writes = 0
	v.play(string(p.Paint(nil, &g, 0, 0, TrueColor)))
	if v.writes != 40*12 {
		t.Errorf("after Invalidate: wrote %d cells, want all", v.writes)
	}
}

func TestPaintTolerance(t *testing.T) {
	var g Grid
	g.Resize(10, 2)
	for i := range g.Cells {
		g.Cells[i] = Cell{Fg: 0x808080, Bg: 0x404040, R: '▀'}
	}
	p := &Painter{Tolerance: 6}
	v := newVterm(t, 10, 2)
	v.play(string(p.Paint(nil, &g, 0, 0, TrueColor)))
	for _, tc := range []struct {
		name  string
		fg    uint32
		cells int
	}{
		{"noise within the tolerance", 0x858580, 0},
		{"drift past it", 0x8f8080, 20},
	} {
		for i := range g.Cells {
			g.Cells[i].Fg = tc.fg
		}
		v.writes = 0
		v.play(string(p.Paint(nil, &g, 0, 0, TrueColor)))
		if v.writes != tc.cells {
			t.Errorf("%s: wrote %d cells, want %d", tc.name, v.writes, tc.cells)
		}
	}
}

// TestPaintGolden pins the escape sequences of a small picture and of the
// damage that follows it. Refresh with -update.
func TestPaintGolden(t *testing.T) {
	for _, mode := range modes {
		t.Run(mode.String(), func(t *testing.T) {
			f := frameOf(16, 12, func(x, y int) (int, int, int) {
				if (x-8)*(x-8)+(y-6)*(y-6) < 12 {
					return 255, 255, 255
				}
				return x * 16, 40, 255 - y*20
			})
			var g Grid
			r := NewRenderer(Config{})
			r.RenderGrid(&g, f, 10, 4, mode)
			p := &Painter{Tolerance: DefaultTolerance}
			got := p.Paint(nil, &g, 2, 1, mode)
			got = append(got, '\n')
			g.Row(1)[4] = Cell{Fg: 3, Bg: 200, R: '▀'}
			if mode == NoColor {
				g.Row(1)[4] = Cell{Fg: none, Bg: none, R: '#'}
			}
			got = p.Paint(got, &g, 2, 1, mode)
			path := filepath.Join("testdata", "paint-"+mode.String()+".golden")
			if *update {
				if err := os.WriteFile(path, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if string(got) != string(want) {
				t.Errorf("output differs from %s:\n%q\nwant:\n%q", path, got, want)
			}
		})
	}
}
