package resample

// Up interpolates 8 kHz audio to 48 kHz. The zero value is ready, its
// history silent.
type Up struct {
	// buf holds the last phaseLen-1 input samples, then the block being
	// converted.
	buf []float32
	n   int // history samples at the front of buf
}

// upPhases[p] is branch p of the prototype, reversed for a forward dot
// product and scaled by Factor (interpolation's zeros take that gain).
var upPhases = func() (ph [Factor][phaseLen]float32) {
	for p := range Factor {
		for k := range phaseLen {
			ph[p][phaseLen-1-k] = float32(proto[p+Factor*k] * Factor)
		}
	}
	return ph
}()

// Process converts in into out, which must have room for Factor*len(in)
// samples, and returns out's first Factor*len(in).
func (u *Up) Process(out, in []int16) []int16 {
	out = out[:Factor*len(in)]
	if u.n == 0 && u.buf == nil {
		u.buf = make([]float32, phaseLen-1, phaseLen-1+len(in))
		u.n = phaseLen - 1
	}
	w := u.buf[:u.n]
	for _, x := range in {
		w = append(w, float32(x))
	}
	for i := range in {
		x := (*[phaseLen]float32)(w[i : i+phaseLen])
		o := (*[Factor]int16)(out[Factor*i : Factor*i+Factor])
		for p := range Factor {
			o[p] = clamp16(dot(&upPhases[p], x))
		}
	}
	u.n = copy(w, w[len(in):])
	u.buf = w[:cap(w)]
	return out
}

// Reset forgets the history, as for a new stream.
func (u *Up) Reset() {
	clear(u.buf)
}

// dot is one branch's output for the window x, in four partial sums.
func dot(h, x *[phaseLen]float32) float32 {
	var a0, a1, a2, a3 float32
	k := 0
	for ; k+4 <= phaseLen; k += 4 {
		a0 += h[k] * x[k]
		a1 += h[k+1] * x[k+1]
		a2 += h[k+2] * x[k+2]
		a3 += h[k+3] * x[k+3]
	}
	for ; k < phaseLen; k++ {
		a0 += h[k] * x[k]
	}
	return (a0 + a1) + (a2 + a3)
}
