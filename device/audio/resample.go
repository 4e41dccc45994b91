package audio

import (
	"fmt"
	"math"
)

// Resampler design. Every rate pair is served by one Kaiser-windowed sinc
// low-pass whose stop band starts at the lower of the two Nyquist
// frequencies, so downsampling does not fold anything back into the band and
// upsampling leaves no images above the input's band:
//
//   - resamplerZeroCrossings lower-rate sample periods per side (24), with
//     Kaiser β = 8 (about 80 dB stop-band rejection); the transition band is
//     about 10 % of the lower rate wide, so 44.1 ↔ 48 kHz passes up to
//     ~17 kHz and 96 → 48 kHz up to ~19 kHz — well past voice, and near
//     Opus's 20 kHz full band;
//   - the filter is tabulated at resamplerPhases sub-sample phases and
//     interpolated linearly between neighbouring phases (error near
//     −100 dB), so any rate pair works, not only ratios with small terms;
//   - positions are tracked exactly as integers (in 1/outRate of an input
//     sample), so the long-run output count is exact: N input samples give
//     N·out/in output samples, never drifting.
//
// The price is a fixed delay of 24 lower-rate samples (0.5 ms at 48 kHz) and
// 48–100 multiply-adds per output sample.
const (
	resamplerZeroCrossings = 24
	resamplerPhases        = 256
	resamplerKaiserBeta    = 8.0
)

// Resampler converts a mono float32 stream from one sample rate to another.
// It keeps state between calls, so a stream can be fed in pieces of any
// size. It is not safe for concurrent use.
type Resampler struct {
	inRate, outRate int
	num, den        int // reduced in/out: input samples advance num/den per output
	half            int // taps on each side of the centre
	table           []float32
	buf             []float32 // pending input; the output position is relative to buf[0]
	ipos, fpos      int       // position of the next output: buf[ipos] + fpos/den
}

// NewResampler returns a converter from inRate to outRate (Hz, both > 0).
// Equal rates pass samples through untouched.
func NewResampler(inRate, outRate int) (*Resampler, error) {
	if inRate <= 0 || outRate <= 0 || inRate > 1<<20 || outRate > 1<<20 {
		return nil, fmt.Errorf("resampler: rates %d → %d Hz out of range", inRate, outRate)
	}
	g := gcd(inRate, outRate)
	r := &Resampler{inRate: inRate, outRate: outRate, num: inRate / g, den: outRate / g}
	if inRate == outRate {
		return r, nil
	}
	// scale < 1 stretches the filter over more input samples when
	// downsampling, so its cut-off lands on the output's Nyquist.
	scale := min(1, float64(outRate)/float64(inRate))
	r.half = int(math.Ceil(resamplerZeroCrossings / scale))
	taps := 2 * r.half
	// The transition band of this window and length is ~0.105 of the lower
	// rate wide; centring the cut-off at 0.445 of it puts the stop band's
	// edge on the lower Nyquist frequency.
	cutoff := scale * 0.445 // cycles per input sample
	r.table = make([]float32, (resamplerPhases+1)*taps)
	i0 := besselI0(resamplerKaiserBeta)
	for p := 0; p <= resamplerPhases; p++ {
		frac := float64(p) / resamplerPhases
		row := r.table[p*taps : (p+1)*taps]
		sum := 0.0
		coef := make([]float64, taps)
		for j := range taps {
			// Tap j weighs input sample ipos-half+1+j for an output at ipos+frac.
			x := frac + float64(r.half-1-j)
			w := 0.0
			if t := x / float64(r.half); t > -1 && t < 1 {
				w = besselI0(resamplerKaiserBeta*math.Sqrt(1-t*t)) / i0
			}
			coef[j] = 2 * cutoff * sinc(2*cutoff*x) * w
			sum += coef[j]
		}
		for j := range taps {
			row[j] = float32(coef[j] / sum) // unity gain at DC for every phase
		}
	}
	// Prime with silence so the first output sample lines up with the first
	// input sample.
	r.buf = make([]float32, r.half-1, 4096)
	r.ipos = r.half - 1
	return r, nil
}

// Rates returns the input and output rates.
func (r *Resampler) Rates() (in, out int) { return r.inRate, r.outRate }

// Process consumes src and appends the output it can produce so far to dst.
// Over a long stream, len(output) ≈ len(input)·out/in; each call may return
// one sample more or fewer than that, as the filter needs look-ahead.
func (r *Resampler) Process(dst, src []float32) []float32 {
	if r.inRate == r.outRate {
		return append(dst, src...)
	}
	r.buf = append(r.buf, src...)
	taps := 2 * r.half
	for r.ipos+r.half < len(r.buf) {
		fp := r.fpos * resamplerPhases
		p, rem := fp/r.den, fp%r.den
		w := float32(rem) / float32(r.den)
		row0 := r.table[p*taps : (p+1)*taps]
		row1 := r.table[(p+1)*taps : (p+2)*taps]
		in := r.buf[r.ipos-r.half+1 : r.ipos+r.half+1]
		a0, a1 := dot2(in, row0, row1)
		dst = append(dst, a0+w*(a1-a0))
		r.fpos += r.num
		r.ipos += r.fpos / r.den
		r.fpos %= r.den
	}
	if drop := r.ipos - r.half + 1; drop > 0 {
		n := copy(r.buf, r.buf[drop:])
		r.buf = r.buf[:n]
		r.ipos -= drop
	}
	return dst
}

// OutputLen says how many samples Process will produce for the next n input
// samples, given what it holds now.
func (r *Resampler) OutputLen(n int) int {
	if r.inRate == r.outRate {
		return n
	}
	end := len(r.buf) + n - r.half // outputs while ipos < end
	if r.ipos >= end {
		return 0
	}
	// positions ipos + (fpos + k·num)/den < end  ⇔  k < ((end-ipos)·den - fpos)/num
	span := (end-r.ipos)*r.den - r.fpos
	return (span + r.num - 1) / r.num
}

// Reset forgets the stream so far.
func (r *Resampler) Reset() {
	if r.inRate == r.outRate {
		return
	}
	r.buf = r.buf[:r.half-1]
	clear(r.buf)
	r.ipos, r.fpos = r.half-1, 0
}

// dot2 returns x·a and x·b; taps is even, and four partial sums let the
// CPU overlap the multiply-adds.
func dot2(x, a, b []float32) (float32, float32) {
	a, b = a[:len(x)], b[:len(x)]
	var a0, a1, b0, b1 float32
	for j := 0; j+1 < len(x); j += 2 {
		x0, x1 := x[j], x[j+1]
		a0 += x0 * a[j]
		a1 += x1 * a[j+1]
		b0 += x0 * b[j]
		b1 += x1 * b[j+1]
	}
	return a0 + a1, b0 + b1
}

func sinc(x float64) float64 {
	if x == 0 {
		return 1
	}
	return math.Sin(math.Pi*x) / (math.Pi * x)
}

// besselI0 is the zeroth-order modified Bessel function of the first kind,
// by its power series (converges quickly for the β used here).
func besselI0(x float64) float64 {
	sum, term := 1.0, 1.0
	for k := 1; k < 64; k++ {
		term *= (x / (2 * float64(k))) * (x / (2 * float64(k)))
		sum += term
		if term < sum*1e-17 {
			break
		}
	}
	return sum
}

func gcd(a, b int) int {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}
