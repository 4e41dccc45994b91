//go:build cgo

package vp8

import (
	"math"
	"testing"
	"time"

	"github.com/dialtone/dialtone/device"
)

// t0 is an arbitrary capture time for the first test frame.
var t0 = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

// scene draws frame i of a moving test picture: a drifting gradient, a
// checkered box that crosses the picture, and a moving chroma ramp. With
// grain > 0 it adds that much fresh per-frame noise, which no prediction
// removes, so that rate control has a bitrate to fight for.
func scene(w, h, i, grain int) device.Frame {
	f := device.NewFrame(w, h)
	bx, by := (i*5)%(w-w/4), (i*3)%(h-h/4)
	seed := uint32(i*2654435761 + 1)
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			v := 16 + (x+y+2*i)%200
			if x >= bx && x < bx+w/4 && y >= by && y < by+h/4 {
				v = 40
				if (x-bx)/8%2 == (y-by)/8%2 {
					v = 220
				}
			}
			if grain > 0 {
				seed = seed*1664525 + 1013904223
				v += int(seed>>24)%(2*grain+1) - grain
			}
			f.Y[y*w+x] = byte(min(max(v, 0), 255))
		}
	}
	for y := 0; y < h/2; y++ {
		for x := 0; x < w/2; x++ {
			f.U[y*w/2+x] = byte(64 + (x+i)%128)
			f.V[y*w/2+x] = byte(64 + (y*2+i)%128)
		}
	}
	f.Time = t0.Add(time.Duration(i) * time.Second / 30)
	return f
}

// psnr compares the luma planes of two frames of the same size.
func psnr(t *testing.T, a, b device.Frame) float64 {
	t.Helper()
	if a.Width != b.Width || a.Height != b.Height {
		t.Fatalf("comparing %d×%d with %d×%d", a.Width, a.Height, b.Width, b.Height)
	}
	var se float64
	for i := range a.Width * a.Height {
		d := float64(a.Y[i]) - float64(b.Y[i])
		se += d * d
	}
	if se == 0 {
		return 99
	}
	return 10 * math.Log10(255*255/(se/float64(a.Width*a.Height)))
}

func newEncoder(t testing.TB, cfg EncoderConfig) *Encoder {
	t.Helper()
	e, err := NewEncoder(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(e.Close)
	return e
}

func newDecoder(t testing.TB) *Decoder {
	t.Helper()
	d, err := NewDecoder()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(d.Close)
	return d
}
