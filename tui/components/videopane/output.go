package videopane

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/dialtone/dialtone/device"
)

// Output is the video's own way to the terminal, beside the TUI's renderer:
// the TUI leaves the video region blank in its view (so its cell diff never
// touches it) and submits the region's cells here; a writer goroutine paints
// the damage of the newest frame in one write, wrapped in a synchronized
// update. The TUI's renderer writes through the same Output (Write), so the
// two never interleave.
//
// When the terminal is slow (an ssh link, a busy terminal), the writer
// blocks; frames submitted meanwhile replace the one waiting rather than
// queue behind it, and Stats reports the rate the terminal really took.
type Output struct {
	cfg OutputConfig

	term sync.Mutex // held across every write to the terminal
	w    io.Writer

	flush   sync.Mutex // the painter's: guards the three below
	painter Painter
	cur     Grid // the frame being painted
	buf     []byte

	kitty  Kitty
	sixel  Sixel
	iterm  ITerm
	imgCur []Image   // the images being painted
	imgOn  []Image   // what the terminal shows: frames not kept, only At and Gen
	kindOn frameKind // what the terminal shows

	mu       sync.Mutex // guards the fields below
	slotKind frameKind
	slotImgs []Image
	slot     Grid // the newest frame not yet taken by the writer
	slotX    int
	slotY    int
	slotMode ColorMode
	pending  bool
	hidden   bool
	full     bool      // repaint whole until the TUI has drawn its layout
	fullAt   time.Time // when the layout changed
	fullMark uint64    // uiWrites then
	uiWrites uint64
	erased   bool // the TUI cleared the screen: repaint whole once
	shown    Rect // the region as last painted, in screen cells
	stats    OutputStats
	times    [rateWindow]time.Time // when the last frames were painted
	nTimes   int
	kick     chan struct{}
}

// OutputConfig configures an Output. The zero value is valid.
type OutputConfig struct {
	// Tolerance is the painter's damage tolerance per RGB channel; 0 means
	// DefaultTolerance, negative means exact.
	Tolerance int
	// Now is the clock; default time.Now.
	Now func() time.Time
	// Pictures is the protocol SubmitImages draws with; default
	// KittyPictures.
	Pictures Pictures
	// CellW and CellH are a cell's size in pixels, for sixel images,
	// which the terminal does not scale; 0 means DefaultCellW×DefaultCellH.
	CellW, CellH int
}

