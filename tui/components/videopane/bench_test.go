package videopane

import (
	"fmt"
	"math"
	"testing"

	"github.com/dialtone/dialtone/device"
)

// movingFrame is natural-ish content for benchmarks: a lit gradient
// background with soft texture, a skin-toned disc (a head) that moves with
// n, and camera noise, so run-length coding is not flattered by flat areas.
func movingFrame(w, h, n int) device.Frame {
	cx := float64(w)/2 + float64(w)/6*math.Sin(float64(n)/5)
	cy := float64(h)/2 + float64(h)/10*math.Cos(float64(n)/7)
	rad := float64(h) / 4
	f := frameOf(w, h, func(x, y int) (int, int, int) {
		fx, fy := float64(x), float64(y)
		dx, dy := fx-cx, fy-cy
		if d := dx*dx + dy*dy; d < rad*rad {
			shade := 1 - 0.35*d/(rad*rad) - 0.2*dx/rad
			return int(224 * shade), int(172 * shade), int(140 * shade)
		}
		tex := 12 * math.Sin(fx/9+float64(n)/3) * math.Sin(fy/13)
		r := 60 + 90*fy/float64(h) + tex
		g := 90 + 60*fx/float64(w) + tex
		b := 150 - 50*fy/float64(h) + tex
		return int(r), int(g), int(b)
	})
	// Sensor noise: ±6 on luma, deterministic.
	s := uint32(n*2654435761 + 1)
	for i := range f.Y {
		s = s*1664525 + 1013904223
		f.Y[i] = uint8(max(16, min(235, int(f.Y[i])+int(s>>24)%13-6)))
	}
	return f
}

func BenchmarkRender(b *testing.B) {
	const nframes = 8
	frames := make([]device.Frame, nframes)
	for i := range frames {
		frames[i] = movingFrame(640, 480, i)
	}
	for _, size := range [][2]int{{80, 24}, {160, 48}, {240, 70}} {
		for _, mode := range modes {
			b.Run(fmt.Sprintf("%dx%d/%v", size[0], size[1], mode), func(b *testing.B) {
				r := NewRenderer(Config{})
				var buf []byte
				total := 0
				b.ReportAllocs()
				for i := 0; b.Loop(); i++ {
					buf = r.AppendRender(buf[:0], frames[i%nframes], size[0], size[1], mode)
					total += len(buf)
				}
				b.ReportMetric(float64(total)/float64(b.N), "B/frame")
			})
		}
	}
}

// BenchmarkColorBits measures the TrueColor bytes-for-precision trade-off
// at 160×48: quantisation against run tolerance.
func BenchmarkColorBits(b *testing.B) {
	frames := []device.Frame{movingFrame(640, 480, 0), movingFrame(640, 480, 1)}
	for _, c := range []Config{
		{ColorBits: 8, Tolerance: -1}, {ColorBits: 6, Tolerance: -1}, {ColorBits: 5, Tolerance: -1}, {ColorBits: 4, Tolerance: -1},
		{ColorBits: 8, Tolerance: 4}, {ColorBits: 8, Tolerance: 8}, {ColorBits: 6, Tolerance: 6}, {ColorBits: 6, Tolerance: 10}, {ColorBits: 5, Tolerance: 8},
	} {
		b.Run(fmt.Sprintf("bits=%d/tol=%d", c.ColorBits, max(0, c.Tolerance)), func(b *testing.B) {
			r := NewRenderer(c)
			var buf []byte
			total := 0
			for i := 0; b.Loop(); i++ {
				buf = r.AppendRender(buf[:0], frames[i%2], 160, 48, TrueColor)
				total += len(buf)
			}
			b.ReportMetric(float64(total)/float64(b.N), "B/frame")
		})
	}
}

// BenchmarkPaint is the painted video path for one new frame: render the
// cells, then write only the damage against the previous frame. B/frame is
// what reaches the terminal.
func BenchmarkPaint(b *testing.B) {
	const nframes = 8
	frames := make([]device.Frame, nframes)
	for i := range frames {
		frames[i] = movingFrame(640, 480, i)
	}
	for _, size := range [][2]int{{80, 24}, {160, 48}, {240, 70}} {
		for _, tol := range []int{-1, DefaultTolerance, 10} {
			b.Run(fmt.Sprintf("%dx%d/tol=%d", size[0], size[1], max(0, tol)), func(b *testing.B) {
				r := NewRenderer(Config{})
				p := &Painter{Tolerance: max(0, tol)}
				var g Grid
				var buf []byte
				total := 0
				b.ReportAllocs()
				for i := 0; b.Loop(); i++ {
					r.RenderGrid(&g, frames[i%nframes], size[0], size[1], TrueColor)
					buf = p.Paint(buf[:0], &g, 0, 0, TrueColor)
					total += len(buf)
				}
				b.ReportMetric(float64(total)/float64(b.N), "B/frame")
			})
		}
	}
}
