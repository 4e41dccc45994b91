package videopane

import "github.com/dialtone/dialtone/device"

// Pane is the video component for the TUI's pages: it holds the newest
// frame, its size and colour mode, and draws the frame or a placeholder.
// View is cached until something changes, because Bubble Tea asks for a view
// after every message, not only after new frames.
type Pane struct {
	r      *Renderer
	frame  device.Frame
	has    bool
	cols   int
	rows   int
	mode   ColorMode
	status string
	view   string
	dirty  bool
	grid   Grid
	gdirty bool
	gen    uint64
	fgen   uint64 // counts frames set
}

// NewPane returns an empty Pane that renders with cfg.
func NewPane(cfg Config) *Pane {
	return &Pane{r: NewRenderer(cfg), dirty: true, gdirty: true}
}

// SetSize sets the pane's size in cells.
func (p *Pane) SetSize(cols, rows int) {
	if cols != p.cols || rows != p.rows {
		p.cols, p.rows, p.dirty, p.gdirty = cols, rows, true, true
	}
}

// SetGlyphs sets how Grid divides a cell (View always draws half-blocks).
func (p *Pane) SetGlyphs(g Glyphs) {
	if g != p.r.cfg.Glyphs {
		cfg := p.r.cfg
		cfg.Glyphs = g
		p.r, p.dirty, p.gdirty = NewRenderer(cfg), true, true
	}
}

// Size returns the pane's size in cells.
func (p *Pane) Size() (cols, rows int) { return p.cols, p.rows }

// SetColorMode sets how the pane colours its cells.
func (p *Pane) SetColorMode(m ColorMode) {
	if m != p.mode {
		p.mode, p.dirty, p.gdirty = m, true, true
	}
}

// SetStatus shows text instead of the picture ("camera off", "connecting");
// an empty text shows the picture again.
func (p *Pane) SetStatus(text string) {
	if text != p.status {
		p.status, p.dirty, p.gdirty = text, true, true
	}
}

// SetFrame makes f the picture to show. It copies the planes, as
// device.VideoSink requires, into a buffer it reuses while the frame size
// stays the same. A malformed frame clears the picture.
func (p *Pane) SetFrame(f device.Frame) {
	p.dirty, p.gdirty = true, true
	if !validFrame(f) {
		p.has = false
		return
	}
	if p.frame.Width != f.Width || p.frame.Height != f.Height {
		p.frame = newFrame(f.Width, f.Height)
	}
	copy(p.frame.Y, f.Y)
	copy(p.frame.U, f.U)
	copy(p.frame.V, f.V)
	p.frame.Time = f.Time
	p.has = true
	p.fgen++
}

// newFrame is device.NewFrame with chroma rounded up for odd sizes.
func newFrame(w, h int) device.Frame {
	ys, cs := w*h, ((w+1)/2)*((h+1)/2)
	buf := make([]byte, ys+2*cs)
	return device.Frame{Width: w, Height: h, Y: buf[:ys], U: buf[ys : ys+cs], V: buf[ys+cs:]}
}

// Clear forgets the picture; the pane says "no video" until the next frame.
func (p *Pane) Clear() {
	p.has, p.dirty, p.gdirty = false, true, true
}

// View returns the pane's cols×rows text.
func (p *Pane) View() string {
	if !p.dirty {
		return p.view
	}
	p.dirty = false
	switch {
	case p.cols <= 0 || p.rows <= 0:
		p.view = ""
	case p.cols < MinCols || p.rows < MinRows:
		p.view = Placeholder(p.cols, p.rows, TooSmall)
	case p.status != "":
		p.view = Placeholder(p.cols, p.rows, p.status)
	case !p.has:
		p.view = Placeholder(p.cols, p.rows, "no video")
	default:
		p.view = p.r.Render(p.frame, p.cols, p.rows, p.mode)
	}
	return p.view
}

// Picture returns the frame the pane shows and where it sits in the pane,
// for a terminal that scales pictures itself, and a generation that
// changes with the frame; ok is false when the pane shows no picture (a
// placeholder). The frame is the pane's own: valid until the next change.
func (p *Pane) Picture() (f device.Frame, at Rect, gen uint64, ok bool) {
	if p.cols < MinCols || p.rows < MinRows || p.status != "" || !p.has {
		return device.Frame{}, Rect{}, 0, false
	}
	return p.frame, Fit(p.frame.Width, p.frame.Height, min(p.cols, MaxCols), min(p.rows, MaxRows)), p.fgen, true
}

// Grid returns the pane's cols×rows cells, what View shows, for the video
// path that paints outside the TUI's text, and a generation that changes
// whenever the cells may have. The grid is the pane's own: valid until the
// next change.
func (p *Pane) Grid() (*Grid, uint64) {
	if !p.gdirty {
		return &p.grid, p.gen
	}
	p.gdirty = false
	p.gen++
	switch {
	case p.cols <= 0 || p.rows <= 0:
		p.grid.Resize(0, 0)
	case p.cols < MinCols || p.rows < MinRows:
		PlaceholderGrid(&p.grid, p.cols, p.rows, TooSmall)
	case p.status != "":
		PlaceholderGrid(&p.grid, p.cols, p.rows, p.status)
	case !p.has:
		PlaceholderGrid(&p.grid, p.cols, p.rows, "no video")
	default:
		p.r.RenderGrid(&p.grid, p.frame, p.cols, p.rows, p.mode)
	}
	return &p.grid, p.gen
}
