package synthetic

import (
	"math"
	"math/bits"
	"math/cmplx"
	"sync"
)

const (
	// maxDetectSamples bounds the work and memory of DominantFrequency: it
	// looks at the last 2^17 samples (2.7 s at 48 kHz) at most.
	maxDetectSamples = 1 << 17
	// minDetectHz keeps DC and rumble out of the peak search.
	minDetectHz = 20
)

// DominantFrequency returns the frequency in Hz of the strongest spectral peak
// in pcm, or 0 for silence or fewer than 64 samples. It takes a Hann-windowed
// FFT zero-padded to a power of two and refines the peak by parabolic
// interpolation of the log magnitude, which for a steady tone lands well
// within 1 Hz on one second of audio.
func DominantFrequency(pcm []int16, sampleRate int) float64 {
	if len(pcm) < 64 || sampleRate <= 0 {
		return 0
	}
	if len(pcm) > maxDetectSamples {
		pcm = pcm[len(pcm)-maxDetectSamples:]
	}
	n := len(pcm)
	size := 1 << bits.Len(uint(n-1))
	buf := make([]complex128, size)
	for i, v := range pcm {
		w := 0.5 - 0.5*math.Cos(2*math.Pi*float64(i)/float64(n-1))
		buf[i] = complex(float64(v)*w, 0)
	}
	fft(buf)

	lo := max(int(math.Ceil(minDetectHz*float64(size)/float64(sampleRate))), 1)
	peak, best := 0, 0.0
	for k := lo; k < size/2; k++ {
		if m := real(buf[k])*real(buf[k]) + imag(buf[k])*imag(buf[k]); m > best {
			peak, best = k, m
		}
	}
	if best == 0 {
		return 0
	}
	delta := 0.0
	if peak > lo && peak < size/2-1 {
		a, b, c := math.Log(cmplx.Abs(buf[peak-1])+1e-9), math.Log(cmplx.Abs(buf[peak])+1e-9), math.Log(cmplx.Abs(buf[peak+1])+1e-9)
		if d := a - 2*b + c; d < 0 {
			delta = 0.5 * (a - c) / d
		}
	}
	return (float64(peak) + delta) * float64(sampleRate) / float64(size)
}

var twiddleCache sync.Map // size → []complex128

func twiddles(size int) []complex128 {
	if t, ok := twiddleCache.Load(size); ok {
		return t.([]complex128)
	}
	t := make([]complex128, size/2)
	for i := range t {
		s, c := math.Sincos(-2 * math.Pi * float64(i) / float64(size))
		t[i] = complex(c, s)
	}
	twiddleCache.Store(size, t)
	return t
}

// fft transforms x in place; len(x) is a power of two.
func fft(x []complex128) {
	n := len(x)
	shift := 64 - bits.Len(uint(n-1))
	for i := range x {
		if j := int(bits.Reverse64(uint64(i)) >> shift); j > i {
			x[i], x[j] = x[j], x[i]
		}
	}
	tw := twiddles(n)
	for half := 1; half < n; half *= 2 {
		stride := n / (2 * half)
		for start := 0; start < n; start += 2 * half {
			for k := range half {
				a, b := x[start+k], x[start+k+half]*tw[k*stride]
				x[start+k], x[start+k+half] = a+b, a-b
			}
		}
	}
}