func (c *OutputConfig) validate() {
	switch {
	case c.Tolerance == 0:
		c.Tolerance = DefaultTolerance
	case c.Tolerance < 0:
		c.Tolerance = 0
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Pictures == NoPictures {
		c.Pictures = KittyPictures
	}
}

// OutputStats is what the Output has done.
type OutputStats struct {
	// FPS is the rate of frames the terminal took, over the last frames.
	FPS float64
	// Frames painted, and frames replaced before the terminal took them.
	Frames, Dropped uint64
	// Bytes written for frames in all.
	Bytes uint64
}

// frameKind is what a frame is made of.
type frameKind int

const (
	kindNone   frameKind = iota
	kindCells            // a Grid, damage-painted
	kindImages           // pictures for the kitty graphics protocol
)

// Image is one picture of an image frame: f scaled into the cells of At
// (on the screen). Gen changes whenever f does; an image whose Gen and At
// are what the terminal shows is not sent again.
type Image struct {
	Frame device.Frame
	At    Rect
	Gen   uint64
}

// rateWindow is how many painted frames FPS is measured over.
const rateWindow = 32

// layoutSettle is how long after a layout change the region is painted
// whole even once the TUI has written: its renderer may draw the new
// layout's blanks over the region in any write of that time.
const layoutSettle = 50 * time.Millisecond

// layoutMaxFull bounds the whole repaints after a layout change that the
// TUI never draws (it had nothing to change on screen).
const layoutMaxFull = time.Second

// NewOutput returns an Output writing to w, hidden until the first Submit.
func NewOutput(w io.Writer, cfg OutputConfig) *Output {
	cfg.validate()
	return &Output{cfg: cfg, w: w, hidden: true, kick: make(chan struct{}, 1), painter: Painter{Tolerance: cfg.Tolerance},
		sixel: Sixel{CellW: cfg.CellW, CellH: cfg.CellH}}
}

// altScreenOff is what a renderer writes when it gives the terminal's main
// screen back: the video must stop before it, or it would draw over the
// user's shell.
var altScreenOff = []byte("\x1b[?1049l")

// eraseScreen is what a renderer writes when it clears the screen to draw
// it all again (on a resize, say): the video is gone and must be repainted.
var eraseScreen = []byte("\x1b[2J")

// Write writes p for the TUI's renderer, between frames, never inside one.
// A write leaving the alternate screen hides the video.
func (o *Output) Write(p []byte) (int, error) {
	o.term.Lock()
	defer o.term.Unlock()
	o.mu.Lock()
	o.uiWrites++
	leaving := bytes.Contains(p, altScreenOff)
	if leaving {
		o.hidden, o.pending, o.shown = true, false, Rect{}
	}
	if bytes.Contains(p, eraseScreen) {
		o.erased = true
	}
	o.mu.Unlock()
	if leaving && o.kindOn == kindImages {
		// The pictures are the terminal's to keep until deleted: delete
		// them before the screen they sit on goes.
		var b []byte
		for i, im := range o.imgOn {
			b = o.removePicture(b, uint32(i+1), im.At)
		}
		o.imgOn, o.kindOn = o.imgOn[:0], kindNone
		if _, err := o.w.Write(b); err != nil {
			return 0, err
		}
	}
	return o.w.Write(p)
}

// Submit makes g, at column x and row y of the screen, the next frame to
// paint; a frame still waiting is dropped. It copies g and never blocks.
// layoutChanged says the TUI's view around the region changed (size,
// position, an overlay gone): its renderer may have drawn over the region,
// so the region is repainted whole until that has settled.
func (o *Output) Submit(g *Grid, x, y int, mode ColorMode, layoutChanged bool) {
	if layoutChanged {
		o.erase(Rect{Col: x, Row: y, Cols: g.Cols, Rows: g.Rows})
	}
	o.mu.Lock()
	if o.pending {
		o.stats.Dropped++
	}
	o.slotKind = kindCells
	o.slot.Cols, o.slot.Rows = g.Cols, g.Rows
	o.slot.Cells = append(o.slot.Cells[:0], g.Cells...)
	o.slotX, o.slotY, o.slotMode = x, y, mode
	if layoutChanged || o.hidden {
		o.full, o.fullAt, o.fullMark = true, o.cfg.Now(), o.uiWrites
	}
	o.pending, o.hidden = true, false
	o.mu.Unlock()
	select {
	case o.kick <- struct{}{}:
	default:
	}
}

// SubmitImages is Submit for pictures drawn with the protocol of
// OutputConfig.Pictures: the images replace the region's cells, the first
// as image id 1, the next as 2, later ones on top. The frames are copied.
// Only images whose frame or place changed are sent again, and, where
// pictures live in the cells (sixel, iTerm2), the ones on top of them.
func (o *Output) SubmitImages(imgs []Image, layoutChanged bool) {
	if layoutChanged {
		o.erase(Rect{})
	}
	o.mu.Lock()
	if o.pending {
		o.stats.Dropped++
	}
	o.slotKind = kindImages
	o.slotImgs = resize(o.slotImgs, len(imgs))
	for i, im := range imgs {
		o.slotImgs[i] = Image{Frame: copyFrame(o.slotImgs[i].Frame, im.Frame), At: im.At, Gen: im.Gen}
	}
	o.pending, o.hidden = true, false
	o.mu.Unlock()
	select {
	case o.kick <- struct{}{}:
	default:
	}
}

// copyFrame copies f into dst's planes, reallocating them when too small.
func copyFrame(dst, f device.Frame) device.Frame {
	if !validFrame(f) {
		return device.Frame{}
	}
	if dst.Width != f.Width || dst.Height != f.Height {
		dst = newFrame(f.Width, f.Height)
	}
	copy(dst.Y, f.Y)
	copy(dst.U, f.U)
	copy(dst.V, f.V)
	dst.Time = f.Time
	return dst
}

// Hide stops painting, until the next Submit, which repaints the region
// whole, and erases what was painted: the TUI's cell diff believes those
// cells blank, and would draw only its own text over the picture. It waits
// for a frame being written, and erases before it returns, so before the
// TUI's renderer draws the view that hid the video. Hide on a hidden
// Output returns at once.
func (o *Output) Hide() {
	o.mu.Lock()
	hidden := o.hidden
	o.hidden, o.pending = true, false
	o.mu.Unlock()
	if !hidden {
		o.erase(Rect{})
	}
}

// erase blanks the cells last painted that keep lies outside, in one
// synchronized write, now; the next frame is painted whole. Called when
// the layout changes, before the TUI draws the new one, whose blank cells
// its diff would otherwise leave showing the old picture.
func (o *Output) erase(keep Rect) {
	o.term.Lock()
	defer o.term.Unlock()
	o.mu.Lock()
	old := o.shown
	o.shown, o.erased = Rect{}, true
	o.mu.Unlock()
	if o.kindOn == kindImages {
		// erase and paint both hold term, so they never run together.
		b := []byte(syncBegin)
		for i, im := range o.imgOn {
			b = o.removePicture(b, uint32(i+1), im.At)
		}
		o.imgOn, o.kindOn = o.imgOn[:0], kindNone
		_, _ = o.w.Write(append(b, syncEnd...))
		return
	}
	o.kindOn = kindNone
	if old.Empty() {
		return
	}
	b := []byte(syncBegin + sgrReset)
	for row := old.Row; row < old.Row+old.Rows; row++ {
		in := !keep.Empty() && row >= keep.Row && row < keep.Row+keep.Rows
		for col := old.Col; col < old.Col+old.Cols; {
			if in && col >= keep.Col && col < keep.Col+keep.Cols {
				col = keep.Col + keep.Cols
				continue
			}
			end := old.Col + old.Cols
			if in && col < keep.Col {
				end = min(end, keep.Col)
			}
			// ECH: erase end-col cells in the default colours, cursor kept.
			b = append(b, "\x1b["...)
			b = appendInt(b, row+1)
			b = append(b, ';')
			b = appendInt(b, col+1)
			b = append(b, "H\x1b["...)
			b = appendInt(b, end-col)
			b = append(b, 'X')
			col = end
		}
	}
	b = append(b, syncEnd...)
	_, _ = o.w.Write(b) // a failing terminal fails the next frame's write
}

// Stats returns what the Output has done so far.
func (o *Output) Stats() OutputStats {
	o.mu.Lock()
	defer o.mu.Unlock()
	s := o.stats
	if n := min(o.nTimes, rateWindow); n >= 2 {
		last := o.times[(o.nTimes-1)%rateWindow]
		first := o.times[(o.nTimes-n)%rateWindow]
		if d := last.Sub(first); d > 0 && o.cfg.Now().Sub(last) < time.Second {
			s.FPS = float64(n-1) / d.Seconds()
		}
	}
	return s
}

// Run paints submitted frames until ctx is done.
func (o *Output) Run(ctx context.Context) error {
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-o.kick:
		}
		if err := o.Flush(); err != nil {
			return err
		}
	}
}

