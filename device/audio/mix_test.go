package audio

import (
	"math"
	"slices"
	"testing"
)

func TestDownmixUpmix(t *testing.T) {
	st := []float32{0.5, -0.5, 1, 0, 0.25, 0.25}
	if got := Downmix(nil, st, 2); !slices.Equal(got, []float32{0, 0.5, 0.25}) {
		t.Errorf("Downmix stereo = %v", got)
	}
	if got := Downmix(nil, []float32{0.3, 0.3, 0.3, 0.9, 0, 0}, 3); math.Abs(float64(got[0]-0.3)) > 1e-6 || math.Abs(float64(got[1]-0.3)) > 1e-6 {
		t.Errorf("Downmix 3 channels = %v", got)
	}
	if got := Downmix([]float32{9}, []float32{0.1, 0.2}, 1); !slices.Equal(got, []float32{9, 0.1, 0.2}) {
		t.Errorf("Downmix mono = %v", got)
	}
	if got := Upmix(nil, []float32{0.1, -0.2}, 2); !slices.Equal(got, []float32{0.1, 0.1, -0.2, -0.2}) {
		t.Errorf("Upmix stereo = %v", got)
	}
	// A full-scale signal on both channels stays full scale: no clipping,
	// no loss.
	full := Upmix(nil, []float32{-1, 32767.0 / 32768}, 2)
	pcm := make([]int16, 2)
	FloatToInt(pcm, Downmix(nil, full, 2))
	if pcm[0] != -32768 || pcm[1] != 32767 {
		t.Errorf("full scale round trip = %v", pcm)
	}
}

func TestSampleConversion(t *testing.T) {
	all := make([]int16, 0, 65536)
	for v := math.MinInt16; v <= math.MaxInt16; v++ {
		all = append(all, int16(v))
	}
	back := make([]int16, len(all))
	FloatToInt(back, IntToFloat(nil, all))
	if !slices.Equal(all, back) {
		t.Error("int16 → float32 → int16 is not exact")
	}
	got := make([]int16, 6)
	FloatToInt(got, []float32{2, -2, 0.5, -0.5, 1.4 / 32768, -1.6 / 32768})
	if want := []int16{32767, -32768, 16384, -16384, 1, -2}; !slices.Equal(got, want) {
		t.Errorf("FloatToInt = %v, want %v (clip, round to nearest)", got, want)
	}
}
