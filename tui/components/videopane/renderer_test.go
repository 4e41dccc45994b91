package videopane

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"
	"github.com/dialtone/dialtone/device"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

var modes = []ColorMode{TrueColor, ANSI256, NoColor}

func TestSolidRed(t *testing.T) {
	f := solid(64, 48, 255, 0, 0)
	// What the frame's YUV means, by the BT.601 formula in floating point.
	c, d, e := float64(f.Y[0])-16, float64(f.U[0])-128, float64(f.V[0])-128
	clip := func(x float64) int { return int(max(0, min(255, x+0.5))) }
	wr, wg, wb := clip(1.164*c+1.596*e), clip(1.164*c-0.392*d-0.813*e), clip(1.164*c+2.017*d)

	for _, bits := range []int{8, DefaultColorBits} {
		out := NewRenderer(Config{ColorBits: bits}).Render(f, 32, 12, TrueColor)
		grid := decode(t, out)
		for y, row := range grid {
			if len(row) != 32 {
				t.Fatalf("row %d has %d cells", y, len(row))
			}
			for x, cl := range row {
				for _, col := range []colour{cl.up, cl.lo} {
					r, g, b := rgbOf(col)
					if col == deflt || !near(r, wr, 2) || !near(g, wg, 2) || !near(b, wb, 2) {
						t.Fatalf("bits %d: cell %d,%d = %06x, want ≈ %02x%02x%02x", bits, x, y, col, wr, wg, wb)
					}
				}
			}
		}
	}
	grid := decode(t, NewRenderer(Config{}).Render(f, 32, 12, ANSI256))
	for _, row := range grid {
		for _, cl := range row {
			if cl.up != 196 || cl.lo != 196 {
				t.Fatalf("ANSI256 cell = %d/%d, want 196", cl.up, cl.lo)
			}
		}
	}
}

// TestStripes draws white pixel rows over black ones at exactly one frame
// row per pixel: every cell is ▀ white on black, set once per line.
func TestStripes(t *testing.T) {
	f := frameOf(16, 8, func(_, y int) (int, int, int) {
		if y%2 == 0 {
			return 255, 255, 255
		}
		return 0, 0, 0
	})
	out := NewRenderer(Config{}).Render(f, 16, 4, TrueColor)
	for y, line := range strings.Split(out, "\n") {
		want := "\x1b[38;2;255;255;255;48;2;0;0;0m" + strings.Repeat("▀", 16) + "\x1b[0m"
		if line != want {
			t.Errorf("line %d = %q, want %q", y, line, want)
		}
	}
}

// TestExactPixels renders a busy frame at one frame pixel per pixel with
// exact colours, and checks every decoded cell against the frame, whatever
// glyphs and runs the renderer chose.
func TestExactPixels(t *testing.T) {
	const w, h = 40, 30
	f := frameOf(w, h, func(x, y int) (int, int, int) {
		return (x * 37) % 256, (y * 53) % 256, ((x + y) / 3 % 2) * 200
	})
	for _, mode := range []ColorMode{TrueColor, ANSI256} {
		grid := decode(t, NewRenderer(Config{ColorBits: 8, Tolerance: -1}).Render(f, w, h/2, mode))
		for cy, row := range grid {
			for x, cl := range row {
				for half, got := range []colour{cl.up, cl.lo} {
					y := 2*cy + half
					r, g, b := yuvToRGB(f.Y[y*w+x], f.U[y/2*w/2+x/2], f.V[y/2*w/2+x/2])
					want := colour(int(r)<<16 | int(g)<<8 | int(b))
					if mode == ANSI256 {
						want = colour(ansiLUT()[int(r>>3)<<10|int(g>>3)<<5|int(b>>3)])
					}
					if got != want {
						t.Fatalf("%v: pixel %d,%d = %x, want %x", mode, x, y, got, want)
					}
				}
			}
		}
	}
}

