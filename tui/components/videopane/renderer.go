// Package videopane draws video frames in a terminal: each cell is a
// half-block (▀) whose foreground is the upper pixel and background the
// lower, so a cols×rows pane shows cols×2·rows roughly square pixels.
//
// The Renderer is the per-frame hot path: plain Go from an I420 frame to
// bytes, with its buffers reused from frame to frame and no allocation in
// steady state. Pane is a thin component around it for the TUI's pages.
// RenderGrid draws the same picture as cells (half-blocks, quadrants or
// sextants) for the Painter, which writes only the cells that changed; the
// Output paints them, or pictures (kitty graphics, sixel, iTerm2 inline
// images), on the terminal beside the TUI's own renderer, dropping frames
// a slow terminal cannot take. The package does not decode or pace frames.
package videopane

import (
	"github.com/dialtone/dialtone/device"
)

// Bounds on what the renderer will draw. Larger panes are clipped to them so
// that a bogus size cannot make it allocate without limit; frames with a
// side longer than maxFrameSide are not drawn.
const (
	MaxCols      = 1024
	MaxRows      = 512
	maxFrameSide = 4096
)

// DefaultColorBits is the TrueColor precision used when Config.ColorBits is
// zero; see the package benchmarks for the bytes it saves.
const DefaultColorBits = 8

// DefaultTolerance is the TrueColor run tolerance used when
// Config.Tolerance is zero.
const DefaultTolerance = 6

// Config tunes a Renderer. The zero value is ready to use.
type Config struct {
	// ColorBits is how many significant bits of each RGB channel TrueColor
	// mode keeps, 1–8 (8 is exact). Fewer bits make runs of equal colour
	// longer, so fewer escape sequences, at the cost of banding. 0 means
	// DefaultColorBits; values above 8 mean 8.
	ColorBits int
	// Glyphs is how RenderGrid divides a cell; Render always draws
	// HalfBlocks.
	Glyphs Glyphs
	// Tolerance lets a run of TrueColor cells keep its colour while each
	// channel of the picture stays within Tolerance of it, 0–64; camera
	// noise then stops breaking runs. 0 means DefaultTolerance; negative
	// means exact runs.
	Tolerance int
}

func (c *Config) validate() {
	if c.ColorBits <= 0 {
		c.ColorBits = DefaultColorBits
	}
	c.ColorBits = min(c.ColorBits, 8)
	switch {
	case c.Tolerance == 0:
		c.Tolerance = DefaultTolerance
	case c.Tolerance < 0:
		c.Tolerance = 0
	}
	c.Tolerance = min(c.Tolerance, 64)
}

// Renderer turns frames into terminal text. It keeps its buffers between
// calls, so it is not safe for concurrent use; use one per pane.
type Renderer struct {
	cfg    Config
	quant  *[clampLen]uint8 // TrueColor: clamp and quantise
	exact  *[clampLen]uint8 // ANSI256: clamp only; the palette quantises
	buf    []byte
	fw, fh int // frame size the spans below were built for
	pw, ph int // picture size in pixels
	xs, xc []span
	ys, yc []span
	accY   []uint32
	accU   []uint32
	accV   []uint32
	col    []uint32    // column sums of one span of frame rows
	up, lo []uint32    // colour keys of the upper and lower pixel rows
	sub    [3][]uint32 // a cell row's pixel rows, for the sub-cell glyphs
}

// NewRenderer returns a Renderer configured by cfg.
func NewRenderer(cfg Config) *Renderer {
	cfg.validate()
	return &Renderer{cfg: cfg, quant: buildClamp(cfg.ColorBits), exact: buildClamp(8)}
}

// Render draws f in a cols×rows pane and returns rows lines joined by "\n",
// each cols cells wide, with every line ending in the default colours, so
// the result can be embedded in a larger view. A frame that is empty or
// malformed draws a blank pane.
func (r *Renderer) Render(f device.Frame, cols, rows int, mode ColorMode) string {
	r.buf = r.AppendRender(r.buf[:0], f, cols, rows, mode)
	return string(r.buf)
}

