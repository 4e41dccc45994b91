package audio

import (
	"fmt"
	"math"
	"testing"

	"github.com/dialtone/dialtone/device/synthetic"
)

func sineF(hz float64, rate, n int) []float32 {
	x := make([]float32, n)
	for i := range x {
		x[i] = float32(0.5 * math.Sin(2*math.Pi*hz*float64(i)/float64(rate)))
	}
	return x
}

// fitSine returns the amplitude of the best-fitting hz sine in x and the
// signal-to-residual ratio in dB.
func fitSine(x []float32, hz float64, rate int) (amp, snr float64) {
	var ss, sc, cc, xs, xc float64
	for i, v := range x {
		s, c := math.Sincos(2 * math.Pi * hz * float64(i) / float64(rate))
		ss, sc, cc = ss+s*s, sc+s*c, cc+c*c
		xs, xc = xs+float64(v)*s, xc+float64(v)*c
	}
	det := ss*cc - sc*sc
	a, b := (xs*cc-xc*sc)/det, (xc*ss-xs*sc)/det
	var sig, res float64
	for i, v := range x {
		s, c := math.Sincos(2 * math.Pi * hz * float64(i) / float64(rate))
		f := a*s + b*c
		sig += f * f
		res += (float64(v) - f) * (float64(v) - f)
	}
	return math.Hypot(a, b), 10 * math.Log10(sig/res)
}

func rmsF(x []float32) float64 {
	s := 0.0
	for _, v := range x {
		s += float64(v) * float64(v)
	}
	return math.Sqrt(s / float64(len(x)))
}

// resampleAll runs x through a fresh resampler in 10 ms pieces.
func resampleAll(t testing.TB, in, out int, x []float32) []float32 {
	r, err := NewResampler(in, out)
	if err != nil {
		t.Fatal(err)
	}
	var y []float32
	for len(x) > 0 {
		k := min(len(x), in/100)
		y = r.Process(y, x[:k])
		x = x[k:]
	}
	return y
}

// TestResamplerTones: a tone comes out at its frequency and level, cleanly,
// for the rates devices commonly run at.
func TestResamplerTones(t *testing.T) {
	pairs := [][2]int{{44100, 48000}, {48000, 44100}, {16000, 48000}, {48000, 16000}, {8000, 48000}, {96000, 48000}, {22050, 48000}, {32000, 48000}, {48000, 48000}, {47999, 48000}}
	for _, p := range pairs {
		for _, hz := range []float64{440, 1000, 3000} {
			if hz > 0.35*float64(min(p[0], p[1])) {
				continue
			}
			t.Run(fmt.Sprintf("%d-%d/%v", p[0], p[1], hz), func(t *testing.T) {
				y := resampleAll(t, p[0], p[1], sineF(hz, p[0], p[0]))
				y = y[100 : len(y)-100] // past the filter's start-up
				amp, snr := fitSine(y, hz, p[1])
				if math.Abs(20*math.Log10(amp/0.5)) > 0.05 {
					t.Errorf("amplitude %.4f, want 0.5 (±0.05 dB)", amp)
				}
				if snr < 70 {
					t.Errorf("signal to noise and distortion %.1f dB, want ≥ 70", snr)
				}
				pcm := make([]int16, len(y))
				FloatToInt(pcm, y)
				if f := synthetic.DominantFrequency(pcm, p[1]); math.Abs(f-hz) > 0.5 {
					t.Errorf("frequency %.2f Hz, want %v", f, hz)
				}
			})
		}
	}
}

