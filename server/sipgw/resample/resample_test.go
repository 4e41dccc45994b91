package resample

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

func sine(n int, hz, rateHz, amp float64) []int16 {
	s := make([]int16, n)
	for i := range s {
		s[i] = int16(math.Round(amp * math.Sin(2*math.Pi*hz*float64(i)/rateHz)))
	}
	return s
}

// level is the amplitude of the hz component of s over its whole length
// (a whole number of periods: the correlation with a sine and a cosine).
func level(s []int16, hz, rateHz float64) float64 {
	var re, im float64
	for i, v := range s {
		w := 2 * math.Pi * hz * float64(i) / rateHz
		re += float64(v) * math.Cos(w)
		im += float64(v) * math.Sin(w)
	}
	return 2 * math.Hypot(re, im) / float64(len(s))
}

// zeroCrossingHz is a tone's frequency by its upward zero crossings.
func zeroCrossingHz(s []int16, rateHz float64) float64 {
	n := 0
	for i := 1; i < len(s); i++ {
		if s[i-1] < 0 && s[i] >= 0 {
			n++
		}
	}
	return float64(n) * rateHz / float64(len(s))
}

func db(x float64) float64 { return 20 * math.Log10(x) }

// upsample runs a second of 8 kHz through Up in 20 ms blocks and returns
// the 48 kHz output after the filter has settled.
func upsample(in []int16) []int16 {
	var u Up
	out := make([]int16, 0, Factor*len(in))
	blk := make([]int16, Factor*160)
	for i := 0; i < len(in); i += 160 {
		out = append(out, u.Process(blk, in[i:min(i+160, len(in))])...)
	}
	return out
}

func downsample(in []int16) []int16 {
	var d Down
	out := make([]int16, 0, len(in)/Factor)
	blk := make([]int16, 961/Factor+1)
	for i := 0; i < len(in); i += 960 {
		out = append(out, d.Process(blk, in[i:min(i+960, len(in))])...)
	}
	return out
}

// TestUpTone: a tone in the telephone band comes out of Up at its frequency
// and level, and its images (8 kHz ± f and beyond) are 70 dB down.
func TestUpTone(t *testing.T) {
	for _, hz := range []float64{300, 440, 1000, 2000, 3400} {
		in := sine(8000+800, hz, 8000, 10000)
		out := upsample(in)[4800:] // past the start-up, a whole second
		if got := zeroCrossingHz(out, 48000); math.Abs(got-hz) > 1 {
			t.Errorf("%v Hz up: %v Hz", hz, got)
		}
		if g := db(level(out, hz, 48000) / 10000); math.Abs(g) > 0.5 {
			t.Errorf("%v Hz up: gain %.2f dB, want within 0.5 of 0", hz, g)
		}
		for _, img := range []float64{8000 - hz, 8000 + hz, 16000 - hz, 16000 + hz, 24000 - hz} {
			if a := db(level(out, img, 48000) / 10000); a > -70 {
				t.Errorf("%v Hz up: the image at %v Hz is %.1f dB, want below -70", hz, img, a)
			}
		}
	}
}

// TestDownTone: a tone in the band comes out of Down at its frequency and
// level, and a tone above 4 kHz does not fold back into the band.
func TestDownTone(t *testing.T) {
	for _, hz := range []float64{300, 660, 1000, 3400} {
		out := downsample(sine(48000+4800, hz, 48000, 10000))[800:]
		if got := zeroCrossingHz(out, 8000); math.Abs(got-hz) > 1 {
			t.Errorf("%v Hz down: %v Hz", hz, got)
		}
		if g := db(level(out, hz, 8000) / 10000); math.Abs(g) > 0.5 {
			t.Errorf("%v Hz down: gain %.2f dB, want within 0.5 of 0", hz, g)
		}
	}
	for _, hz := range []float64{4700, 5000, 6000, 9000, 12000, 20000} {
		out := downsample(sine(48000+4800, hz, 48000, 10000))[800:]
		alias := math.Abs(hz - 8000*math.Round(hz/8000))
		if a := db(level(out, alias, 8000) / 10000); a > -70 {
			t.Errorf("%v Hz down: its alias at %v Hz is %.1f dB, want below -70", hz, alias, a)
		}
	}
}

