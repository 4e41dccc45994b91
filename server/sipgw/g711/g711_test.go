package g711

import (
	"math"
	"testing"
)

// Values from ITU-T G.711's tables 1 (A-law) and 2 (μ-law): the decoder
// output of a code, in the standard's units (A-law 1/4096, 13-bit; μ-law
// 1/8159, 14-bit), scaled here by 8 and 4 to 16 bits. Codes are as sent,
// after the inversion of the even bits (A-law) or of all bits (μ-law).
func TestKnownValues(t *testing.T) {
	for _, tc := range []struct {
		law  Law
		code byte
		want int // in the standard's units
	}{
		{Ulaw, 0xff, 0},  // segment 0, step 0: zero
		{Ulaw, 0x7f, 0},  // its negative twin
		{Ulaw, 0xfe, 2},  // segment 0 steps by 2
		{Ulaw, 0xf0, 30}, // the top of segment 0
		{Ulaw, 0xef, 33}, // segment 1 starts at 33, steps by 4
		{Ulaw, 0xee, 37},
		{Ulaw, 0xdf, 99},    // segment 2
		{Ulaw, 0x8f, 4191},  // segment 7's first value
		{Ulaw, 0x80, 8031},  // the largest
		{Ulaw, 0x00, -8031}, // and the most negative
		{Ulaw, 0x6f, -33},
		{Alaw, 0xd5, 1}, // segment 0, step 0: +1 (A-law has no zero)
		{Alaw, 0x55, -1},
		{Alaw, 0xd4, 3},     // steps of 2 in segments 0 and 1
		{Alaw, 0xc5, 33},    // segment 1
		{Alaw, 0xf5, 66},    // segment 2 steps by 4
		{Alaw, 0xaa, 4032},  // the largest
		{Alaw, 0x2a, -4032}, // and the most negative
	} {
		scale := 4
		if tc.law == Alaw {
			scale = 8
		}
		if got := tc.law.DecodeSample(tc.code); int(got) != tc.want*scale {
			t.Errorf("%s decode %#02x = %d, want %d (%d × %d)", tc.law, tc.code, got, tc.want*scale, tc.want, scale)
		}
	}
}

// TestRoundTrip: every code decodes to a value that encodes back to it (μ-law's
// negative zero aside), and decoding is monotonic in the code's value.
func TestRoundTrip(t *testing.T) {
	for _, law := range []Law{Ulaw, Alaw} {
		for c := range 256 {
			code := byte(c)
			back := law.EncodeSample(law.DecodeSample(code))
			if law == Ulaw && code == 0x7f {
				if back != 0xff {
					t.Errorf("%s: negative zero re-encodes to %#02x, want 0xff", law, back)
				}
				continue
			}
			if back != code {
				t.Errorf("%s: %#02x decodes to %d, which encodes to %#02x", law, code, law.DecodeSample(code), back)
			}
		}
	}
}

// TestQuantisation: for every 16-bit input, the decoded code is within half
// a step of it (the step of the input's segment), clipping aside.
func TestQuantisation(t *testing.T) {
	for _, law := range []Law{Ulaw, Alaw} {
		worst := 0.0
		for x := math.MinInt16; x <= math.MaxInt16; x++ {
			y := int(law.DecodeSample(law.EncodeSample(int16(x))))
			limit := 8031 * 4
			if law == Alaw {
				limit = 4032 * 8
			}
			if x > limit || x < -limit {
				if y != limit && y != -limit {
					t.Fatalf("%s: %d beyond the range decodes to %d, want ±%d", law, x, y, limit)
				}
				continue
			}
			step := float64(stepAt(law, x))
			if d := math.Abs(float64(y - x)); d > step/2+1 {
				t.Fatalf("%s: %d decodes to %d, more than half its step %v away", law, x, y, step)
			} else if r := d / step; r > worst {
				worst = r
			}
		}
		t.Logf("%s: worst error %.2f of a step", law, worst)
	}
}

// stepAt is the quantisation step of the segment holding x, at 16 bits.
func stepAt(law Law, x int) int {
	m := x
	if m < 0 {
		m = -m
	}
	if law == Ulaw {
		// Segment s covers biased magnitudes [128<<s, 256<<s) (16-bit).
		s := 0
		for s < 7 && m+ulawBias >= 256<<s {
			s++
		}
		return 8 << s
	}
	s := 0
	for s < 7 && m >= 256<<s {
		s++
	}
	return 16 << max(s-1, 0)
}

// TestSineSNR: G.711's signal-to-quantisation-noise ratio for a sine well
// inside its range is near 38 dB for either law, the figure the standard
// is known for.
func TestSineSNR(t *testing.T) {
	pcm := make([]int16, 8000)
	for i := range pcm {
		pcm[i] = int16(8000 * math.Sin(2*math.Pi*1004*float64(i)/SampleRate))
	}
	codes := make([]byte, len(pcm))
	out := make([]int16, len(pcm))
	for _, law := range []Law{Ulaw, Alaw} {
		law.Decode(out, law.Encode(codes, pcm))
		var sig, noise float64
		for i := range pcm {
			sig += float64(pcm[i]) * float64(pcm[i])
			d := float64(out[i]) - float64(pcm[i])
			noise += d * d
		}
		snr := 10 * math.Log10(sig/noise)
		if snr < 35 || snr > 42 {
			t.Errorf("%s: SNR %.1f dB for a 1004 Hz sine, want 35 to 42", law, snr)
		}
	}
}

func TestSilence(t *testing.T) {
	if Ulaw.DecodeSample(Ulaw.Silence()) != 0 || Alaw.DecodeSample(Alaw.Silence()) != 8 {
		t.Error("silence codes do not decode to the quietest values")
	}
}

func BenchmarkEncode(b *testing.B) {
	pcm := make([]int16, 160)
	for i := range pcm {
		pcm[i] = int16(12000 * math.Sin(float64(i)))
	}
	codes := make([]byte, 160)
	for _, law := range []Law{Ulaw, Alaw} {
		b.Run(law.String(), func(b *testing.B) {
			for b.Loop() {
				law.Encode(codes, pcm)
			}
		})
	}
}

func BenchmarkDecode(b *testing.B) {
	codes := make([]byte, 160)
	for i := range codes {
		codes[i] = byte(i * 7)
	}
	pcm := make([]int16, 160)
	for _, law := range []Law{Ulaw, Alaw} {
		b.Run(law.String(), func(b *testing.B) {
			for b.Loop() {
				law.Decode(pcm, codes)
			}
		})
	}
}
