package synthetic

import (
	"context"
	"errors"
	"math/rand/v2"
	"testing"
	"testing/synctest"
	"time"

	"github.com/dialtone/dialtone/device"
)

var testTime = time.Date(2026, 3, 14, 15, 9, 26, 535_897_932, time.UTC)

func stamped(t *testing.T, w, h int, seq uint32, at time.Time) device.Frame {
	t.Helper()
	f := device.NewFrame(w, h)
	drawPattern(f, seq)
	EncodePattern(f, seq, at)
	return f
}

// damageFrom is the first row the damage helpers touch: a little above the
// band, so that blur pulls in the picture too, but not the whole picture,
// which the decoder never reads and which would only slow the tests.
func damageFrom(h int) int { return bandTop(h) - 4 }

func addNoise(f device.Frame, amp int, rng *rand.Rand) {
	for i := damageFrom(f.Height) * f.Width; i < len(f.Y); i++ {
		f.Y[i] = byte(min(max(int(f.Y[i])+rng.IntN(2*amp+1)-amp, 0), 255))
	}
}

func boxBlur(f device.Frame) {
	w, h := f.Width, f.Height
	src := append([]byte(nil), f.Y...)
	for y := damageFrom(h); y < h; y++ {
		for x := range w {
			sum, n := 0, 0
			for dy := -1; dy <= 1; dy++ {
				for dx := -1; dx <= 1; dx++ {
					if xx, yy := x+dx, y+dy; xx >= 0 && yy >= 0 && xx < w && yy < h {
						sum += int(src[yy*w+xx])
						n++
					}
				}
			}
			f.Y[y*w+x] = byte(sum / n)
		}
	}
}

func halve(f device.Frame) device.Frame {
	g := device.NewFrame(f.Width/2, f.Height/2)
	avg := func(dst, src []byte, w, h int) {
		for y := range h / 2 {
			for x := range w / 2 {
				s := int(src[2*y*w+2*x]) + int(src[2*y*w+2*x+1]) + int(src[(2*y+1)*w+2*x]) + int(src[(2*y+1)*w+2*x+1])
				dst[y*(w/2)+x] = byte((s + 2) / 4)
			}
		}
	}
	avg(g.Y, f.Y, f.Width, f.Height)
	avg(g.U, f.U, f.Width/2, f.Height/2)
	avg(g.V, f.V, f.Width/2, f.Height/2)
	return g
}

func TestPatternRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	damage := []struct {
		name string
		fn   func(device.Frame) device.Frame
	}{
		{"clean", func(f device.Frame) device.Frame { return f }},
		{"noise20", func(f device.Frame) device.Frame { addNoise(f, 20, rng); return f }},
		{"blur3x3", func(f device.Frame) device.Frame { boxBlur(f); return f }},
		{"halved", halve},
		{"blur+noise+halved", func(f device.Frame) device.Frame {
			boxBlur(f)
			addNoise(f, 20, rng)
			return halve(f)
		}},
	}
	for _, size := range [][2]int{{320, 240}, {640, 480}, {160, 120}, {176, 144}} {
		for _, d := range damage {
			t.Run(d.name+"/"+itoa(size[0])+"x"+itoa(size[1]), func(t *testing.T) {
				for _, seq := range []uint32{0, 1, 0xDEADBEEF, 0xFFFFFFFF} {
					f := d.fn(stamped(t, size[0], size[1], seq, testTime))
					got, at, ok := DecodePattern(f)
					if !ok || got != seq || !at.Equal(testTime.Truncate(time.Millisecond)) {
						t.Fatalf("seq %d: got (%d, %v, %v), want (%d, %v, true)", seq, got, at, ok, seq, testTime.Truncate(time.Millisecond))
					}
				}
			})
		}
	}
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var b []byte
	for ; n > 0; n /= 10 {
		b = append([]byte{byte('0' + n%10)}, b...)
	}
	return string(b)
}

func TestPatternRejects(t *testing.T) {
	f := stamped(t, 320, 240, 42, testTime)
	// Every single data cell inverted is caught.
	for i := range codeBits {
		g := device.NewFrame(320, 240)
		copy(g.Y, f.Y)
		r, c := i/(codeCols-2), i%(codeCols-2)+1
		v := byte(lumaWhite)
		if cellMean(f, r, c) > 128 {
			v = lumaBlack
		}
		fillCell(g, r, c, v)
		if seq, _, ok := DecodePattern(g); ok {
			t.Fatalf("cell %d inverted: decoded seq %d", i, seq)
		}
	}
	for name, g := range map[string]device.Frame{
		"grey":  {Width: 320, Height: 240, Y: make([]byte, 320*240), U: make([]byte, 160*120), V: make([]byte, 160*120)},
		"tiny":  device.NewFrame(16, 16),
		"short": {Width: 320, Height: 240, Y: f.Y[:100], U: f.U, V: f.V},
		"odd":   {Width: 321, Height: 240, Y: f.Y, U: f.U, V: f.V},
	} {
		if _, _, ok := DecodePattern(g); ok {
			t.Errorf("%s frame decoded", name)
		}
	}
}