// TestTolerance checks that runs kept within the tolerance never show a
// pixel further than it from its true colour, and save bytes.
func TestTolerance(t *testing.T) {
	const w, h, tol = 64, 48, 6
	f := movingFrame(w, h, 4)
	exact := NewRenderer(Config{Tolerance: -1}).Render(f, w, h/2, TrueColor)
	out := NewRenderer(Config{Tolerance: tol}).Render(f, w, h/2, TrueColor)
	if len(out) >= len(exact) {
		t.Errorf("tolerance %d: %d bytes, exact %d", tol, len(out), len(exact))
	}
	want, got := decode(t, exact), decode(t, out)
	for y := range want {
		for x := range want[y] {
			for _, p := range [][2]colour{{want[y][x].up, got[y][x].up}, {want[y][x].lo, got[y][x].lo}} {
				wr, wg, wb := rgbOf(p[0])
				gr, gg, gb := rgbOf(p[1])
				if !near(wr, gr, tol) || !near(wg, gg, tol) || !near(wb, gb, tol) {
					t.Fatalf("cell %d,%d: %06x, want %06x ±%d", x, y, p[1], p[0], tol)
				}
			}
		}
	}
}

func TestFit(t *testing.T) {
	tests := []struct {
		name         string
		w, h, cs, rs int
		want         Rect
	}{
		{"4:3 in 80x24 pillarboxed", 640, 480, 80, 24, Rect{Col: 8, Cols: 64, Rows: 24}},
		{"16:9 in 80x30 letterboxed", 640, 360, 80, 30, Rect{Row: 3, Cols: 80, Rows: 23}},
		{"portrait in 80x24", 480, 640, 80, 24, Rect{Col: 22, Cols: 36, Rows: 24}},
		{"exact", 64, 48, 32, 12, Rect{Cols: 32, Rows: 12}},
		{"upscale", 16, 12, 160, 48, Rect{Col: 16, Cols: 128, Rows: 48}},
		{"1x1 pane", 640, 480, 1, 1, Rect{Cols: 1, Rows: 1}},
		{"thin frame", 4096, 2, 10, 10, Rect{Row: 4, Cols: 10, Rows: 1}},
		{"no frame", 0, 480, 80, 24, Rect{}},
		{"no pane", 640, 480, 0, 24, Rect{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Fit(tt.w, tt.h, tt.cs, tt.rs); got != tt.want {
				t.Errorf("Fit(%d,%d,%d,%d) = %+v, want %+v", tt.w, tt.h, tt.cs, tt.rs, got, tt.want)
			}
		})
	}
}

// TestPadding checks which cells are padding: blank, in default colours.
func TestPadding(t *testing.T) {
	tests := []struct {
		name       string
		w, h       int
		cols, rows int
	}{
		{"pillarbox", 640, 480, 80, 24},
		{"letterbox", 640, 360, 80, 30},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rect := Fit(tt.w, tt.h, tt.cols, tt.rows)
			grid := decode(t, NewRenderer(Config{}).Render(solid(tt.w, tt.h, 40, 200, 90), tt.cols, tt.rows, TrueColor))
			for y, row := range grid {
				for x, cl := range row {
					inside := x >= rect.Col && x < rect.Col+rect.Cols && y >= rect.Row && y < rect.Row+rect.Rows
					padding := cl.glyph == ' ' && cl.up == deflt && cl.lo == deflt
					if inside == padding {
						t.Fatalf("cell %d,%d: inside %v, padding %v (rect %+v)", x, y, inside, padding, rect)
					}
				}
			}
		})
	}
}

// TestShape checks every mode at awkward sizes: rows lines, each cols cells
// wide, each leaving the terminal in its default colours.
func TestShape(t *testing.T) {
	f := movingFrame(640, 480, 3)
	r := NewRenderer(Config{})
	for _, mode := range modes {
		for _, size := range [][2]int{{1, 1}, {3, 2}, {80, 24}, {81, 25}, {240, 70}, {7, 40}} {
			cols, rows := size[0], size[1]
			out := r.Render(f, cols, rows, mode)
			lines := strings.Split(out, "\n")
			if len(lines) != rows {
				t.Fatalf("%v %dx%d: %d lines", mode, cols, rows, len(lines))
			}
			for i, l := range lines {
				if w := ansi.StringWidth(l); w != cols {
					t.Fatalf("%v %dx%d: line %d is %d wide", mode, cols, rows, i, w)
				}
				if strings.LastIndex(l, "\x1b[") != strings.LastIndex(l, sgrReset) {
					t.Fatalf("%v %dx%d: line %d does not end in a reset", mode, cols, rows, i)
				}
			}
		}
	}
}

