package videopane

import "slices"

// quantizer chooses a frame's palette by median cut over a histogram of
// its colours at 5 bits a channel, and maps pixels onto the palette with
// ordered dithering through a table of 15-bit colours filled as they are
// met: a frame's pixels meet a few thousand of them, so the nearest-colour
// search runs that often and not once a pixel.
type quantizer struct {
	hist  [1 << 15]uint32
	bins  []qbin
	boxes []qbox
	lut   [1 << 15]uint16 // palette index + 1; 0 is not looked up yet
	pal   [][3]int32      // the palette, for the search
}

// qbin is one 15-bit colour of the histogram and how many pixels have it.
type qbin struct {
	c uint16
	n uint32
}

// qbox is a run of bins, bins[lo:hi], that becomes one palette colour.
type qbox struct {
	lo, hi int
	n      uint64
	axis   int // the channel of the widest range: 0 red, 1 green, 2 blue
	score  uint64
}

// ditherAmp is the ordered dither's amplitude, in 8-bit steps: about the
// distance between neighbouring palette colours in a well-filled region.
const ditherAmp = 8

func key15(c uint32) uint16 {
	return uint16(c>>19&31<<10 | c>>11&31<<5 | c>>3&31)
}

func chan15(c uint16, axis int) int { return int(c>>(10-5*axis)) & 31 }

// palette appends to dst at most n colours for the pixels of rgb.
func (q *quantizer) palette(dst, rgb []uint32, n int) []uint32 {
	clear(q.hist[:])
	for _, c := range rgb {
		q.hist[key15(c)]++
	}
	q.bins = q.bins[:0]
	for k, cnt := range q.hist {
		if cnt > 0 {
			q.bins = append(q.bins, qbin{uint16(k), cnt})
		}
	}
	q.boxes = append(q.boxes[:0], q.measure(0, len(q.bins)))
	for len(q.boxes) < n {
		best := -1
		for i, b := range q.boxes {
			if b.hi-b.lo > 1 && (best < 0 || b.score > q.boxes[best].score) {
				best = i
			}
		}
		if best < 0 {
			break // every box is one colour
		}
		b := q.boxes[best]
		bins := q.bins[b.lo:b.hi]
		slices.SortFunc(bins, func(x, y qbin) int { return chan15(x.c, b.axis) - chan15(y.c, b.axis) })
		// Split at the median pixel, leaving each half at least one bin.
		var acc uint64
		m := b.lo
		for m < b.hi-1 {
			acc += uint64(q.bins[m].n)
			m++
			if 2*acc >= b.n {
				break
			}
		}
		q.boxes[best] = q.measure(b.lo, m)
		q.boxes = append(q.boxes, q.measure(m, b.hi))
	}
	q.pal = q.pal[:0]
	for _, b := range q.boxes {
		var sum [3]uint64
		for _, bn := range q.bins[b.lo:b.hi] {
			for a := range 3 {
				sum[a] += uint64(chan15(bn.c, a)<<3|4) * uint64(bn.n)
			}
		}
		var c [3]int32
		for a := range 3 {
			c[a] = int32((sum[a] + b.n/2) / max(b.n, 1))
		}
		q.pal = append(q.pal, c)
		dst = append(dst, uint32(c[0])<<16|uint32(c[1])<<8|uint32(c[2]))
	}
	clear(q.lut[:])
	return dst
}

// measure returns the box of bins[lo:hi]: its pixels, its widest channel,
// and its score, the widest range times the pixels, so that the box split
// next is large both in colour and on the screen.
func (q *quantizer) measure(lo, hi int) qbox {
	b := qbox{lo: lo, hi: hi}
	mins, maxs := [3]int{31, 31, 31}, [3]int{}
	for _, bn := range q.bins[lo:hi] {
		b.n += uint64(bn.n)
		for a := range 3 {
			v := chan15(bn.c, a)
			mins[a], maxs[a] = min(mins[a], v), max(maxs[a], v)
		}
	}
	wide := -1
	for a := range 3 {
		if r := maxs[a] - mins[a]; r > wide {
			wide, b.axis = r, a
		}
	}
	b.score = uint64(max(wide, 0)) * b.n
	return b
}

// ditherOff is the ordered dither's offset at each of the 4×4 positions.
var ditherOff = func() (t [16]int32) {
	for i, v := range bayer4 {
		t[i] = (2*v - 15) * ditherAmp / 32
	}
	return t
}()

// clampTab clamps a channel plus a dither offset, indexed from -64.
var clampTab = func() (t [384]uint8) {
	for i := range t {
		t[i] = uint8(max(0, min(255, i-64)))
	}
	return t
}()

// dither maps the pixels of rgb, rows of pw, to the palette the last call
// to palette chose.
func (q *quantizer) dither(idx []uint8, rgb []uint32, pw int) {
	for y := 0; y*pw < len(rgb); y++ {
		row, out := rgb[y*pw:(y+1)*pw], idx[y*pw:(y+1)*pw]
		offs := ditherOff[(y&3)<<2 : (y&3)<<2+4]
		for x, c := range row {
			o := offs[x&3] + 64
			r := uint32(clampTab[int32(c>>16)+o])
			g := uint32(clampTab[int32(c>>8&255)+o])
			b := uint32(clampTab[int32(c&255)+o])
			k := key15(r<<16 | g<<8 | b)
			v := q.lut[k]
			if v == 0 {
				v = q.nearest(k) + 1
				q.lut[k] = v
			}
			out[x] = uint8(v - 1)
		}
	}
}

// nearest is the palette colour closest to the 15-bit colour k.
func (q *quantizer) nearest(k uint16) uint16 {
	r, g, b := int32(chan15(k, 0)<<3|4), int32(chan15(k, 1)<<3|4), int32(chan15(k, 2)<<3|4)
	best, bestD := 0, int32(1<<30)
	for i, p := range q.pal {
		dr, dg, db := r-p[0], g-p[1], b-p[2]
		// Weighted for the eye: green counts most, blue least.
		if d := 3*dr*dr + 4*dg*dg + 2*db*db; d < bestD {
			best, bestD = i, d
		}
	}
	return uint16(best)
}
