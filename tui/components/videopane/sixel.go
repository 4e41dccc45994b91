package videopane

import (
	"github.com/dialtone/dialtone/device"
)

// Sixel encodes frames as DEC sixel graphics (xterm -ti vt340, foot,
// WezTerm, mlterm, Konsole): the terminal does not scale a sixel image, so
// each frame is scaled here to the pixels of its rectangle of cells, given
// a palette of up to 256 colours, ordered-dithered onto it and run-length
// coded band by band, one colour at a time. Not safe for concurrent use.
type Sixel struct {
	// CellW and CellH are a cell's size in pixels; 0 means 10×20.
	CellW, CellH int
	// Palette is how the colours are chosen; the zero value is
	// SixelAdaptive.
	Palette SixelPalette

	r    *Renderer
	rgb  []uint32 // the scaled picture, 0xRRGGBB
	src  []uint32 // a row of it at most the frame's size
	xmap []int32  // each image column's column in src
	idx  []uint8  // its palette indices
	pal  []uint32 // this frame's palette
	q    quantizer
	bits []byte // a band's sixels, per colour: 256 rows of pw
	lo   [256]int
	hi   [256]int
	used []uint8
}

// SixelPalette is how a sixel frame's colours are chosen.
type SixelPalette int

const (
	// SixelAdaptive gives each frame its own 255 colours by median cut
	// over its histogram, and dithers onto them.
	SixelAdaptive SixelPalette = iota
	// SixelFixed uses one 6×7×6 colour cube for every frame and dithers
	// onto it: no histogram or search, a coarser picture.
	SixelFixed
)

// Sixel's defaults for a terminal that did not say its cell size.
const (
	DefaultCellW = 10
	DefaultCellH = 20
)

// maxSixelSide bounds the pixels of an image side, so that a bogus cell
// size cannot make the encoder allocate without limit.
const maxSixelSide = 4096

// cell returns the cell size in force.
func (s *Sixel) cell() (int, int) {
	w, h := s.CellW, s.CellH
	if w <= 0 || h <= 0 || w > 64 || h > 128 {
		return DefaultCellW, DefaultCellH
	}
	return w, h
}

// Append appends the sixel image of f filling the cells of at (0-based, on
// the screen), the cursor moved to at first. The picture is stretched to
// the rectangle: Fit already chose it with the picture's aspect.
func (s *Sixel) Append(dst []byte, f device.Frame, at Rect) []byte {
	if !validFrame(f) || at.Empty() {
		return dst
	}
	cw, ch := s.cell()
	pw, ph := min(at.Cols*cw, maxSixelSide), min(at.Rows*ch, maxSixelSide)
	s.scale(f, pw, ph)
	s.idx = resize(s.idx, pw*ph)
	if s.Palette == SixelFixed {
		s.pal = fixedPalette()
		ditherFixed(s.idx, s.rgb, pw)
	} else {
		s.pal = s.q.palette(s.pal[:0], s.rgb, 255)
		s.q.dither(s.idx, s.rgb, pw)
	}
	dst = appendCUP(dst, at.Row, at.Col)
	// P2=1: pixels no sixel sets stay as they are; raster attributes give
	// square pixels and the image's size, so the terminal can allocate it.
	dst = append(dst, "\x1bP0;1;0q\"1;1;"...)
	dst = appendInt(dst, pw)
	dst = append(dst, ';')
	dst = appendInt(dst, ph)
	for i, c := range s.pal {
		dst = append(dst, '#')
		dst = appendInt(dst, i)
		dst = append(dst, ";2;"...)
		dst = appendInt(dst, percent(c>>16))
		dst = append(dst, ';')
		dst = appendInt(dst, percent(c>>8&255))
		dst = append(dst, ';')
		dst = appendInt(dst, percent(c&255))
	}
	dst = s.appendBands(dst, pw, ph)
	return append(dst, "\x1b\\"...)
}

// percent is a sixel colour channel: 0–100.
func percent(v uint32) int { return int(v*100+127) / 255 }

