package videopane

// none is a colour key no pixel has: the terminal's default colour.
// unknown, for the painter, is a colour the terminal's pen may have that
// it does not know.
const (
	none    = ^uint32(0)
	unknown = none - 1
)

const (
	upperHalf = "▀"
	lowerHalf = "▄"
	fullBlock = "█"
	sgrReset  = "\x1b[0m"
)

// appendCells writes one line of picture cells for the TrueColor and
// ANSI256 modes. It sets a colour only when it differs from the one in
// force, and picks the glyph per cell to need as few changes as it can: a
// cell whose two pixels match is a space on the current background or a
// full block in the current foreground, and ▄ with the colours swapped can
// stand in for ▀. The line ends with a reset when it set anything.
func appendCells(b []byte, up, lo []uint32, mode ColorMode, tol int) []byte {
	fg, bg := none, none
	for x, a := range up {
		c := lo[x]
		if like(a, c, tol) {
			switch {
			case like(a, bg, tol) && like(c, bg, tol):
				b = append(b, ' ')
			case like(a, fg, tol) && like(c, fg, tol):
				b = append(b, fullBlock...)
			default:
				b = appendSGR(b, none, a, mode)
				bg = a
				b = append(b, ' ')
			}
			continue
		}
		// ▀ needs fg=a, bg=c; ▄ needs fg=c, bg=a. Prefer ▀ on a tie.
		nf, nb, glyph := a, c, upperHalf
		if changes(fg, bg, c, a, tol) < changes(fg, bg, a, c, tol) {
			nf, nb, glyph = c, a, lowerHalf
		}
		if like(nf, fg, tol) {
			nf = none
		} else {
			fg = nf
		}
		if like(nb, bg, tol) {
			nb = none
		} else {
			bg = nb
		}
		b = appendSGR(b, nf, nb, mode)
		b = append(b, glyph...)
	}
	if fg != none || bg != none {
		b = append(b, sgrReset...)
	}
	return b
}

// like reports whether colour keys a and b are the same, or, with a
// tolerance, 0xRRGGBB colours no channel of which differs by more than tol.
func like(a, b uint32, tol int) bool {
	if a == b {
		return true
	}
	if tol == 0 || a >= unknown || b >= unknown {
		return false
	}
	return absDiff(a>>16, b>>16) <= tol && absDiff(a>>8&255, b>>8&255) <= tol && absDiff(a&255, b&255) <= tol
}

func absDiff(a, b uint32) int {
	d := int(a) - int(b)
	if d < 0 {
		return -d
	}
	return d
}

func changes(fg, bg, nf, nb uint32, tol int) int {
	n := 0
	if !like(fg, nf, tol) {
		n++
	}
	if !like(bg, nb, tol) {
		n++
	}
	return n
}

// appendSGR sets the foreground to fg and the background to bg in one
// sequence; none leaves that one as it is.
func appendSGR(b []byte, fg, bg uint32, mode ColorMode) []byte {
	if fg == none && bg == none {
		return b
	}
	b = append(b, "\x1b["...)
	if fg != none {
		b = appendColor(b, "38;2;", "38;5;", fg, mode)
		if bg != none {
			b = append(b, ';')
		}
	}
	if bg != none {
		b = appendColor(b, "48;2;", "48;5;", bg, mode)
	}
	return append(b, 'm')
}

func appendColor(b []byte, rgb, pal string, k uint32, mode ColorMode) []byte {
	if mode == ANSI256 {
		return appendDec(append(b, pal...), uint8(k))
	}
	b = appendDec(append(b, rgb...), uint8(k>>16))
	b = appendDec(append(b, ';'), uint8(k>>8))
	return appendDec(append(b, ';'), uint8(k))
}

// decimal holds each byte value's digits and, in the last byte, their count.
var decimal = func() (t [256][4]byte) {
	for i := range t {
		switch {
		case i >= 100:
			t[i] = [4]byte{byte('0' + i/100), byte('0' + i/10%10), byte('0' + i%10), 3}
		case i >= 10:
			t[i] = [4]byte{byte('0' + i/10), byte('0' + i%10), 0, 2}
		default:
			t[i] = [4]byte{byte('0' + i), 0, 0, 1}
		}
	}
	return t
}()

func appendDec(b []byte, v uint8) []byte {
	d := &decimal[v]
	return append(b, d[:d[3]]...)
}

// ramp is the NoColor luminance ramp, darkest first.
const ramp = " .:-=+*#%@"

// rampOf maps the sum of two limited-range luma samples to a ramp character.
var rampOf = func() (t [512]byte) {
	for i := range t {
		y := max(0, min(219, i/2-16)) // 0..219 is black..white
		t[i] = ramp[y*len(ramp)/220]
	}
	return t
}()

// appendASCII writes one NoColor line: a ramp character per cell from the
// mean luma of its two pixels.
func appendASCII(b []byte, up, lo []uint32) []byte {
	for x, a := range up {
		b = append(b, rampOf[(a+lo[x])&511])
	}
	return b
}