// Flush paints the waiting frame, if any, in the caller's goroutine; Run
// calls it for each frame submitted. It blocks while the terminal does.
func (o *Output) Flush() error {
	o.flush.Lock()
	defer o.flush.Unlock()
	o.buf = o.paint(&o.painter, &o.cur, o.buf[:0])
	if err := o.write(o.buf); err != nil {
		return fmt.Errorf("writing video to the terminal: %w", err)
	}
	return nil
}

// paint takes the waiting frame and returns its bytes, under the terminal
// lock, which write releases.
func (o *Output) paint(p *Painter, g *Grid, buf []byte) []byte {
	o.term.Lock()
	o.mu.Lock()
	defer o.mu.Unlock()
	if !o.pending || o.hidden {
		return buf
	}
	o.pending = false
	if o.slotKind == kindImages {
		return o.paintImages(buf)
	}
	if o.kindOn == kindImages {
		// From pictures back to cells: take the pictures away first.
		buf = append(buf, syncBegin...)
		for i, im := range o.imgOn {
			buf = o.removePicture(buf, uint32(i+1), im.At)
		}
		buf = append(buf, syncEnd...)
		o.imgOn = o.imgOn[:0]
		o.erased = true
	}
	o.kindOn = kindCells
	g.Cols, g.Rows = o.slot.Cols, o.slot.Rows
	g.Cells, o.slot.Cells = o.slot.Cells, g.Cells
	if o.erased {
		p.Invalidate()
		o.erased = false
	}
	if o.full {
		p.Invalidate()
		since := o.cfg.Now().Sub(o.fullAt)
		if (o.uiWrites > o.fullMark && since >= layoutSettle) || since >= layoutMaxFull {
			o.full = false
		}
	}
	buf = p.Paint(buf, g, o.slotX, o.slotY, o.slotMode)
	o.shown = Rect{Col: o.slotX, Row: o.slotY, Cols: g.Cols, Rows: g.Rows}
	o.stats.Frames++
	o.stats.Bytes += uint64(len(buf))
	o.times[o.nTimes%rateWindow] = o.cfg.Now()
	o.nTimes++
	return buf
}

