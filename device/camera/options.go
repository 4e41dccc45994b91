package camera

import (
	"fmt"
	"time"
)

// Option changes how Open sets up a camera.
type Option func(*config)

type config struct {
	stall   time.Duration
	buffers int
	pixel   PixelFormat
}

// Defaults for the options.
const (
	// DefaultStallTimeout is how long ReadFrame waits for a frame before it
	// gives up with ErrStalled. Cameras take up to a second or two to
	// deliver their first frame, and some halve their rate in the dark.
	DefaultStallTimeout = 5 * time.Second
	// DefaultBuffers is the number of mmap buffers: enough that the driver
	// always has one to fill while we convert another, few enough that a
	// frame is never old.
	DefaultBuffers = 4
)

// WithStallTimeout sets how long ReadFrame waits for a frame before it
// returns ErrStalled (default DefaultStallTimeout).
func WithStallTimeout(d time.Duration) Option { return func(c *config) { c.stall = d } }

// WithBuffers sets the number of mmap buffers, 2…32 (default
// DefaultBuffers); the driver may grant more or fewer.
func WithBuffers(n int) Option { return func(c *config) { c.buffers = n } }

// WithPixelFormat restricts the choice to one pixel format, e.g. MJPEG.
func WithPixelFormat(p PixelFormat) Option { return func(c *config) { c.pixel = p } }

func buildConfig(opts []Option) (config, error) {
	c := config{stall: DefaultStallTimeout, buffers: DefaultBuffers}
	for _, o := range opts {
		o(&c)
	}
	return c, c.validate()
}

func (c config) validate() error {
	if c.stall <= 0 {
		return fmt.Errorf("stall timeout %v: must be positive", c.stall)
	}
	if c.buffers < 2 || c.buffers > 32 {
		return fmt.Errorf("%d buffers: want 2…32", c.buffers)
	}
	if c.pixel != 0 {
		if _, ok := cost[c.pixel]; !ok {
			return fmt.Errorf("%w: pixel format %s cannot be converted to I420", ErrMode, c.pixel)
		}
	}
	return nil
}