// TestResamplerBand: voice-band content passes flat; content the output
// cannot carry is filtered out instead of folding back as aliases.
func TestResamplerBand(t *testing.T) {
	cases := []struct {
		in, out int
		hz      float64
		minDB   float64 // gain bounds
		maxDB   float64
	}{
		{44100, 48000, 12000, -0.1, 0.1},
		{48000, 44100, 12000, -0.1, 0.1},
		{96000, 48000, 15000, -0.1, 0.1},
		{48000, 16000, 6000, -0.1, 0.1},
		{96000, 48000, 30000, -200, -70}, // would alias to 18 kHz
		{96000, 48000, 25000, -200, -60}, // just past the output's Nyquist
		{48000, 44100, 23000, -200, -60},
		{48000, 16000, 9000, -200, -70}, // would alias to 7 kHz
		{48000, 8000, 5000, -200, -70},
		{16000, 48000, 6000, -0.5, 0.1}, // upsampling keeps the input's band
	}
	for _, tc := range cases {
		t.Run(fmt.Sprintf("%d-%d/%v", tc.in, tc.out, tc.hz), func(t *testing.T) {
			y := resampleAll(t, tc.in, tc.out, sineF(tc.hz, tc.in, tc.in))
			y = y[200 : len(y)-200]
			db := 20 * math.Log10(rmsF(y)/(0.5/math.Sqrt2))
			if db < tc.minDB || db > tc.maxDB {
				t.Errorf("gain %.2f dB, want %v…%v", db, tc.minDB, tc.maxDB)
			}
		})
	}
}

// TestResamplerStreaming: pieces of any size give the same samples as one
// piece, and the long-run count is exact.
func TestResamplerStreaming(t *testing.T) {
	for _, p := range [][2]int{{44100, 48000}, {48000, 44100}, {96000, 48000}, {8000, 48000}, {48000, 48000}} {
		t.Run(fmt.Sprintf("%d-%d", p[0], p[1]), func(t *testing.T) {
			x := sineF(700, p[0], 3*p[0])
			whole, _ := NewResampler(p[0], p[1])
			want := whole.Process(nil, x)
			r, _ := NewResampler(p[0], p[1])
			var got []float32
			sizes := []int{1, 7, 480, 0, 441, 1000, 3}
			for i := 0; len(x) > 0; i++ {
				k := min(len(x), sizes[i%len(sizes)])
				if n := r.OutputLen(k); true {
					before := len(got)
					got = r.Process(got, x[:k])
					if len(got)-before != n {
						t.Fatalf("OutputLen(%d) = %d, Process gave %d", k, n, len(got)-before)
					}
				}
				x = x[k:]
			}
			if len(got) != len(want) {
				t.Fatalf("pieces gave %d samples, one piece %d", len(got), len(want))
			}
			for i := range got {
				if math.Abs(float64(got[i]-want[i])) > 1e-6 {
					t.Fatalf("sample %d: %v in pieces, %v whole", i, got[i], want[i])
				}
			}
			// 3 s in is 3 s out, less the filter's look-ahead still held.
			if ideal := 3 * p[1]; len(got) > ideal || len(got) < ideal-whole.half*p[1]/p[0]-2 {
				t.Errorf("%d samples out for 3 s, want about %d", len(got), ideal)
			}
			r.Reset()
			if again := r.Process(nil, sineF(700, p[0], 3*p[0])); len(again) != len(want) || again[1000] != want[1000] {
				t.Errorf("after Reset: %d samples, want %d, the same", len(again), len(want))
			}
		})
	}
}

func TestNewResamplerRejects(t *testing.T) {
	for _, p := range [][2]int{{0, 48000}, {48000, -1}, {1 << 21, 48000}} {
		if _, err := NewResampler(p[0], p[1]); err == nil {
			t.Errorf("NewResampler(%d, %d) accepted", p[0], p[1])
		}
	}
}

// BenchmarkResampler converts one 20 ms frame per iteration.
func BenchmarkResampler(b *testing.B) {
	for _, p := range [][2]int{{44100, 48000}, {48000, 44100}, {16000, 48000}, {96000, 48000}, {48000, 48000}} {
		b.Run(fmt.Sprintf("%d-%d", p[0], p[1]), func(b *testing.B) {
			r, _ := NewResampler(p[0], p[1])
			x := sineF(1000, p[0], p[0]/50)
			y := make([]float32, 0, 2*p[1]/50)
			b.ReportAllocs()
			b.SetBytes(int64(4 * len(x)))
			for b.Loop() {
				y = r.Process(y[:0], x)
			}
		})
	}
}