// paintImages is paint for an image frame, under both locks.
func (o *Output) paintImages(buf []byte) []byte {
	o.imgCur, o.slotImgs = o.slotImgs, o.imgCur
	start := len(buf)
	if o.kindOn == kindCells && !o.shown.Empty() {
		// From cells to pictures: the cells go, in the same update.
		o.mu.Unlock()
		o.term.Unlock()
		o.erase(Rect{})
		o.term.Lock()
		o.mu.Lock()
	}
	if o.erased {
		o.imgOn, o.erased = o.imgOn[:0], false
	}
	o.kindOn = kindImages
	inCells := o.cfg.Pictures.InCells()
	redraw := false // a picture below was drawn again, over these
	for i, im := range o.imgCur {
		id := uint32(i + 1)
		shown := i < len(o.imgOn)
		if !redraw && shown && o.imgOn[i].At == im.At && o.imgOn[i].Gen == im.Gen {
			continue
		}
		redraw = inCells
		if len(buf) == start {
			buf = append(buf, syncBegin...)
		}
		if shown && (o.imgOn[i].At != im.At || !validFrame(im.Frame)) {
			buf = o.removePicture(buf, id, o.imgOn[i].At)
		}
		if validFrame(im.Frame) {
			buf = o.appendPicture(buf, id, im)
		}
		if i >= len(o.imgOn) {
			o.imgOn = append(o.imgOn, Image{})
		}
		o.imgOn[i] = Image{At: im.At, Gen: im.Gen}
	}
	for i := len(o.imgCur); i < len(o.imgOn); i++ {
		if len(buf) == start {
			buf = append(buf, syncBegin...)
		}
		buf = o.removePicture(buf, uint32(i+1), o.imgOn[i].At)
	}
	o.imgOn = o.imgOn[:min(len(o.imgOn), len(o.imgCur))]
	if len(buf) > start {
		buf = append(buf, syncEnd...)
	}
	o.stats.Frames++
	o.stats.Bytes += uint64(len(buf))
	o.times[o.nTimes%rateWindow] = o.cfg.Now()
	o.nTimes++
	return buf
}

func (o *Output) write(b []byte) error {
	defer o.term.Unlock()
	if len(b) == 0 {
		return nil
	}
	_, err := o.w.Write(b)
	return err
}
