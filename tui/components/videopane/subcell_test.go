package videopane

import (
	"fmt"
	"math"
	"testing"

	"github.com/dialtone/dialtone/device"
)

func TestSextantRunes(t *testing.T) {
	seen := map[rune]uint8{}
	for p := range uint8(64) {
		r := sextantRune(p)
		if q, dup := seen[r]; dup {
			t.Fatalf("patterns %d and %d are both %q", q, p, r)
		}
		seen[r] = p
		if p != 0 && p != 63 && p != 21 && p != 42 && (r < 0x1FB00 || r > 0x1FB3B) {
			t.Errorf("pattern %d is %U, outside the sextant block", p, r)
		}
	}
	// Spot checks against the Unicode chart.
	for _, tc := range []struct {
		p uint8
		r rune
	}{{1, 0x1FB00}, {2, 0x1FB01}, {20, 0x1FB13}, {22, 0x1FB14}, {41, 0x1FB27}, {43, 0x1FB28}, {62, 0x1FB3B}} {
		if got := sextantRune(tc.p); got != tc.r {
			t.Errorf("sextantRune(%d) = %U, want %U", tc.p, got, tc.r)
		}
	}
}

func TestSplit2(t *testing.T) {
	for _, tc := range []struct {
		name   string
		px     []uint32
		fg, bg uint32
		mask   uint8
	}{
		{"one colour", []uint32{0x102030, 0x102030, 0x102030, 0x102030}, 0x102030, 0x102030, 15},
		{"left dark, right light", []uint32{0x000000, 0xffffff, 0x000000, 0xffffff, 0x000000, 0xffffff}, 0x000000, 0xffffff, 0b010101},
		{"one bright pixel", []uint32{0x101010, 0x101010, 0x101010, 0xf0f0f0}, 0x101010, 0xf0f0f0, 0b0111},
		{"two greys and red", []uint32{0x808080, 0x828282, 0xff0000, 0xfe0000}, 0x818181, 0xff0000, 0b0011},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fg, bg, mask := split2(tc.px)
			if fg != tc.fg || bg != tc.bg || mask != tc.mask {
				t.Errorf("got %06x %06x %04b, want %06x %06x %04b", fg, bg, mask, tc.fg, tc.bg, tc.mask)
			}
		})
	}
}

// detailFrame has edges at every angle and scale: diagonal stripes, a
// checkerboard and rings, the detail a face's features and text have.
func detailFrame(w, h int) device.Frame {
	return frameOf(w, h, func(x, y int) (int, int, int) {
		switch {
		case x < w/3:
			if (x+y)/6%2 == 0 {
				return 230, 200, 40
			}
			return 20, 30, 120
		case x < 2*w/3:
			if (x/8+y/8)%2 == 0 {
				return 240, 240, 240
			}
			return 10, 10, 10
		}
		dx, dy := float64(x-5*w/6), float64(y-h/2)
		if int(math.Sqrt(dx*dx+dy*dy))/7%2 == 0 {
			return 200, 40, 40
		}
		return 40, 160, 60
	})
}

// refPixels are the reference's pixels per cell across and down: a common
// multiple of every glyph set's.
const refX, refY = 2, 6

// reference is f box-filtered to the picture rect at refX×refY pixels a
// cell, computed in RGB from every source pixel, independently of the
// renderer.
func reference(f device.Frame, rect Rect) [][3]float64 {
	rw, rh := rect.Cols*refX, rect.Rows*refY
	out := make([][3]float64, rw*rh)
	for j := range rh {
		y0, y1 := j*f.Height/rh, max(j*f.Height/rh+1, (j+1)*f.Height/rh)
		for i := range rw {
			x0, x1 := i*f.Width/rw, max(i*f.Width/rw+1, (i+1)*f.Width/rw)
			var s [3]float64
			for y := y0; y < y1; y++ {
				for x := x0; x < x1; x++ {
					c := y/2*((f.Width+1)/2) + x/2
					r, g, b := yuvToRGB(f.Y[y*f.Width+x], f.U[c], f.V[c])
					s[0], s[1], s[2] = s[0]+float64(r), s[1]+float64(g), s[2]+float64(b)
				}
			}
			n := float64((y1 - y0) * (x1 - x0))
			out[j*rw+i] = [3]float64{s[0] / n, s[1] / n, s[2] / n}
		}
	}
	return out
}

