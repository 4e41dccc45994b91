package videopane

// Escape sequences of a painted frame. The frame is one synchronized update
// (DEC mode 2026: the terminal shows it whole, never half drawn; terminals
// without the mode ignore it), inside a cursor save and restore (DECSC and
// DECRC keep the position and pen of the TUI's own renderer, which draws
// the rest of the screen and assumes both are where it left them).
const (
	syncBegin = "\x1b[?2026h\x1b7"
	syncEnd   = "\x1b[0m\x1b8\x1b[?2026l"
)

// Painter draws grids at one place on the terminal and keeps what it drew,
// so that each frame writes only the cells that changed: damage tracking
// against the previous frame, with a tolerance so that camera noise does
// not repaint the whole picture. It is the terminal-side half of the video
// path; the Renderer is the picture-side half. Not safe for concurrent use.
type Painter struct {
	// Tolerance is how far, per RGB channel, a TrueColor cell may drift
	// from what is on the screen before it is drawn again, and how far a
	// run of cells may stray from the colour in force; 0 means exact.
	Tolerance int

	prev   Grid // what the terminal shows, as the painter drew it
	x, y   int
	mode   ColorMode
	valid  bool
	fg, bg uint32 // the terminal's pen while painting
	cx, cy int    // the cursor while painting; cy -1 is unknown
}

// Invalidate forgets what is on the screen: the next Paint draws every
// cell, as after the TUI's own renderer drew over the video region.
func (p *Painter) Invalidate() { p.valid = false }

// Paint appends to dst what turns the screen's cells at (x, y) (0-based
// column and row) from what the painter last drew into g, as one
// synchronized update; it appends nothing when nothing changed. Moving or
// resizing the region, or changing the mode, repaints it all.
func (p *Painter) Paint(dst []byte, g *Grid, x, y int, mode ColorMode) []byte {
	if !p.valid || g.Cols != p.prev.Cols || g.Rows != p.prev.Rows || x != p.x || y != p.y || mode != p.mode {
		p.prev.Resize(g.Cols, g.Rows)
		p.x, p.y, p.mode, p.valid = x, y, mode, false
	}
	tol := p.Tolerance
	if mode != TrueColor {
		tol = 0 // palette indices and glyphs are not RGB
	}
	start := len(dst)
	p.fg, p.bg, p.cy = unknown, unknown, -1
	for row := range g.Rows {
		prev, cur := p.prev.Row(row), g.Row(row)
		for col, c := range cur {
			if p.valid && sameCell(prev[col], c, tol) {
				continue
			}
			if len(dst) == start {
				dst = append(dst, syncBegin...)
			}
			dst = p.moveTo(dst, col, row)
			dst, prev[col] = p.cell(dst, c, mode, tol)
			p.cx++
		}
	}
	p.valid = true
	if len(dst) > start {
		dst = append(dst, syncEnd...)
	}
	return dst
}

// moveTo puts the cursor on the region's cell (col, row): nothing when it
// is there, a cursor-forward within a row, a cursor position otherwise.
func (p *Painter) moveTo(b []byte, col, row int) []byte {
	switch {
	case p.cy == row && p.cx == col:
		return b
	case p.cy == row && col > p.cx:
		b = append(b, "\x1b["...)
		if n := col - p.cx; n > 1 {
			b = appendInt(b, n)
		}
		b = append(b, 'C')
	default:
		b = append(b, "\x1b["...)
		b = appendInt(b, p.y+row+1)
		b = append(b, ';')
		b = appendInt(b, p.x+col+1)
		b = append(b, 'H')
	}
	p.cx, p.cy = col, row
	return b
}

// sameCell reports whether the screen showing a needs no redraw to show b.
func sameCell(a, b Cell, tol int) bool {
	if a.R != b.R {
		return false
	}
	if a.R == ' ' {
		return like(a.Bg, b.Bg, tol)
	}
	return like(a.Fg, b.Fg, tol) && like(a.Bg, b.Bg, tol)
}

// cell writes c at the cursor and returns what the screen then shows. A
// half-block picture cell may be drawn as a space, a full block or ▄ with
// the colours swapped, whichever needs fewer colour changes, and a colour
// within the tolerance of the pen's is drawn in the pen's; what it returns
// is the picture as drawn, in ▀ form, so damage is measured against the
// screen and not the frame.
func (p *Painter) cell(b []byte, c Cell, mode ColorMode, tol int) ([]byte, Cell) {
	if c.R != '▀' {
		fg, bg := c.Fg, c.Bg
		if c.R == ' ' {
			fg = p.fg // a space shows only its background
		}
		b = p.pen(b, fg, bg, mode, tol)
		b = appendRune(b, c.R)
		return b, Cell{Fg: c.Fg, Bg: p.bg, R: c.R}
	}
	up, lo := c.Fg, c.Bg
	if like(up, lo, tol) {
		switch {
		case like(up, p.bg, tol) && like(lo, p.bg, tol):
			b = append(b, ' ')
			return b, Cell{Fg: p.bg, Bg: p.bg, R: '▀'}
		case like(up, p.fg, tol) && like(lo, p.fg, tol):
			b = append(b, fullBlock...)
			return b, Cell{Fg: p.fg, Bg: p.fg, R: '▀'}
		}
		b = p.pen(b, p.fg, up, mode, tol)
		b = append(b, ' ')
		return b, Cell{Fg: p.bg, Bg: p.bg, R: '▀'}
	}
	if changes(p.fg, p.bg, lo, up, tol) < changes(p.fg, p.bg, up, lo, tol) {
		b = p.pen(b, lo, up, mode, tol)
		b = append(b, lowerHalf...)
		return b, Cell{Fg: p.bg, Bg: p.fg, R: '▀'}
	}
	b = p.pen(b, up, lo, mode, tol)
	b = append(b, upperHalf...)
	return b, Cell{Fg: p.fg, Bg: p.bg, R: '▀'}
}

// pen sets the terminal's colours to fg and bg where they are not already
// within tol, in one SGR sequence; none is the default colour.
func (p *Painter) pen(b []byte, fg, bg uint32, mode ColorMode, tol int) []byte {
	setFg := !like(fg, p.fg, tol) && !(fg == none && p.fg == none)
	setBg := !like(bg, p.bg, tol) && !(bg == none && p.bg == none)
	if !setFg && !setBg {
		return b
	}
	b = append(b, "\x1b["...)
	if setFg {
		if fg == none {
			b = append(b, "39"...)
		} else {
			b = appendColor(b, "38;2;", "38;5;", fg, mode)
		}
		p.fg = fg
		if setBg {
			b = append(b, ';')
		}
	}
	if setBg {
		if bg == none {
			b = append(b, "49"...)
		} else {
			b = appendColor(b, "48;2;", "48;5;", bg, mode)
		}
		p.bg = bg
	}
	return append(b, 'm')
}

func appendInt(b []byte, n int) []byte {
	if n >= 10 {
		b = appendInt(b, n/10)
	}
	return append(b, byte('0'+n%10))
}

func appendRune(b []byte, r rune) []byte {
	if r < 0x80 {
		return append(b, byte(r))
	}
	var buf [4]byte
	n := encodeRune(buf[:], r)
	return append(b, buf[:n]...)
}
