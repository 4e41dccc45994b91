package videopane

// Rect is where a picture sits inside a pane, in cells. The picture is
// Cols×(2·Rows) pixels: each cell holds two vertically stacked pixels.
type Rect struct {
	Col, Row   int // offset of the picture's top-left cell in the pane
	Cols, Rows int // size of the picture in cells
}

// Empty reports whether r holds no cells.
func (r Rect) Empty() bool { return r.Cols <= 0 || r.Rows <= 0 }

// Fit places a frameW×frameH picture in a cols×rows pane: as large as fits
// with its aspect ratio kept (a half-block pixel is about square), centred,
// the rest left as padding. The picture's height in pixels is always even so
// that it starts and ends on a cell boundary; centring is to the nearest
// cell. Fit returns an empty Rect when either size is not positive.
func Fit(frameW, frameH, cols, rows int) Rect {
	if frameW <= 0 || frameH <= 0 || cols <= 0 || rows <= 0 {
		return Rect{}
	}
	// Sizes are bounded by MaxCols, MaxRows and maxFrameSide before they get
	// here, so these products fit comfortably in an int.
	var c, r int
	if cols*frameH <= 2*rows*frameW {
		// Width-limited: full width, rows = cols·h/w/2, rounded.
		c = cols
		r = (cols*frameH + frameW) / (2 * frameW)
	} else {
		// Height-limited: full height, cols = 2·rows·w/h, rounded.
		r = rows
		c = (2*rows*frameW + frameH/2) / frameH
	}
	c = max(1, min(cols, c))
	r = max(1, min(rows, r))
	return Rect{Col: (cols - c) / 2, Row: (rows - r) / 2, Cols: c, Rows: r}
}

// span is the range of source samples [lo, hi) that one output pixel
// averages, and rcp ≈ 2^24/(hi-lo), rounded up so that a flat area averages
// back to exactly its own value.
type span struct {
	lo, hi int32
	rcp    uint32
}

// buildSpans maps dst output pixels onto src source samples along one axis,
// for luma (into y) and for the half-resolution chroma (into c). Downscaling
// averages every source sample the output pixel covers (a box filter);
// upscaling takes the nearest sample.
func buildSpans(y, c []span, src, dst int) {
	csrc := (src + 1) / 2
	for i := range dst {
		var lo, hi int
		if src >= dst {
			lo, hi = i*src/dst, (i+1)*src/dst
		} else {
			lo = (2*i + 1) * src / (2 * dst)
			hi = lo + 1
		}
		y[i] = span{int32(lo), int32(hi), rcp(hi - lo)}
		clo, chi := lo/2, min(csrc, (hi+1)/2)
		c[i] = span{int32(clo), int32(chi), rcp(chi - clo)}
	}
}

func rcp(n int) uint32 { return uint32((1<<24 + n - 1) / n) }