// glyphMasks maps every glyph the renderer draws to its pixel pattern.
var glyphMasks = func() map[rune][3]int {
	m := map[rune][3]int{'▀': {1, 2, 1}} // across, down, mask
	for p, r := range quadrantRune {
		if _, ok := m[r]; !ok {
			m[r] = [3]int{2, 2, p}
		}
	}
	for p := range 64 {
		if r := sextantRune(uint8(p)); m[r] == [3]int{} {
			m[r] = [3]int{2, 3, p}
		}
	}
	return m
}()

// psnr is the picture quality of g's rect against the reference, in dB.
func psnr(t *testing.T, g *Grid, rect Rect, ref [][3]float64) float64 {
	t.Helper()
	rw := rect.Cols * refX
	var se float64
	for row := range rect.Rows {
		for col := range rect.Cols {
			c := g.Row(rect.Row + row)[rect.Col+col]
			gm, ok := glyphMasks[c.R]
			if c.R == ' ' {
				gm, c.Fg = [3]int{1, 1, 0}, c.Bg
			} else if !ok {
				t.Fatalf("unexpected glyph %q", c.R)
			}
			for j := range refY {
				for i := range refX {
					bit := (j*gm[1]/refY)*gm[0] + i*gm[0]/refX
					k := c.Bg
					if gm[2]&(1<<bit) != 0 {
						k = c.Fg
					}
					want := ref[(row*refY+j)*rw+col*refX+i]
					for ch, v := range [3]uint32{k >> 16, k >> 8 & 255, k & 255} {
						d := float64(v) - want[ch]
						se += d * d
					}
				}
			}
		}
	}
	mse := se / float64(rect.Cols*rect.Rows*refX*refY*3)
	return 10 * math.Log10(255*255/mse)
}

// TestSubCellPSNR compares the picture quality of the glyph sets at the
// same cell size, against the decoded frame downscaled: sextants must beat
// quadrants, and quadrants half-blocks, on detailed and natural pictures.
func TestSubCellPSNR(t *testing.T) {
	for _, pic := range []struct {
		name string
		f    device.Frame
	}{{"detail", detailFrame(640, 480)}, {"natural", movingFrame(640, 480, 3)}} {
		for _, size := range [][2]int{{80, 24}, {160, 48}} {
			rect := Fit(pic.f.Width, pic.f.Height, size[0], size[1])
			ref := reference(pic.f, rect)
			var got [3]float64
			for i, gl := range []Glyphs{HalfBlocks, Quadrants, Sextants} {
				var g Grid
				NewRenderer(Config{Glyphs: gl}).RenderGrid(&g, pic.f, size[0], size[1], TrueColor)
				got[i] = psnr(t, &g, rect, ref)
			}
			t.Logf("%s %dx%d: PSNR half-blocks %.2f dB, quadrants %.2f dB, sextants %.2f dB", pic.name, size[0], size[1], got[0], got[1], got[2])
			if got[1] <= got[0] || got[2] <= got[1] {
				t.Errorf("%s %dx%d: PSNR %.2f / %.2f / %.2f dB does not rise with the glyphs' resolution", pic.name, size[0], size[1], got[0], got[1], got[2])
			}
		}
	}
}

// BenchmarkSubCell is the painted path per glyph set: render the cells and
// paint the damage. psnr-dB is against the decoded frame, downscaled.
func BenchmarkSubCell(b *testing.B) {
	const nframes = 8
	frames := make([]device.Frame, nframes)
	for i := range frames {
		frames[i] = movingFrame(640, 480, i)
	}
	for _, size := range [][2]int{{80, 24}, {160, 48}, {240, 70}} {
		for _, gl := range []Glyphs{HalfBlocks, Quadrants, Sextants} {
			b.Run(fmt.Sprintf("%dx%d/%v", size[0], size[1], gl), func(b *testing.B) {
				r := NewRenderer(Config{Glyphs: gl})
				p := &Painter{Tolerance: DefaultTolerance}
				var g Grid
				var buf []byte
				total := 0
				for i := 0; b.Loop(); i++ {
					r.RenderGrid(&g, frames[i%nframes], size[0], size[1], TrueColor)
					buf = p.Paint(buf[:0], &g, 0, 0, TrueColor)
					total += len(buf)
				}
				b.ReportMetric(float64(total)/float64(b.N), "B/frame")
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)*30/1e9*100, "cpu%@30fps")
			})
		}
	}
}