// scale draws f at pw×ph into s.rgb: box-filtered down to at most the
// frame's own size, then, where the image is larger, enlarged by repeating
// pixels, which is what the box filter would do anyway at a fraction of
// its cost.
func (s *Sixel) scale(f device.Frame, pw, ph int) {
	if s.r == nil {
		s.r = NewRenderer(Config{})
	}
	sw, sh := min(pw, f.Width), min(ph, f.Height)
	s.r.preparePixels(f.Width, f.Height, Rect{Cols: 1, Rows: 1}, sw, sh)
	s.rgb = resize(s.rgb, pw*ph)
	if sw == pw && sh == ph {
		for y := range ph {
			s.r.pixelRow(f, y, s.rgb[y*pw:(y+1)*pw], TrueColor)
		}
		return
	}
	s.src = resize(s.src, sw)
	s.xmap = resize(s.xmap, pw)
	for x := range pw {
		s.xmap[x] = int32((2*x + 1) * sw / (2 * pw))
	}
	last := -1
	for y := range ph {
		out := s.rgb[y*pw : (y+1)*pw]
		sy := (2*y + 1) * sh / (2 * ph)
		if sy == last {
			copy(out, s.rgb[(y-1)*pw:y*pw])
			continue
		}
		last = sy
		s.r.pixelRow(f, sy, s.src, TrueColor)
		for x, sx := range s.xmap {
			out[x] = s.src[sx]
		}
	}
}

// appendBands writes the picture's palette indices as sixel bands of six
// rows: for each colour in the band, from its first column to its last,
// the rows it covers, run-length coded; "$" returns to the band's start
// for the next colour, "-" goes to the next band.
func (s *Sixel) appendBands(dst []byte, pw, ph int) []byte {
	s.bits = resize(s.bits, 256*pw)
	var seen [256]bool
	for top := 0; top < ph; top += 6 {
		s.used = s.used[:0]
		for r := range min(6, ph-top) {
			bit := byte(1) << r
			row := s.idx[(top+r)*pw : (top+r+1)*pw]
			for x, c := range row {
				if !seen[c] {
					seen[c] = true
					s.used = append(s.used, c)
					s.lo[c], s.hi[c] = x, x
				} else {
					s.lo[c] = min(s.lo[c], x)
					s.hi[c] = max(s.hi[c], x)
				}
				s.bits[int(c)*pw+x] |= bit
			}
		}
		if top > 0 {
			dst = append(dst, '-')
		}
		for i, c := range s.used {
			seen[c] = false
			if i > 0 {
				dst = append(dst, '$')
			}
			dst = append(dst, '#')
			dst = appendInt(dst, int(c))
			lo, hi := s.lo[c], s.hi[c]
			dst = appendRun(dst, '?', lo)
			line := s.bits[int(c)*pw+lo : int(c)*pw+hi+1]
			for j := 0; j < len(line); {
				v := line[j]
				n := 1
				for j+n < len(line) && line[j+n] == v {
					n++
				}
				dst = appendRun(dst, '?'+v, n)
				j += n
			}
			clear(line)
		}
	}
	return dst
}

// appendRun writes n sixels ch: "!n" and ch from four up, where the
// repeat is shorter.
func appendRun(b []byte, ch byte, n int) []byte {
	if n >= 4 {
		b = append(b, '!')
		b = appendInt(b, n)
		return append(b, ch)
	}
	for range n {
		b = append(b, ch)
	}
	return b
}

// bayer4 is the 4×4 ordered-dither matrix, 0–15.
var bayer4 = [16]int32{0, 8, 2, 10, 12, 4, 14, 6, 3, 11, 1, 9, 15, 7, 13, 5}

// The fixed palette's levels per channel: 6×7×6 = 252 colours, green
// finest, as the eye is.
const (
	fixR, fixG, fixB = 6, 7, 6
)

var fixedPal = func() []uint32 {
	p := make([]uint32, 0, fixR*fixG*fixB)
	for r := range fixR {
		for g := range fixG {
			for b := range fixB {
				p = append(p, uint32(r*255/(fixR-1))<<16|uint32(g*255/(fixG-1))<<8|uint32(b*255/(fixB-1)))
			}
		}
	}
	return p
}()

func fixedPalette() []uint32 { return fixedPal }

// fixTab[n][d][v] is channel value v's level out of n levels at dither
// threshold d: the level below v, or above it where v's remainder passes d.
var fixTab = func() (t [3][16][256]uint8) {
	for k, n := range [3]int{fixR, fixG, fixB} {
		for d := range 16 {
			for v := range 256 {
				t[k][d][v] = uint8(min(n-1, (v*(n-1)*32+(2*int(bayer4[d])+1)*255)/(255*32)))
			}
		}
	}
	return t
}()

// ditherFixed maps rgb onto the fixed palette with ordered dithering.
func ditherFixed(idx []uint8, rgb []uint32, pw int) {
	for y := 0; y*pw < len(rgb); y++ {
		row, out := rgb[y*pw:(y+1)*pw], idx[y*pw:(y+1)*pw]
		for x, c := range row {
			d := (y&3)<<2 | x&3
			r := fixTab[0][d][c>>16]
			g := fixTab[1][d][c>>8&255]
			b := fixTab[2][d][c&255]
			out[x] = (r*fixG+g)*fixB + b
		}
	}
}
