package synthetic

import (
	"context"
	"sync"

	"github.com/dialtone/dialtone/device"
)

// tally counts what a capture sink was given, knows whether it is closed,
// and wakes whoever waits for a count. Its owner's mutex guards it.
type tally struct {
	n      int
	closed bool
	ch     chan struct{} // closed and cleared on each change
}

func (t *tally) add()   { t.n++; t.wake() }
func (t *tally) close() { t.closed = true; t.wake() }

func (t *tally) wake() {
	if t.ch != nil {
		close(t.ch)
		t.ch = nil
	}
}

// wait blocks until n have been counted in all; mu is the owner's mutex.
func (t *tally) wait(ctx context.Context, mu *sync.Mutex, n int) error {
	for {
		mu.Lock()
		count, closed := t.n, t.closed
		if t.ch == nil {
			t.ch = make(chan struct{})
		}
		ch := t.ch
		mu.Unlock()
		switch {
		case count >= n:
			return nil
		case closed:
			return device.ErrClosed
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// VideoCapture is a VideoSink that keeps copies of the last frames it was
// given, for tests. Its memory is bounded by the number of frames kept.
type VideoCapture struct {
	mu     sync.Mutex
	keep   int
	frames []device.Frame // ring, oldest at start
	start  int
	tally  tally
}

var _ device.VideoSink = (*VideoCapture)(nil)

// NewVideoCapture keeps the last keep frames (none if keep ≤ 0, which makes
// it a null sink that only counts).
func NewVideoCapture(keep int) *VideoCapture {
	return &VideoCapture{keep: max(keep, 0)}
}

// WriteFrame copies f.
func (c *VideoCapture) WriteFrame(f device.Frame) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.tally.closed {
		return device.ErrClosed
	}
	if c.keep > 0 {
		slot := len(c.frames)
		if slot == c.keep {
			slot = c.start
			c.start = (c.start + 1) % c.keep
		} else {
			c.frames = append(c.frames, device.Frame{})
		}
		// Reuse the oldest frame's memory when the size matches.
		dst := c.frames[slot]
		if dst.Width != f.Width || dst.Height != f.Height {
			dst = device.NewFrame(f.Width, f.Height)
		}
		copy(dst.Y, f.Y)
		copy(dst.U, f.U)
		copy(dst.V, f.V)
		dst.Time = f.Time
		c.frames[slot] = dst
	}
	c.tally.add()
	return nil
}

// Count is the number of frames written so far.
func (c *VideoCapture) Count() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.tally.n
}

// Frames returns the kept frames, oldest first. They are the capture's
// copies: read them, do not write them.
func (c *VideoCapture) Frames() []device.Frame {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([]device.Frame, 0, len(c.frames))
	out = append(out, c.frames[c.start:]...)
	return append(out, c.frames[:c.start]...)
}

// Wait blocks until at least n frames have been written in all.
func (c *VideoCapture) Wait(ctx context.Context, n int) error {
	return c.tally.wait(ctx, &c.mu, n)
}

// Close makes later writes fail with device.ErrClosed and wakes waiters.
func (c *VideoCapture) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.tally.close()
	return nil
}

// AudioCapture is an AudioSink that keeps the last samples it was given, for
// tests. Its memory is bounded by the number of samples kept.
type AudioCapture struct {
	mu     sync.Mutex
	ring   []int16
	pos    int
	filled bool
	tally  tally
}

var _ device.AudioSink = (*AudioCapture)(nil)

// NewAudioCapture keeps the last keep samples (none if keep ≤ 0, which makes
// it a null sink that only counts).
func NewAudioCapture(keep int) *AudioCapture {
	return &AudioCapture{ring: make([]int16, max(keep, 0))}
}

// WriteAudio copies pcm.
func (c *AudioCapture) WriteAudio(pcm []int16) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.tally.closed {
		return device.ErrClosed
	}
	if len(c.ring) > 0 {
		if len(pcm) > len(c.ring) {
			pcm = pcm[len(pcm)-len(c.ring):]
		}
		for len(pcm) > 0 {
			n := copy(c.ring[c.pos:], pcm)
			pcm = pcm[n:]
			c.pos += n
			if c.pos == len(c.ring) {
				c.pos, c.filled = 0, true
			}
		}
	}
	c.tally.add()
	return nil
}

// Frames is the number of WriteAudio calls so far.
func (c *AudioCapture) Frames() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.tally.n
}

// Samples returns the kept samples, oldest first.
func (c *AudioCapture) Samples() []int16 {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.filled {
		return append([]int16(nil), c.ring[:c.pos]...)
	}
	return append(append(make([]int16, 0, len(c.ring)), c.ring[c.pos:]...), c.ring[:c.pos]...)
}

// Wait blocks until at least n frames have been written in all.
func (c *AudioCapture) Wait(ctx context.Context, n int) error {
	return c.tally.wait(ctx, &c.mu, n)
}

// Close makes later writes fail with device.ErrClosed and wakes waiters.
func (c *AudioCapture) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.tally.close()
	return nil
}
