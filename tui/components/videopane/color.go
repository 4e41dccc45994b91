package videopane

import "sync"

// ColorMode says how cells are coloured; the TUI picks it from the
// terminal's colour profile.
type ColorMode int

const (
	// TrueColor writes 24-bit colours (SGR 38;2 and 48;2).
	TrueColor ColorMode = iota
	// ANSI256 maps colours to the xterm palette's 6×6×6 cube (16–231) and
	// grey ramp (232–255). The 16 system colours are avoided because themes
	// redefine them.
	ANSI256
	// NoColor writes plain ASCII, one luminance-ramp character per cell.
	NoColor
)

func (m ColorMode) String() string {
	switch m {
	case TrueColor:
		return "truecolor"
	case ANSI256:
		return "ansi256"
	case NoColor:
		return "nocolor"
	}
	return "unknown"
}

// YUV→RGB, BT.601 limited range, in 8.8 fixed point:
//
//	R = 1.164(Y-16) + 1.596(V-128)
//	G = 1.164(Y-16) - 0.391(U-128) - 0.813(V-128)
//	B = 1.164(Y-16) + 2.018(U-128)
//
// One table per term turns the multiplies into loads.
var tabY, tabRV, tabGU, tabGV, tabBU [256]int32

// clampOff is the smallest value (after >>8) the sum of the terms reaches;
// the clamp tables are indexed from it so clamping and quantising are one
// load. The sums span about -300..560.
const (
	clampOff = 320
	clampLen = 1024
)

func init() {
	for i := range 256 {
		c := int32(i)
		tabY[i] = 298*(c-16) + 128
		tabRV[i] = 409 * (c - 128)
		tabGU[i] = -100 * (c - 128)
		tabGV[i] = -208 * (c - 128)
		tabBU[i] = 516 * (c - 128)
	}
}

// yuvToRGB converts one limited-range BT.601 sample to full-range RGB.
func yuvToRGB(y, u, v uint8) (r, g, b uint8) {
	yy := tabY[y]
	return clamp8(yy + tabRV[v]), clamp8(yy + tabGU[u] + tabGV[v]), clamp8(yy + tabBU[u])
}

func clamp8(x int32) uint8 {
	x >>= 8
	if x < 0 {
		return 0
	}
	if x > 255 {
		return 255
	}
	return uint8(x)
}

// buildClamp makes the table that clamps a fixed-point channel sum (already
// shifted right by 8 and offset by clampOff) to 0..255 and rounds it to a
// multiple of 2^(8-bits). Rounding to the nearest multiple, rather than
// dropping low bits, keeps black black and white white.
func buildClamp(bits int) *[clampLen]uint8 {
	var t [clampLen]uint8
	step := 1 << (8 - bits)
	for i := range t {
		c := max(0, min(255, i-clampOff))
		q := (c + step/2) &^ (step - 1)
		t[i] = uint8(min(q, 255))
	}
	return &t
}

// xterm palette geometry.
var cubeLevels = [6]int{0, 95, 135, 175, 215, 255}

// cubeIndex is the nearest cube level to c. The midpoints between levels are
// 47.5, 115, 155, 195 and 235.
func cubeIndex(c int) int {
	switch {
	case c < 48:
		return 0
	case c < 115:
		return 1
	}
	return (c - 35) / 40
}

// Ansi256 returns the xterm palette index (16–255) nearest to r, g, b in
// RGB distance: the nearest cube colour or the nearest grey, whichever is
// closer. The renderer uses a table built from it.
func Ansi256(r, g, b uint8) uint8 {
	ri, gi, bi := cubeIndex(int(r)), cubeIndex(int(g)), cubeIndex(int(b))
	dc := sq(int(r)-cubeLevels[ri]) + sq(int(g)-cubeLevels[gi]) + sq(int(b)-cubeLevels[bi])
	// The grey nearest to a colour is the one nearest to its mean; greys are
	// 8, 18, ..., 238.
	k := max(0, min(23, (int(r)+int(g)+int(b)-9)/30))
	gv := 8 + 10*k
	dg := sq(int(r)-gv) + sq(int(g)-gv) + sq(int(b)-gv)
	if dg < dc {
		return uint8(232 + k)
	}
	return uint8(16 + 36*ri + 6*gi + bi)
}

func sq(x int) int { return x * x }

// The renderer maps colours through a table indexed by the top 5 bits of
// each channel (32 KiB, small enough to stay in cache); each entry is
// Ansi256 of the bucket's centre. Finer steps cannot be seen through a
// palette whose greys are 10 apart and whose cube is 40 apart.
const lutBits = 5

var ansiLUT = sync.OnceValue(func() *[1 << (3 * lutBits)]uint8 {
	var t [1 << (3 * lutBits)]uint8
	const shift = 8 - lutBits
	const half = 1 << (shift - 1)
	for i := range t {
		r := uint8((i>>(2*lutBits))<<shift | half)
		g := uint8((i>>lutBits)&(1<<lutBits-1)<<shift | half)
		b := uint8((i&(1<<lutBits-1))<<shift | half)
		t[i] = Ansi256(r, g, b)
	}
	return &t
})
