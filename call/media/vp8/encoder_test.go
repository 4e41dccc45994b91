//go:build cgo

package vp8

import (
	"errors"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/dialtone/dialtone/device"
)

func TestRoundTripQuality(t *testing.T) {
	e := newEncoder(t, EncoderConfig{Width: 320, Height: 240, BitrateKbps: 500})
	d := newDecoder(t)
	var sum float64
	decoded := 0
	for i := range 60 {
		f := scene(320, 240, i, 0)
		pkt, key, err := e.Encode(f, false)
		if err != nil {
			t.Fatalf("frame %d: %v", i, err)
		}
		if i == 0 && (pkt == nil || !key) {
			t.Fatalf("first frame: key=%v, %d bytes; want a key frame", key, len(pkt))
		}
		if pkt == nil {
			continue
		}
		g, ok, err := d.Decode(pkt)
		if err != nil || !ok {
			t.Fatalf("decoding frame %d: ok=%v err=%v", i, ok, err)
		}
		p := psnr(t, f, g)
		if p < 24 {
			t.Errorf("frame %d: PSNR %.1f dB", i, p)
		}
		sum += p
		decoded++
	}
	if decoded < 55 {
		t.Errorf("%d of 60 frames came out; the encoder dropped too many", decoded)
	}
	if avg := sum / float64(decoded); avg < 28 {
		t.Errorf("average PSNR %.1f dB at 500 kbit/s, want > 28", avg)
	} else {
		t.Logf("average PSNR %.1f dB over %d frames", avg, decoded)
	}
}

func TestForceKey(t *testing.T) {
	e := newEncoder(t, EncoderConfig{})
	d := newDecoder(t)
	for i := range 20 {
		force := i == 12
		pkt, key, err := e.Encode(scene(160, 120, i, 0), force)
		if err != nil {
			t.Fatal(err)
		}
		if want := i == 0 || force; key != want {
			t.Errorf("frame %d: key=%v, want %v", i, key, want)
		}
		if key {
			if h, err := parseHeader(pkt); err != nil || !h.key || h.width != 160 || h.height != 120 {
				t.Errorf("frame %d: header %+v, %v", i, h, err)
			}
		}
		if _, _, err := d.Decode(pkt); err != nil {
			t.Fatalf("frame %d: %v", i, err)
		}
	}
}

func TestKeyInterval(t *testing.T) {
	// 10 frames a second for 2.5 s against a 1 s interval: key frames near
	// 0, 1 and 2 s although FPS (30) would put 30 frames between them.
	e := newEncoder(t, EncoderConfig{KeyInterval: time.Second})
	var keys []int
	for i := range 25 {
		f := scene(160, 120, i, 0)
		f.Time = t0.Add(time.Duration(i) * 100 * time.Millisecond)
		_, key, err := e.Encode(f, false)
		if err != nil {
			t.Fatal(err)
		}
		if key {
			keys = append(keys, i)
		}
	}
	if len(keys) != 3 || keys[0] != 0 || keys[1] != 10 || keys[2] != 20 {
		t.Errorf("key frames at %v, want [0 10 20]", keys)
	}
}

// bytesOver encodes frames [from, to) of a grainy scene at 30 fps and returns
// their total size.
func bytesOver(t *testing.T, e *Encoder, from, to int) int {
	t.Helper()
	n := 0
	for i := from; i < to; i++ {
		pkt, _, err := e.Encode(scene(320, 240, i, 8), false)
		if err != nil {
			t.Fatal(err)
		}
		n += len(pkt)
	}
	return n
}

func TestSetBitrate(t *testing.T) {
	e := newEncoder(t, EncoderConfig{BitrateKbps: 1000})
	bytesOver(t, e, 0, 30) // settle
	high := bytesOver(t, e, 30, 60)
	if err := e.SetBitrate(150); err != nil {
		t.Fatal(err)
	}
	bytesOver(t, e, 60, 75) // let the buffer drain
	low := bytesOver(t, e, 75, 105)
	t.Logf("1000 kbit/s: %d bytes/s; 150 kbit/s: %d bytes/s", high, low)
	if low*3 > high {
		t.Errorf("after lowering the target 6.7×, output fell only from %d to %d bytes/s", high, low)
	}
	for _, c := range []struct{ set, want int }{{5, 30}, {99999, 1500}, {300, 300}} {
		if err := e.SetBitrate(c.set); err != nil {
			t.Fatal(err)
		}
		if got := e.Bitrate(); got != c.want {
			t.Errorf("SetBitrate(%d): Bitrate() = %d, want %d", c.set, got, c.want)
		}
	}
}

