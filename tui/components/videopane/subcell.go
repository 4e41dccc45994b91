package videopane

import "github.com/dialtone/dialtone/device"

// Glyphs is how finely a cell divides into pixels.
type Glyphs int

const (
	// HalfBlocks: ▀ with two colours, 1×2 pixels a cell. Every font has it.
	HalfBlocks Glyphs = iota
	// Quadrants: the block elements ▘▝▖▗▚▞▙▛▜▟ and the halves, 2×2 pixels
	// a cell in two colours. In most fonts.
	Quadrants
	// Sextants: Unicode 13's Symbols for Legacy Computing (U+1FB00–1FB3B)
	// and the halves, 2×3 pixels a cell in two colours; needs a font that
	// has them.
	Sextants
)

func (g Glyphs) String() string {
	switch g {
	case Quadrants:
		return "quadrant"
	case Sextants:
		return "sextant"
	}
	return "blocks"
}

// cellPixels is a cell's pixels across and down.
func (g Glyphs) cellPixels() (int, int) {
	switch g {
	case Quadrants:
		return 2, 2
	case Sextants:
		return 2, 3
	}
	return 1, 2
}

// quadrantRune is the glyph of each 2×2 pattern, bit 0 top-left, 1
// top-right, 2 bottom-left, 3 bottom-right; a set bit is the foreground.
var quadrantRune = [16]rune{' ', '▘', '▝', '▀', '▖', '▌', '▞', '▛', '▗', '▚', '▐', '▜', '▄', '▙', '▟', '█'}

// sextantRune is the glyph of a 2×3 pattern, bits row by row from the top
// left. Unicode numbers the sextants in pattern order, leaving out the four
// that exist already: empty, full, and the left and right halves.
func sextantRune(p uint8) rune {
	switch p {
	case 0:
		return ' '
	case 63:
		return '█'
	case 21:
		return '▌'
	case 42:
		return '▐'
	}
	r := 0x1FB00 + rune(p) - 1
	if p > 21 {
		r--
	}
	if p > 42 {
		r--
	}
	return r
}

// renderSubCells is RenderGrid for Quadrants and Sextants: the picture is
// sampled at the glyphs' resolution and each cell's pixels are split into
// the two colours that fit them best.
func (r *Renderer) renderSubCells(g *Grid, f device.Frame, rect Rect, mode ColorMode, glyphs Glyphs) {
	sx, sy := glyphs.cellPixels()
	r.preparePixels(f.Width, f.Height, rect, sx*rect.Cols, sy*rect.Rows)
	pw := sx * rect.Cols
	for i := range r.sub[:sy] {
		r.sub[i] = resize(r.sub[i], pw)
	}
	var px [6]uint32
	for row := range rect.Rows {
		for i := range sy {
			r.pixelRow(f, sy*row+i, r.sub[i], TrueColor)
		}
		cells := g.Row(rect.Row + row)[rect.Col : rect.Col+rect.Cols]
		for x := range cells {
			n := 0
			for i := range sy {
				px[n], px[n+1] = r.sub[i][2*x], r.sub[i][2*x+1]
				n += 2
			}
			fg, bg, mask := split2(px[:n])
			c := Cell{Fg: fg, Bg: bg}
			switch {
			case mask == 1<<n-1:
				c = Cell{Fg: none, Bg: fg, R: ' '}
			case glyphs == Quadrants:
				c.R = quadrantRune[mask]
			default:
				c.R = sextantRune(mask)
			}
			if mode == ANSI256 {
				c.Fg, c.Bg = palette(c.Fg), palette(c.Bg)
			}
			cells[x] = c
		}
	}
}

// palette maps an 0xRRGGBB key to the xterm palette; none stays none.
func palette(k uint32) uint32 {
	if k == none {
		return none
	}
	const s = 8 - lutBits
	return uint32(ansiLUT()[(k>>16>>s)<<(2*lutBits)|(k>>8&255>>s)<<lutBits|(k&255)>>s])
}

// split2 divides a cell's pixels (0xRRGGBB) into two colours: it sorts them
// by brightness and takes the cut that leaves the least squared error, the
// best split into two clusters along that axis. The pixels with the first
// pixel's colour are the set bits of mask and fg; a cell all of one colour
// has every bit set.
func split2(px []uint32) (fg, bg uint32, mask uint8) {
	n := len(px)
	var ord [6]uint8
	var lum [6]int32
	for i, p := range px {
		lum[i] = int32(p>>16)*2 + int32(p>>8&255)*5 + int32(p&255)
		j := i
		for ; j > 0 && lum[ord[j-1]] > lum[i]; j-- {
			ord[j] = ord[j-1]
		}
		ord[j] = uint8(i)
	}
	if lum[ord[0]] == lum[ord[n-1]] && px[ord[0]] == px[ord[n-1]] {
		return px[0], px[0], 1<<n - 1
	}
	var tr, tg, tb int64
	for _, p := range px {
		tr, tg, tb = tr+int64(p>>16), tg+int64(p>>8&255), tb+int64(p&255)
	}
	// Least squared error is most between-cluster scatter:
	// |S_a|²/n_a + |S_b|²/n_b, compared without dividing.
	best, bestDen, cut := int64(-1), int64(1), 1
	var ar, ag, ab int64
	for k := 1; k < n; k++ {
		p := px[ord[k-1]]
		ar, ag, ab = ar+int64(p>>16), ag+int64(p>>8&255), ab+int64(p&255)
		br, bgr, bb := tr-ar, tg-ag, tb-ab
		na, nb := int64(k), int64(n-k)
		score := (ar*ar+ag*ag+ab*ab)*nb + (br*br+bgr*bgr+bb*bb)*na // over na·nb
		if best < 0 || score*bestDen > best*na*nb {
			best, bestDen, cut = score, na*nb, k
		}
	}
	return splitAt(px, ord[:n], cut)
}

// splitAt returns the means of the pixels sorted below and above cut, and
// the mask of the cluster holding pixel 0.
func splitAt(px []uint32, ord []uint8, cut int) (fg, bg uint32, mask uint8) {
	var lo, hi uint8
	for i, o := range ord {
		if i < cut {
			lo |= 1 << o
		} else {
			hi |= 1 << o
		}
	}
	a, b := mean(px, lo), mean(px, hi)
	if lo&1 != 0 {
		return a, b, lo
	}
	return b, a, hi
}

func mean(px []uint32, set uint8) uint32 {
	var r, g, b, n uint32
	for i, p := range px {
		if set&(1<<i) != 0 {
			r, g, b, n = r+p>>16, g+p>>8&255, b+p&255, n+1
		}
	}
	return (r+n/2)/n<<16 | (g+n/2)/n<<8 | (b+n/2)/n
}