// TestPatternNeverMisreads damages random cells with random grey levels and
// noise: the decoder may give up, but must never return a wrong value.
func TestPatternNeverMisreads(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	n := 1000
	accepted := 0
	f := stamped(t, 160, 120, 0, testTime)
	for range n {
		seq := rng.Uint32()
		at := time.UnixMilli(rng.Int64N(1 << 47))
		EncodePattern(f, seq, at)
		for range 1 + rng.IntN(6) {
			// Half the damage is clean bit flips, which only the CRC can
			// catch; half is grey that the level checks should catch.
			v := byte(rng.IntN(256))
			if rng.IntN(2) == 0 {
				v = byte([]int{lumaBlack, lumaWhite}[rng.IntN(2)])
			}
			fillCell(f, rng.IntN(codeRows), rng.IntN(codeCols), v)
		}
		if rng.IntN(2) == 0 {
			addNoise(f, 30, rng)
		}
		got, gotAt, ok := DecodePattern(f)
		if ok {
			accepted++
			if got != seq || !gotAt.Equal(at) {
				t.Fatalf("misread: got (%d, %v), want (%d, %v)", got, gotAt, seq, at)
			}
		}
	}
	t.Logf("%d of %d damaged frames still decoded correctly, none misread", accepted, n)
}

func TestPatternPacing(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p, err := NewPattern(PatternConfig{FPS: 25, FirstSeq: 7})
		if err != nil {
			t.Fatal(err)
		}
		defer p.Close()
		ctx := context.Background()
		start := time.Now()
		for i := range 10 {
			f, err := p.ReadFrame(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if want := start.Add(time.Duration(i) * 40 * time.Millisecond); !f.Time.Equal(want) || !time.Now().Equal(want) {
				t.Fatalf("frame %d at %v, want %v", i, f.Time.Sub(start), want.Sub(start))
			}
			seq, at, ok := DecodePattern(f)
			if !ok || seq != uint32(7+i) || !at.Equal(f.Time.Truncate(time.Millisecond)) {
				t.Fatalf("frame %d decoded as (%d, %v, %v)", i, seq, at, ok)
			}
		}
		// A reader that stalls for a second skips the backlog instead of
		// bursting, and numbers stay consecutive.
		time.Sleep(time.Second) // fake time under synctest: moves the clock, waits for nothing
		f1, _ := p.ReadFrame(ctx)
		f2, _ := p.ReadFrame(ctx)
		if d := f2.Time.Sub(f1.Time); d != 40*time.Millisecond {
			t.Errorf("after a stall frames are %v apart, want 40ms", d)
		}
		if s, _, _ := DecodePattern(f2); s != 18 {
			t.Errorf("seq after stall %d, want 18", s)
		}
	})
}

func TestPatternContextAndClose(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p, err := NewPattern(PatternConfig{Width: 160, Height: 120, FPS: 1})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := p.ReadFrame(context.Background()); err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		defer cancel()
		if _, err := p.ReadFrame(ctx); !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("ReadFrame with expiring ctx: %v", err)
		}
		errc := make(chan error)
		go func() {
			_, err := p.ReadFrame(context.Background())
			errc <- err
		}()
		synctest.Wait()
		p.Close()
		if err := <-errc; !errors.Is(err, device.ErrClosed) {
			t.Fatalf("ReadFrame after Close: %v", err)
		}
	})
}

func TestPatternConfig(t *testing.T) {
	for _, cfg := range []PatternConfig{
		{Width: 321, Height: 240}, {Width: 32, Height: 32}, {Width: 8192, Height: 240},
		{FPS: -1}, {FPS: 1000},
	} {
		if _, err := NewPattern(cfg); err == nil {
			t.Errorf("NewPattern(%+v) accepted", cfg)
		}
	}
}

// TestPatternMoves checks the picture really changes from frame to frame
// above the band.
func TestPatternMoves(t *testing.T) {
	a := device.NewFrame(320, 240)
	b := device.NewFrame(320, 240)
	drawPattern(a, 10)
	drawPattern(b, 11)
	diff := 0
	for i := range a.Y[:bandTop(240)*320] {
		if a.Y[i] != b.Y[i] {
			diff++
		}
	}
	if diff < 320*4 {
		t.Errorf("only %d luma samples changed between frames", diff)
	}
}

func BenchmarkPatternFrame640x480(b *testing.B) {
	f := device.NewFrame(640, 480)
	b.SetBytes(int64(len(f.Y) * 3 / 2))
	for i := 0; b.Loop(); i++ {
		drawPattern(f, uint32(i))
		EncodePattern(f, uint32(i), testTime)
	}
}

func BenchmarkDecodePattern(b *testing.B) {
	for _, size := range [][2]int{{640, 480}, {320, 240}} {
		b.Run(itoa(size[0])+"x"+itoa(size[1]), func(b *testing.B) {
			f := device.NewFrame(size[0], size[1])
			drawPattern(f, 1)
			EncodePattern(f, 1, testTime)
			for b.Loop() {
				if _, _, ok := DecodePattern(f); !ok {
					b.Fatal("not decoded")
				}
			}
		})
	}
}
