package g711

import "math/bits"

// Law is a G.711 companding law.
type Law uint8

const (
	// Ulaw is the μ-law (PCMU).
	Ulaw Law = iota
	// Alaw is the A-law (PCMA).
	Alaw
)

// The RTP payload types RFC 3551 assigns the two laws.
const (
	PayloadTypePCMU = 0
	PayloadTypePCMA = 8
)

// SampleRate is G.711's only rate.
const SampleRate = 8000

func (l Law) String() string {
	if l == Alaw {
		return "PCMA"
	}
	return "PCMU"
}

// Decoding is a table: 256 codes, each to the centre of its step, scaled
// to 16 bits (μ-law's 14-bit range times 4, A-law's 13-bit range times 8).
var ulawTable, alawTable [256]int16

func init() {
	for c := range 256 {
		ulawTable[c] = ulawDecode(uint8(c))
		alawTable[c] = alawDecode(uint8(c))
	}
}

// μ-law (G.711 table 2): the magnitude plus a bias of 33 (132 at 16 bits)
// is coded as a 3-bit exponent, the position of its top bit, and the four
// bits after it; the byte is sent inverted.
const (
	ulawBias = 0x84
	ulawClip = 32635 // the largest magnitude whose biased value fits the top segment
)

func ulawDecode(c uint8) int16 {
	u := ^c
	exp := (u >> 4) & 7
	t := (int32(u&0x0f)<<3 + ulawBias) << exp
	t -= ulawBias
	if u&0x80 != 0 {
		return int16(-t)
	}
	return int16(t)
}

func ulawEncode(x int16) uint8 {
	v := int32(x)
	var sign uint8
	if v < 0 {
		v, sign = -v, 0x80
	}
	v = min(v, ulawClip) + ulawBias
	exp := bits.Len32(uint32(v)) - 8 // the top bit is at 7..14
	mant := uint8(v>>(exp+3)) & 0x0f
	return ^(sign | uint8(exp)<<4 | mant)
}

// A-law (G.711 table 1) works on 13-bit magnitudes: segment 0 is linear
// (steps of 2), each further segment doubles the step; the sign bit is 1
// for positive values and the even bits are inverted (XOR 0x55).
func alawDecode(c uint8) int16 {
	a := c ^ 0x55
	seg := (a >> 4) & 7
	t := int32(a&0x0f)<<4 + 8
	if seg > 0 {
		t = (t + 0x100) << (seg - 1)
	}
	if a&0x80 != 0 {
		return int16(t)
	}
	return int16(-t)
}

func alawEncode(x int16) uint8 {
	v := int32(x)
	mask := uint8(0xd5)
	if v < 0 {
		// The negative half is the positive one mirrored about -1/2: code
		// 0x55 is -8, not -0.
		v, mask = -v-1, 0x55
	}
	m := min(v>>3, 4095)
	var code uint8
	if m < 32 {
		code = uint8(m >> 1)
	} else {
		seg := bits.Len32(uint32(m)) - 5 // m in [16<<seg, 32<<seg)
		code = uint8(seg)<<4 | uint8(m>>seg)&0x0f
	}
	return code ^ mask
}

// Encode compands pcm into codes, which must be as long, and returns
// codes.
func (l Law) Encode(codes []byte, pcm []int16) []byte {
	codes = codes[:len(pcm)]
	if l == Alaw {
		for i, x := range pcm {
			codes[i] = alawEncode(x)
		}
		return codes
	}
	for i, x := range pcm {
		codes[i] = ulawEncode(x)
	}
	return codes
}

// Decode expands codes into pcm, which must be as long, and returns pcm.
func (l Law) Decode(pcm []int16, codes []byte) []int16 {
	pcm = pcm[:len(codes)]
	t := &ulawTable
	if l == Alaw {
		t = &alawTable
	}
	for i, c := range codes {
		pcm[i] = t[c]
	}
	return pcm
}

// EncodeSample and DecodeSample convert one sample.
func (l Law) EncodeSample(x int16) byte {
	if l == Alaw {
		return alawEncode(x)
	}
	return ulawEncode(x)
}

// DecodeSample expands one code.
func (l Law) DecodeSample(c byte) int16 {
	if l == Alaw {
		return alawTable[c]
	}
	return ulawTable[c]
}

// Silence is the code for 0 (μ-law 0xFF; A-law has no zero, and 0xD5 is
// its smallest positive value, +8).
func (l Law) Silence() byte {
	if l == Alaw {
		return 0xd5
	}
	return 0xff
}