func TestNoColorIsPlainASCII(t *testing.T) {
	out := NewRenderer(Config{}).Render(movingFrame(640, 480, 5), 80, 24, NoColor)
	for i := 0; i < len(out); i++ {
		if c := out[i]; c != '\n' && (c < 0x20 || c > 0x7e) {
			t.Fatalf("byte %d is %#x", i, c)
		}
	}
	for _, tt := range []struct {
		r, g, b int
		want    byte
	}{{0, 0, 0, ' '}, {255, 255, 255, '@'}, {128, 128, 128, '+'}} {
		out := NewRenderer(Config{}).Render(solid(8, 8, tt.r, tt.g, tt.b), 4, 2, NoColor)
		if want := strings.Repeat(string(tt.want), 4); !strings.HasPrefix(out, want) {
			t.Errorf("grey %d: %q, want %q", tt.r, out, want)
		}
	}
}

// TestBadFrames draws a blank pane for frames whose planes do not match
// their size, instead of reading out of bounds.
func TestBadFrames(t *testing.T) {
	good := solid(8, 8, 255, 0, 0)
	bad := []device.Frame{
		{},
		{Width: 8, Height: 8},
		{Width: 8, Height: 8, Y: good.Y, U: good.U[:3], V: good.V},
		{Width: -2, Height: 8, Y: good.Y, U: good.U, V: good.V},
		{Width: 8192, Height: 2, Y: make([]byte, 8192*2), U: make([]byte, 4096), V: make([]byte, 4096)},
	}
	blank := strings.TrimSuffix(strings.Repeat(strings.Repeat(" ", 10)+"\n", 3), "\n")
	for i, f := range bad {
		for _, mode := range modes {
			if got := NewRenderer(Config{}).Render(f, 10, 3, mode); got != blank {
				t.Errorf("frame %d %v: %q", i, mode, got)
			}
		}
	}
}

func TestFewerColorBitsFewerBytes(t *testing.T) {
	f := movingFrame(640, 480, 1)
	prev := 0
	for _, bits := range []int{8, 6, 4} {
		n := len(NewRenderer(Config{ColorBits: bits, Tolerance: -1}).Render(f, 160, 48, TrueColor))
		if prev != 0 && n >= prev {
			t.Errorf("%d bits: %d bytes, not fewer than %d", bits, n, prev)
		}
		prev = n
	}
}

func TestSteadyStateAllocatesNothing(t *testing.T) {
	f := movingFrame(640, 480, 2)
	r := NewRenderer(Config{})
	for _, mode := range modes {
		buf := r.AppendRender(nil, f, 160, 48, mode)
		if n := testing.AllocsPerRun(5, func() { buf = r.AppendRender(buf[:0], f, 160, 48, mode) }); n != 0 {
			t.Errorf("%v: %v allocations per frame", mode, n)
		}
	}
}

// TestGolden pins the output for a small synthetic frame in each mode.
// Refresh with: go test ./tui/components/videopane -run Golden -update
func TestGolden(t *testing.T) {
	f := frameOf(48, 36, func(x, y int) (int, int, int) {
		// Colour bars over a grey ramp, with a white disc.
		if (x-30)*(x-30)+(y-20)*(y-20) < 49 {
			return 255, 255, 255
		}
		if y < 18 {
			bars := [][3]int{{255, 255, 0}, {0, 255, 255}, {0, 255, 0}, {255, 0, 255}, {255, 0, 0}, {0, 0, 255}}
			c := bars[x*len(bars)/48]
			return c[0], c[1], c[2]
		}
		g := x * 255 / 47
		return g, g, g
	})
	for _, mode := range modes {
		t.Run(mode.String(), func(t *testing.T) {
			got := NewRenderer(Config{}).Render(f, 30, 12, mode)
			path := filepath.Join("testdata", mode.String()+".golden")
			if *update {
				if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if got != string(want) {
				t.Errorf("output differs from %s:\n%s\nwant:\n%s", path, got, want)
			}
		})
	}
}

func ExampleRenderer() {
	r := NewRenderer(Config{})
	f := solid(8, 8, 255, 255, 255)
	fmt.Printf("%q\n", r.Render(f, 6, 2, NoColor))
	// Output: " @@@@ \n @@@@ "
}
