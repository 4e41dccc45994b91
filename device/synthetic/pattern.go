package synthetic

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/dialtone/dialtone/device"
)

// PatternConfig configures NewPattern. The zero value is valid.
type PatternConfig struct {
	// Width and Height of the pictures, even, at least 64×32 and at most
	// 4096×4096. Default 320×240.
	Width, Height int
	// FPS is the frame rate, in (0, 240]. Default 30.
	FPS float64
	// Clock paces the frames and stamps their capture time. Default the
	// system clock.
	Clock Clock
	// FirstSeq is the frame number of the first frame. Default 0.
	FirstSeq uint32
}

func (c *PatternConfig) validate() error {
	if c.Width == 0 && c.Height == 0 {
		c.Width, c.Height = 320, 240
	}
	if c.FPS == 0 {
		c.FPS = 30
	}
	if c.Clock == nil {
		c.Clock = SystemClock
	}
	switch {
	case c.Width%2 != 0 || c.Height%2 != 0:
		return fmt.Errorf("pattern size %dx%d: width and height must be even", c.Width, c.Height)
	case c.Width < 64 || c.Height < 32 || c.Width > 4096 || c.Height > 4096:
		return fmt.Errorf("pattern size %dx%d: out of range 64x32…4096x4096", c.Width, c.Height)
	case !(c.FPS > 0 && c.FPS <= 240):
		return fmt.Errorf("pattern frame rate %v: out of range (0, 240]", c.FPS)
	}
	return nil
}

// Pattern is a VideoSource of moving colour bars with a bouncing box above a
// code band that carries each frame's number and capture time (see
// EncodePattern). Frame n is the same picture on every run; only the stamped
// time differs.
type Pattern struct {
	cfg   PatternConfig
	frame device.Frame
	pace  pacer
	seq   uint32

	closeOnce sync.Once
	done      chan struct{}
}

var _ device.VideoSource = (*Pattern)(nil)

// NewPattern returns a test-pattern source.
func NewPattern(cfg PatternConfig) (*Pattern, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	return &Pattern{
		cfg:   cfg,
		frame: device.NewFrame(cfg.Width, cfg.Height),
		pace:  pacer{clock: cfg.Clock, period: time.Duration(float64(time.Second) / cfg.FPS)},
		seq:   cfg.FirstSeq,
		done:  make(chan struct{}),
	}, nil
}

// ReadFrame waits for the next frame time and returns the next frame, its
// number and capture time stamped in the code band and in Time. One reader at
// a time; a reader that falls behind by more than a frame loses the frames it
// missed (their numbers are not skipped: numbers count delivered frames, so a
// gap at the receiver means loss on the way).
func (p *Pattern) ReadFrame(ctx context.Context) (device.Frame, error) {
	now, err := p.pace.wait(ctx, p.done)
	if err != nil {
		return device.Frame{}, err
	}
	drawPattern(p.frame, p.seq)
	EncodePattern(p.frame, p.seq, now)
	p.frame.Time = now
	p.seq++
	return p.frame, nil
}

// Close stops the source; a blocked ReadFrame returns device.ErrClosed.
func (p *Pattern) Close() error {
	p.closeOnce.Do(func() { close(p.done) })
	return nil
}

type yuv struct{ y, u, v byte }

// rgb converts full-range RGB to BT.601 limited-range YUV.
func rgb(r, g, b float64) yuv {
	r, g, b = r/255, g/255, b/255
	return yuv{
		y: byte(16 + 65.481*r + 128.553*g + 24.966*b + 0.5),
		u: byte(128 - 37.797*r - 74.203*g + 112*b + 0.5),
		v: byte(128 + 112*r - 93.786*g - 18.214*b + 0.5),
	}
}

// 75% colour bars, the broadcast classic, softer than full saturation on a
// terminal.
var bars = [...]yuv{
	rgb(191, 191, 191), rgb(191, 191, 0), rgb(0, 191, 191), rgb(0, 191, 0),
	rgb(191, 0, 191), rgb(191, 0, 0), rgb(0, 0, 191), rgb(32, 32, 32),
}

var (
	boxFill   = rgb(245, 245, 245)
	boxBorder = rgb(20, 20, 20)
)

// drawPattern paints everything above the code band for frame seq: bars that
// scroll left one bar per second at 30 fps, and a box that bounces.
func drawPattern(f device.Frame, seq uint32) {
	w, h := f.Width, bandTop(f.Height)
	barW := max(w/len(bars), 1)
	shift := int(uint64(seq) * uint64(barW) / 30 % uint64(w))

	// Every row of the bars is the same, so paint one and copy it.
	row := f.Y[:w]
	for x := range row {
		row[x] = bars[(x+shift)/barW%len(bars)].y
	}
	for y := 1; y < h; y++ {
		copy(f.Y[y*w:(y+1)*w], row)
	}
	cw := w / 2
	urow, vrow := f.U[:cw], f.V[:cw]
	for x := range urow {
		c := bars[(2*x+shift)/barW%len(bars)]
		urow[x], vrow[x] = c.u, c.v
	}
	for y := 1; y < h/2; y++ {
		copy(f.U[y*cw:(y+1)*cw], urow)
		copy(f.V[y*cw:(y+1)*cw], vrow)
	}

	// The box runs a triangle wave in each direction, at different periods so
	// its path covers the picture.
	side := max(h/3, 4) &^ 1
	bx := bounce(int(seq)*max(w/80, 1), w-side) &^ 1
	by := bounce(int(seq)*max(h/90, 1), h-side) &^ 1
	border := max(side/12, 2) &^ 1
	fillRect(f, bx, by, bx+side, by+side, boxBorder)
	fillRect(f, bx+border, by+border, bx+side-border, by+side-border, boxFill)
}

// bounce folds pos into [0, span] back and forth.
func bounce(pos, span int) int {
	if span <= 0 {
		return 0
	}
	pos %= 2 * span
	if pos > span {
		pos = 2*span - pos
	}
	return pos
}

// fillRect paints [x0,x1)×[y0,y1); all coordinates even.
func fillRect(f device.Frame, x0, y0, x1, y1 int, c yuv) {
	w := f.Width
	for y := y0; y < y1; y++ {
		line := f.Y[y*w+x0 : y*w+x1]
		for i := range line {
			line[i] = c.y
		}
	}
	cw := w / 2
	for y := y0 / 2; y < y1/2; y++ {
		u, v := f.U[y*cw+x0/2:y*cw+x1/2], f.V[y*cw+x0/2:y*cw+x1/2]
		for i := range u {
			u[i], v[i] = c.u, c.v
		}
	}
}
