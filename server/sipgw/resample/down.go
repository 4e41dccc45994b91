package resample

// Down decimates 48 kHz audio to 8 kHz. The zero value is ready, its
// history silent.
type Down struct {
	buf   []float32 // the last taps-1 input samples, then the block
	n     int       // history samples at the front of buf
	phase int       // input samples so far, mod Factor
}

// downTaps is the prototype reversed, for a forward dot product.
var downTaps = func() (h [taps]float32) {
	for i := range h {
		h[taps-1-i] = float32(proto[i])
	}
	return h
}()

// Process converts in into out, which must have room for
// len(in)/Factor+1 samples, and returns what it wrote: one sample for
// every Factor of in, the remainder carried to the next call.
func (d *Down) Process(out, in []int16) []int16 {
	const hist = taps - 1
	if d.buf == nil {
		d.buf = make([]float32, hist, hist+len(in))
		d.n = hist
	}
	w := d.buf[:d.n]
	for _, x := range in {
		w = append(w, float32(x))
	}
	out = out[:0]
	// Output j is the filter at input sample Factor*j (counting from the
	// stream's start), so that it is the input's sample Delay/Factor
	// outputs before; the filter spans that sample and the hist before it.
	for i := (Factor - d.phase) % Factor; i < len(in); i += Factor {
		out = append(out, clamp16(dotTaps(&downTaps, (*[taps]float32)(w[i:i+taps]))))
	}
	d.phase = (d.phase + len(in)) % Factor
	d.n = copy(w, w[len(in):])
	d.buf = w[:cap(w)]
	return out
}

// dotTaps is the filter's output for the window x: four partial sums, so
// that the additions need not wait for each other.
func dotTaps(h, x *[taps]float32) float32 {
	var a0, a1, a2, a3 float32
	k := 0
	for ; k+4 <= taps; k += 4 {
		a0 += h[k] * x[k]
		a1 += h[k+1] * x[k+1]
		a2 += h[k+2] * x[k+2]
		a3 += h[k+3] * x[k+3]
	}
	for ; k < taps; k++ {
		a0 += h[k] * x[k]
	}
	return (a0 + a1) + (a2 + a3)
}

// Reset forgets the history, as for a new stream.
func (d *Down) Reset() {
	clear(d.buf)
	d.phase = 0
}
