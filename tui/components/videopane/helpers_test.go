package videopane

import (
	"strconv"
	"strings"
	"testing"

	"github.com/dialtone/dialtone/device"
)

// rgbToYUV is the BT.601 limited-range forward transform, written
// independently of the renderer's inverse.
func rgbToYUV(r, g, b int) (y, u, v uint8) {
	y = uint8((66*r+129*g+25*b+128)>>8 + 16)
	u = uint8((-38*r-74*g+112*b+128)>>8 + 128)
	v = uint8((112*r-94*g-18*b+128)>>8 + 128)
	return
}

// frameOf builds a w×h frame from an RGB function, averaging chroma over
// each 2×2 block as a camera would.
func frameOf(w, h int, rgb func(x, y int) (int, int, int)) device.Frame {
	f := device.NewFrame(w, h)
	for y := 0; y < h; y += 2 {
		for x := 0; x < w; x += 2 {
			var su, sv int
			for _, d := range [4][2]int{{0, 0}, {1, 0}, {0, 1}, {1, 1}} {
				yy, u, v := rgbToYUV(rgb(x+d[0], y+d[1]))
				f.Y[(y+d[1])*w+x+d[0]] = yy
				su += int(u)
				sv += int(v)
			}
			f.U[y/2*w/2+x/2] = uint8((su + 2) / 4)
			f.V[y/2*w/2+x/2] = uint8((sv + 2) / 4)
		}
	}
	return f
}

func solid(w, h, r, g, b int) device.Frame {
	return frameOf(w, h, func(int, int) (int, int, int) { return r, g, b })
}

// colour is a decoded terminal colour: -1 is the default, otherwise 0xRRGGBB
// in TrueColor or a palette index in ANSI256.
type colour int

const deflt colour = -1

// cell is what a terminal would show: the colours of the upper and lower
// halves, and whether anything was coloured at all.
type cell struct {
	up, lo colour
	glyph  rune
}

// decode plays the renderer's output like a terminal, turning it back into
// cells whatever glyphs and runs it chose. It fails on any escape sequence
// the renderer should not write.
func decode(t *testing.T, s string) [][]cell {
	t.Helper()
	var grid [][]cell
	for _, line := range strings.Split(s, "\n") {
		fg, bg := deflt, deflt
		var cells []cell
		for i := 0; i < len(line); {
			if line[i] == 0x1b {
				end := strings.IndexByte(line[i:], 'm')
				if end < 0 || line[i+1] != '[' {
					t.Fatalf("bad escape in %q", line[i:])
				}
				fg, bg = applySGR(t, line[i+2:i+end], fg, bg)
				i += end + 1
				continue
			}
			r, n := []rune(line[i:])[0], len(string([]rune(line[i:])[0]))
			i += n
			c := cell{glyph: r}
			switch r {
			case '▀':
				c.up, c.lo = fg, bg
			case '▄':
				c.up, c.lo = bg, fg
			case '█':
				c.up, c.lo = fg, fg
			default:
				c.up, c.lo = bg, bg
			}
			cells = append(cells, c)
		}
		grid = append(grid, cells)
	}
	return grid
}

func applySGR(t *testing.T, params string, fg, bg colour) (colour, colour) {
	t.Helper()
	var p []int
	for _, f := range strings.Split(params, ";") {
		n, err := strconv.Atoi(f)
		if err != nil {
			t.Fatalf("bad SGR %q", params)
		}
		p = append(p, n)
	}
	for len(p) > 0 {
		switch {
		case p[0] == 0:
			fg, bg, p = deflt, deflt, p[1:]
		case (p[0] == 38 || p[0] == 48) && len(p) >= 5 && p[1] == 2:
			c := colour(p[2]<<16 | p[3]<<8 | p[4])
			if p[0] == 38 {
				fg = c
			} else {
				bg = c
			}
			p = p[5:]
		case (p[0] == 38 || p[0] == 48) && len(p) >= 3 && p[1] == 5:
			if p[0] == 38 {
				fg = colour(p[2])
			} else {
				bg = colour(p[2])
			}
			p = p[3:]
		default:
			t.Fatalf("unexpected SGR %q", params)
		}
	}
	return fg, bg
}

func rgbOf(c colour) (int, int, int) { return int(c >> 16 & 255), int(c >> 8 & 255), int(c & 255) }

func near(a, b, tol int) bool { return a-b <= tol && b-a <= tol }