func TestResize(t *testing.T) {
	e := newEncoder(t, EncoderConfig{Width: 320, Height: 240})
	d := newDecoder(t)
	steps := []struct {
		resizeW, resizeH int // 0: no call
		srcW, srcH       int
		wantW, wantH     int
	}{
		{0, 0, 320, 240, 320, 240},
		{160, 120, 320, 240, 160, 120}, // step down; the camera keeps its size
		{0, 0, 160, 120, 160, 120},     // a source already at the new size
		{320, 240, 320, 240, 320, 240}, // back up
		{0, 0, 640, 480, 320, 240},     // a bigger source is scaled down
	}
	i := 0
	for n, s := range steps {
		if s.resizeW != 0 {
			if err := e.Resize(s.resizeW, s.resizeH); err != nil {
				t.Fatal(err)
			}
		}
		for k := range 5 {
			src := scene(s.srcW, s.srcH, i, 0)
			i++
			pkt, key, err := e.Encode(src, false)
			if err != nil {
				t.Fatal(err)
			}
			if k == 0 && s.resizeW != 0 && !key {
				t.Errorf("step %d: first frame after Resize is not a key frame", n)
			}
			g, ok, err := d.Decode(pkt)
			if err != nil || !ok {
				t.Fatalf("step %d frame %d: ok=%v err=%v", n, k, ok, err)
			}
			if g.Width != s.wantW || g.Height != s.wantH {
				t.Fatalf("step %d: decoded %d×%d, want %d×%d", n, g.Width, g.Height, s.wantW, s.wantH)
			}
		}
	}
	if w, h := e.Size(); w != 320 || h != 240 {
		t.Errorf("Size() = %d×%d", w, h)
	}
}

func TestFollowSourceSize(t *testing.T) {
	e := newEncoder(t, EncoderConfig{})
	if w, h := e.Size(); w != 0 || h != 0 {
		t.Errorf("Size() before the first frame = %d×%d", w, h)
	}
	for i, sz := range [][2]int{{160, 120}, {160, 120}, {320, 180}} {
		_, key, err := e.Encode(scene(sz[0], sz[1], i, 0), false)
		if err != nil {
			t.Fatal(err)
		}
		if want := i != 1; key != want {
			t.Errorf("frame %d at %v: key=%v, want %v", i, sz, key, want)
		}
		if w, h := e.Size(); w != sz[0] || h != sz[1] {
			t.Errorf("frame %d: Size() = %d×%d, want %v", i, w, h, sz)
		}
	}
}

// TestIrregularTimestamps checks that rate control spends the target bitrate
// per second of capture time, not per frame: at 10 fps with jitter it must
// send about what it sends at 30 fps. An encoder counting frames against
// FPS=30 would send a third.
func TestIrregularTimestamps(t *testing.T) {
	const target = 300
	rng := rand.New(rand.NewPCG(1, 2))
	rates := map[int]float64{}
	for _, fps := range []int{10, 30} {
		e := newEncoder(t, EncoderConfig{BitrateKbps: target, FPS: 30})
		period := time.Second / time.Duration(fps)
		at := t0
		total := 0
		for i := 0; at.Before(t0.Add(3 * time.Second)); i++ {
			f := scene(320, 240, i*30/fps, 3)
			f.Time = at
			pkt, _, err := e.Encode(f, false)
			if err != nil {
				t.Fatal(err)
			}
			total += len(pkt)
			// ±40% jitter around the nominal period.
			at = at.Add(period*6/10 + time.Duration(rng.Int64N(int64(period)*8/10)))
		}
		kbps := float64(total) * 8 / 3 / 1000
		rates[fps] = kbps
		t.Logf("%d fps: %.0f kbit/s for a %d kbit/s target", fps, kbps, target)
		if kbps < target*0.6 || kbps > target*1.3 {
			t.Errorf("%d fps: %.0f kbit/s, want within [%.0f, %.0f]", fps, kbps, target*0.6, target*1.3)
		}
	}
	if r := rates[10] / rates[30]; r < 0.7 || r > 1.3 {
		t.Errorf("10 fps sends %.2f× what 30 fps sends; rate control is counting frames", r)
	}
}

func TestClockSteppingBack(t *testing.T) {
	e := newEncoder(t, EncoderConfig{})
	for i, dt := range []time.Duration{0, 33, 66, 10, 10, 0, 100} { // ms; repeats and a step back
		f := scene(160, 120, i, 0)
		f.Time = t0.Add(dt * time.Millisecond)
		if _, _, err := e.Encode(f, false); err != nil {
			t.Fatalf("frame %d at +%dms: %v", i, dt, err)
		}
	}
	f := scene(160, 120, 9, 0)
	f.Time = time.Time{} // no capture time: taken as 1/FPS later
	if _, _, err := e.Encode(f, false); err != nil {
		t.Fatal(err)
	}
}

