package audio

// Sample conversions and channel mixing between the driver's interleaved
// float32 and dialtone's mono int16. int16 → float32 → int16 is exact.

// Downmix averages each frame of ch interleaved channels into one sample,
// appending to dst. Averaging (not summing) keeps a signal present on all
// channels at its level and can never clip.
func Downmix(dst, src []float32, ch int) []float32 {
	if ch <= 1 {
		return append(dst, src...)
	}
	inv := 1 / float32(ch)
	for i := 0; i+ch <= len(src); i += ch {
		var s float32
		for _, v := range src[i : i+ch] {
			s += v
		}
		dst = append(dst, s*inv)
	}
	return dst
}

// Upmix copies each mono sample to ch interleaved channels, appending to
// dst: a voice should come out of every speaker at full level.
func Upmix(dst, src []float32, ch int) []float32 {
	if ch <= 1 {
		return append(dst, src...)
	}
	for _, v := range src {
		for range ch {
			dst = append(dst, v)
		}
	}
	return dst
}

// IntToFloat appends src scaled to [-1, 1).
func IntToFloat(dst []float32, src []int16) []float32 {
	for _, v := range src {
		dst = append(dst, float32(v)/32768)
	}
	return dst
}

// FloatToInt converts src into dst (len(dst) ≥ len(src)), rounding to
// nearest and clipping to the int16 range. It returns the samples written.
func FloatToInt(dst []int16, src []float32) int {
	for i, v := range src {
		x := v * 32768
		switch {
		case x >= 32767:
			dst[i] = 32767
		case x <= -32768:
			dst[i] = -32768
		case x >= 0:
			dst[i] = int16(x + 0.5)
		default:
			dst[i] = int16(x - 0.5)
		}
	}
	return len(src)
}
