package synthetic

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"
	"testing/synctest"
	"time"

	"github.com/dialtone/dialtone/device"
)

// readTone reads d worth of frames from a tone.
func readTone(t *testing.T, src device.AudioSource, frames int) []int16 {
	t.Helper()
	out := make([]int16, 0, frames*device.FrameSamples)
	pcm := make([]int16, device.FrameSamples)
	for range frames {
		if err := src.ReadAudio(context.Background(), pcm); err != nil {
			t.Fatal(err)
		}
		out = append(out, pcm...)
	}
	return out
}

func TestToneDetected(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for _, hz := range []float64{0, 440, 1000, 300, 3150.5} {
		for _, noise := range []int{0, 8000} {
			t.Run(itoa(int(hz))+"/noise"+itoa(noise), func(t *testing.T) {
				synctest.Test(t, func(t *testing.T) {
					tone, err := NewTone(hz)
					if err != nil {
						t.Fatal(err)
					}
					defer tone.Close()
					pcm := readTone(t, tone, 50) // 1 s
					for i := range pcm {
						if noise > 0 {
							pcm[i] += int16(rng.IntN(2*noise+1) - noise)
						}
					}
					got := DominantFrequency(pcm, device.SampleRate)
					if math.Abs(got-tone.Hz()) > 5 {
						t.Errorf("detected %.2f Hz, want %.2f ±5", got, tone.Hz())
					}
				})
			})
		}
	}
}

func TestTonePhaseContinuousAndPaced(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		tone, err := NewTone(1000)
		if err != nil {
			t.Fatal(err)
		}
		defer tone.Close()
		start := time.Now()
		pcm := readTone(t, tone, 10)
		// Ten frames: the first at once, then one every 20 ms.
		if got := time.Since(start); got != 9*device.FrameTime {
			t.Errorf("10 frames took %v, want %v", got, 9*device.FrameTime)
		}
		for i, v := range pcm {
			want := math.Round(toneAmplitude * math.Sin(2*math.Pi*1000*float64(i)/device.SampleRate))
			if math.Abs(float64(v)-want) > 1 {
				t.Fatalf("sample %d = %d, want %v (phase jump?)", i, v, want)
			}
		}
	})
}

func TestToneBadFrequency(t *testing.T) {
	for _, hz := range []float64{-1, 24000, 1e9, math.NaN()} {
		if _, err := NewTone(hz); err == nil {
			t.Errorf("NewTone(%v) accepted", hz)
		}
	}
}

func TestDominantFrequencyEdges(t *testing.T) {
	if f := DominantFrequency(make([]int16, 48000), 48000); f != 0 {
		t.Errorf("silence: %v Hz, want 0", f)
	}
	if f := DominantFrequency(make([]int16, 10), 48000); f != 0 {
		t.Errorf("too short: %v Hz, want 0", f)
	}
	// Longer than the window, at another sample rate.
	pcm := make([]int16, 200000)
	for i := range pcm {
		pcm[i] = int16(10000 * math.Sin(2*math.Pi*700*float64(i)/16000))
	}
	if f := DominantFrequency(pcm, 16000); math.Abs(f-700) > 1 {
		t.Errorf("700 Hz at 16 kHz detected as %v", f)
	}
}

func BenchmarkDominantFrequency1s(b *testing.B) {
	pcm := make([]int16, device.SampleRate)
	for i := range pcm {
		pcm[i] = int16(10000 * math.Sin(2*math.Pi*440*float64(i)/device.SampleRate))
	}
	for b.Loop() {
		DominantFrequency(pcm, device.SampleRate)
	}
}

func TestToneStats(t *testing.T) {
	var s ToneStats
	if got := s.Summary(); got != (ToneSummary{}) {
		t.Fatalf("empty: %+v", got)
	}
	synctest.Test(t, func(t *testing.T) {
		low, _ := NewTone(300)
		high, _ := NewTone(1000)
		// A second of 300 Hz, then 1.5 s of 1000 Hz: only the last second
		// counts.
		all := append(readTone(t, low, 50), readTone(t, high, 75)...)
		for i := 0; i < len(all); i += device.FrameSamples {
			s.Add(all[i:i+device.FrameSamples], i/device.FrameSamples%10 == 0)
		}
	})
	got := s.Summary()
	if got.Frames != 125 || got.Concealed != 13 || math.Abs(got.ToneHz-1000) > 5 {
		t.Errorf("got %+v, want 125 frames, 13 concealed, 1000 Hz", got)
	}
}