// AppendRender is Render appending to dst; it allocates nothing once dst and
// the renderer's buffers have grown to the pane size. The bytes written are
// valid until dst is reused.
func (r *Renderer) AppendRender(dst []byte, f device.Frame, cols, rows int, mode ColorMode) []byte {
	if cols <= 0 || rows <= 0 {
		return dst
	}
	cols, rows = min(cols, MaxCols), min(rows, MaxRows)
	var rect Rect
	if validFrame(f) {
		rect = Fit(f.Width, f.Height, cols, rows)
	}
	r.prepare(f.Width, f.Height, rect)

	dst = grow(dst, rows*(cols*maxCellBytes+lineBytes))
	for row := range rows {
		if row > 0 {
			dst = append(dst, '\n')
		}
		if rect.Empty() || row < rect.Row || row >= rect.Row+rect.Rows {
			dst = append(dst, spaces[:cols]...)
			continue
		}
		py := 2 * (row - rect.Row)
		r.pixelRow(f, py, r.up, mode)
		r.pixelRow(f, py+1, r.lo, mode)
		dst = append(dst, spaces[:rect.Col]...)
		if mode == NoColor {
			dst = appendASCII(dst, r.up, r.lo)
		} else {
			tol := r.cfg.Tolerance
			if mode != TrueColor {
				tol = 0 // palette indices are not RGB
			}
			dst = appendCells(dst, r.up, r.lo, mode, tol)
		}
		dst = append(dst, spaces[:cols-rect.Col-rect.Cols]...)
	}
	return dst
}

// maxCellBytes is the longest cell: both colours set in TrueColor plus a
// 3-byte glyph; lineBytes covers the reset and newline.
const (
	maxCellBytes = len("\x1b[38;2;255;255;255;48;2;255;255;255m▀")
	lineBytes    = len("\x1b[0m\n")
)

var spaces = func() string {
	b := make([]byte, MaxCols)
	for i := range b {
		b[i] = ' '
	}
	return string(b)
}()

func grow(b []byte, n int) []byte {
	if cap(b)-len(b) >= n {
		return b
	}
	nb := make([]byte, len(b), len(b)+n)
	copy(nb, b)
	return nb
}

// validFrame reports whether f's planes hold the picture its size claims.
// Chroma planes are ceil(w/2)×ceil(h/2), which is w/2×h/2 for the even sizes
// device.Frame promises.
func validFrame(f device.Frame) bool {
	w, h := f.Width, f.Height
	if w <= 0 || h <= 0 || w > maxFrameSide || h > maxFrameSide {
		return false
	}
	cw, ch := (w+1)/2, (h+1)/2
	return len(f.Y) >= w*h && len(f.U) >= cw*ch && len(f.V) >= cw*ch
}

// prepare builds the sampling spans when the frame or picture size changed.
func (r *Renderer) prepare(fw, fh int, rect Rect) {
	r.preparePixels(fw, fh, rect, rect.Cols, 2*rect.Rows)
}

// preparePixels is prepare for a picture of pw×ph pixels in rect.
func (r *Renderer) preparePixels(fw, fh int, rect Rect, pw, ph int) {
	if rect.Empty() || (fw == r.fw && fh == r.fh && pw == r.pw && ph == r.ph) {
		return
	}
	r.fw, r.fh, r.pw, r.ph = fw, fh, pw, ph
	r.xs, r.xc = resize(r.xs, pw), resize(r.xc, pw)
	r.ys, r.yc = resize(r.ys, ph), resize(r.yc, ph)
	buildSpans(r.xs, r.xc, fw, pw)
	buildSpans(r.ys, r.yc, fh, ph)
	r.accY, r.accU, r.accV = resize(r.accY, pw), resize(r.accU, pw), resize(r.accV, pw)
	r.up, r.lo = resize(r.up, pw), resize(r.lo, pw)
	r.col = resize(r.col, fw)
}

func resize[T any](s []T, n int) []T {
	if cap(s) >= n {
		return s[:n]
	}
	return make([]T, n)
}