// TestRoundTrip: 8 kHz speech-band noise through Up and Down comes back as
// it was, delayed by the two filters.
func TestRoundTrip(t *testing.T) {
	in := sine(8000, 1000, 8000, 6000)
	for i, v := range sine(8000, 2300, 8000, 4000) {
		in[i] += v
	}
	back := downsample(upsample(in))
	// Two filters of Delay each, at 48 kHz.
	const lag = 2 * Delay / Factor
	var sig, noise float64
	for i := 400; i < len(in)-400; i++ {
		d := float64(back[i+lag]) - float64(in[i])
		sig += float64(in[i]) * float64(in[i])
		noise += d * d
	}
	if snr := 10 * math.Log10(sig/noise); snr < 50 {
		t.Errorf("8 kHz → 48 kHz → 8 kHz: SNR %.1f dB against the input %d samples earlier, want 50", snr, lag)
	}
}

// TestBlocks: the output does not depend on how the stream is cut up.
func TestBlocks(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	in := make([]int16, 4800)
	for i := range in {
		in[i] = int16(r.IntN(20000) - 10000)
	}
	var u1, u2 Up
	whole := u1.Process(make([]int16, Factor*len(in)), in)
	var parts []int16
	var d1, d2 Down
	downWhole := d1.Process(make([]int16, len(in)/Factor+1), in)
	var downParts []int16
	for i := 0; i < len(in); {
		n := min(1+r.IntN(500), len(in)-i)
		parts = append(parts, u2.Process(make([]int16, Factor*n), in[i:i+n])...)
		downParts = append(downParts, d2.Process(make([]int16, n/Factor+1), in[i:i+n])...)
		i += n
	}
	if !slices.Equal(whole, parts) {
		t.Error("Up: cutting the input into blocks changes the output")
	}
	if !slices.Equal(downWhole, downParts) || len(downWhole) != len(in)/Factor {
		t.Errorf("Down: %d samples whole, %d in blocks, want %d and the same", len(downWhole), len(downParts), len(in)/Factor)
	}
}

func TestReset(t *testing.T) {
	loud := sine(480, 1000, 8000, 30000)
	var u Up
	u.Process(make([]int16, Factor*len(loud)), loud)
	u.Reset()
	for _, v := range u.Process(make([]int16, Factor*160), make([]int16, 160)) {
		if v != 0 {
			t.Fatal("Up: silence after Reset is not silent")
		}
	}
	var d Down
	d.Process(make([]int16, 481), sine(2880, 1000, 48000, 30000))
	d.Reset()
	for _, v := range d.Process(make([]int16, 161), make([]int16, 960)) {
		if v != 0 {
			t.Fatal("Down: silence after Reset is not silent")
		}
	}
}

func TestClip(t *testing.T) {
	// A full-scale square wave overshoots (Gibbs); the output clips, it
	// does not wrap.
	in := make([]int16, 800)
	for i := range in {
		in[i] = math.MaxInt16
		if i/20%2 == 1 {
			in[i] = math.MinInt16
		}
	}
	out := upsample(in)
	for i := 1; i < len(out); i++ {
		if d := int(out[i]) - int(out[i-1]); d > 30000 || d < -30000 {
			t.Fatalf("Up wrapped around at %d: %d → %d", i, out[i-1], out[i])
		}
	}
}

// BenchmarkUp and BenchmarkDown convert one 20 ms frame.
func BenchmarkUp(b *testing.B) {
	var u Up
	in, out := sine(160, 1000, 8000, 10000), make([]int16, 960)
	for b.Loop() {
		u.Process(out, in)
	}
}

func BenchmarkDown(b *testing.B) {
	var d Down
	in, out := sine(960, 1000, 48000, 10000), make([]int16, 161)
	for b.Loop() {
		d.Process(out, in)
	}
}
