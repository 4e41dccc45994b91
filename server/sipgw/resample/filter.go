package resample

import "math"

// Factor is the ratio of the two rates: 48 kHz / 8 kHz.
const Factor = 6

// The prototype filter, at 48 kHz: an odd length whose delay is a whole
// number of 8 kHz samples, so that each converter delays by exactly Delay
// (Down keeps the samples in step with it); the polyphase branches have
// phaseLen taps, the last few zero.
const (
	taps     = 2*Delay + 1
	phaseLen = (taps + Factor - 1) / Factor
	// Delay is each converter's delay, in 48 kHz samples (2 ms): the
	// filter's group delay.
	Delay = 17 * Factor

	cutoffHz = 4000  // half the low rate: the filter's -6 dB point
	rate     = 48000 // the high rate
	beta     = 7.0   // Kaiser's β for 70 dB of stop-band attenuation
)

// proto is the prototype low-pass, normalised to a DC gain of 1.
var proto = design()

func design() [Factor * phaseLen]float64 {
	var h [Factor * phaseLen]float64
	fc := float64(cutoffHz) / rate // cycles per sample
	sum := 0.0
	for i := range taps {
		x := float64(i - Delay)
		v := 2 * fc
		if x != 0 {
			v = math.Sin(2*math.Pi*fc*x) / (math.Pi * x)
		}
		r := x / Delay
		h[i] = v * bessel0(beta*math.Sqrt(max(0, 1-r*r))) / bessel0(beta)
		sum += h[i]
	}
	for i := range h {
		h[i] /= sum
	}
	return h
}

// bessel0 is the modified Bessel function of the first kind, order 0, by
// its power series (it converges fast for the arguments a window needs).
func bessel0(x float64) float64 {
	sum, term := 1.0, 1.0
	for k := 1; k < 50; k++ {
		term *= (x / 2) / float64(k)
		sum += term * term
		if term*term < 1e-12*sum {
			break
		}
	}
	return sum
}

func clamp16(v float32) int16 {
	switch {
	case v >= math.MaxInt16:
		return math.MaxInt16
	case v <= math.MinInt16:
		return math.MinInt16
	}
	return int16(int32(v + float32(math.Copysign(0.5, float64(v)))))
}