func TestEncoderConfig(t *testing.T) {
	bad := map[string]EncoderConfig{
		"odd width":     {Width: 321, Height: 240},
		"width only":    {Width: 320},
		"too big":       {Width: 4096, Height: 2160},
		"fps":           {FPS: -1},
		"bounds":        {MinKbps: 500, MaxKbps: 100},
		"threads":       {Threads: -1},
		"speed":         {Speed: 17},
		"key interval":  {KeyInterval: -time.Second},
		"bitrate below": {BitrateKbps: -5},
	}
	for name, cfg := range bad {
		t.Run(name, func(t *testing.T) {
			if e, err := NewEncoder(cfg); err == nil {
				e.Close()
				t.Errorf("NewEncoder(%+v) succeeded", cfg)
			}
		})
	}
	e := newEncoder(t, EncoderConfig{})
	if got := e.Bitrate(); got != DefaultBitrateKbps {
		t.Errorf("default bitrate %d", got)
	}
	if got := newEncoder(t, EncoderConfig{BitrateKbps: 5000}).Bitrate(); got != DefaultMaxKbps {
		t.Errorf("initial bitrate not clamped: %d", got)
	}
}

func TestEncodeBadFrames(t *testing.T) {
	e := newEncoder(t, EncoderConfig{})
	short := device.NewFrame(160, 120)
	short.V = short.V[:10]
	for name, f := range map[string]device.Frame{
		"zero":   {},
		"odd":    {Width: 161, Height: 120, Y: make([]byte, 161*120), U: make([]byte, 80*60), V: make([]byte, 80*60)},
		"short":  short,
		"no UVs": {Width: 160, Height: 120, Y: make([]byte, 160*120)},
	} {
		if _, _, err := e.Encode(f, false); err == nil {
			t.Errorf("%s frame: no error", name)
		}
	}
	if err := e.Resize(3, 3); err == nil {
		t.Error("Resize(3, 3) succeeded")
	}
}

func TestClosed(t *testing.T) {
	e, err := NewEncoder(EncoderConfig{})
	if err != nil {
		t.Fatal(err)
	}
	d, err := NewDecoder()
	if err != nil {
		t.Fatal(err)
	}
	pkt, _, err := e.Encode(scene(64, 48, 0, 0), false)
	if err != nil {
		t.Fatal(err)
	}
	e.Close()
	e.Close()
	d.Close()
	d.Close()
	if _, _, err := e.Encode(scene(64, 48, 1, 0), false); !errors.Is(err, ErrClosed) {
		t.Errorf("Encode after Close: %v", err)
	}
	if err := e.SetBitrate(100); !errors.Is(err, ErrClosed) {
		t.Errorf("SetBitrate after Close: %v", err)
	}
	if err := e.Resize(64, 48); !errors.Is(err, ErrClosed) {
		t.Errorf("Resize after Close: %v", err)
	}
	if _, _, err := d.Decode(pkt); !errors.Is(err, ErrClosed) {
		t.Errorf("Decode after Close: %v", err)
	}
}

func TestScalePlane(t *testing.T) {
	src := []byte{
		10, 20, 100, 100,
		30, 40, 100, 100,
		0, 0, 255, 255,
		0, 0, 255, 255,
	}
	dst := make([]byte, 4)
	scalePlane(dst, 2, 2, 2, src, 4, 4, 4)
	if want := []byte{25, 100, 0, 255}; string(dst) != string(want) {
		t.Errorf("halving: got %v, want %v", dst, want)
	}
	up := make([]byte, 16)
	scalePlane(up, 4, 4, 4, []byte{7, 7, 7, 7}, 2, 2, 2)
	for i, v := range up {
		if v != 7 {
			t.Fatalf("doubling a flat plane: pixel %d is %d", i, v)
		}
	}
}

// TestConcurrentUse closes an encoder while another goroutine encodes and
// retargets it, as a call tearing down might: calls after Close must fail
// cleanly, never touch freed libvpx memory.
func TestConcurrentUse(t *testing.T) {
	e, err := NewEncoder(EncoderConfig{})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		for i := range 30 {
			if _, _, err := e.Encode(scene(64, 48, i, 0), false); err != nil {
				done <- err
				return
			}
			if err := e.SetBitrate(100 + i); err != nil {
				done <- err
				return
			}
		}
		done <- nil
	}()
	for range 5 {
		e.Bitrate()
	}
	e.Close()
	if err := <-done; err != nil && !errors.Is(err, ErrClosed) {
		t.Errorf("encoding while closing: %v", err)
	}
}
