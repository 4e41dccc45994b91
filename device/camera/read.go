//go:build linux && (amd64 || arm64 || riscv64 || ppc64le || loong64)

package camera

import (
	"context"
	"errors"
	"fmt"
	"time"

	"golang.org/x/sys/unix"

	"github.com/dialtone/dialtone/device"
)

// ReadFrame waits for the next picture and returns it as I420, Time set to
// when it was captured. It fails with ErrGone once the device is unplugged,
// with ErrStalled when no frame came for the stall timeout, with ctx's error
// when ctx ends, and with device.ErrClosed after Close. The planes stay valid
// until the next ReadFrame.
func (c *Camera) ReadFrame(ctx context.Context) (device.Frame, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed.Load() {
		return device.Frame{}, device.ErrClosed
	}
	if c.gone != nil {
		return device.Frame{}, c.gone
	}
	stop := context.AfterFunc(ctx, c.wake)
	defer stop()
	deadline := time.Now().Add(c.stall)
	for {
		if err := ctx.Err(); err != nil {
			return device.Frame{}, err
		}
		left := time.Until(deadline)
		if left <= 0 {
			return device.Frame{}, c.stallErr()
		}
		// A context with a deadline bounds the poll itself, so that it ends
		// on time even when the wake-up goroutine is slow to be scheduled
		// (a loaded machine, one CPU).
		if d, ok := ctx.Deadline(); ok {
			until := time.Until(d)
			if until <= 0 {
				return device.Frame{}, context.DeadlineExceeded
			}
			left = min(left, until)
		}
		revents, err := c.wait(left)
		if err != nil {
			return device.Frame{}, err
		}
		if revents == 0 {
			continue
		}
		ok, err := c.take(revents)
		if err != nil {
			return device.Frame{}, err
		}
		if ok {
			return c.frame, nil
		}
	}
}

func (c *Camera) stallErr() error {
	s := fmt.Sprintf("%s: no frames for %v", c.path, c.stall)
	if c.bad > 0 {
		s += fmt.Sprintf(" (%d undecodable)", c.bad)
	}
	return fmt.Errorf("%s: %w", s, ErrStalled)
}

// wait polls the device and the wake eventfd for at most d and returns the
// device's poll events: none on a timeout, a signal or a wake-up, so that the
// caller checks its context and deadline again.
func (c *Camera) wait(d time.Duration) (int16, error) {
	fds := []unix.PollFd{{Fd: int32(c.fd), Events: unix.POLLIN}, {Fd: int32(c.wakeFD), Events: unix.POLLIN}}
	ms := int((d + time.Millisecond - 1) / time.Millisecond)
	if _, err := unix.Poll(fds, ms); err != nil {
		if errors.Is(err, unix.EINTR) {
			return 0, nil
		}
		return 0, fmt.Errorf("waiting for a frame from %s: %w", c.path, err)
	}
	if fds[1].Revents != 0 {
		if c.closed.Load() {
			return 0, device.ErrClosed
		}
		var b [8]byte
		unix.Read(c.wakeFD, b[:]) // a context's wake-up; Close's is seen above
		if c.closed.Load() {
			return 0, device.ErrClosed
		}
		return 0, nil
	}
	return fds[0].Revents, nil
}

// take dequeues a buffer, converts it into c.frame and gives the buffer back.
// It reports false with no error when there was nothing to use (no buffer
// after all, a buffer the driver marked bad, a frame that did not decode).
func (c *Camera) take(revents int16) (bool, error) {
	b := v4l2Buffer{typ: bufTypeVideoCapture, memory: memoryMmap}
	err := ioctl(c.fd, vidiocDqbuf, &b)
	now := time.Now()
	switch {
	case errors.Is(err, unix.EAGAIN):
		if revents&(unix.POLLERR|unix.POLLHUP) != 0 {
			// vb2 reports a stopped or failed queue this way, and it stays so.
			return false, fmt.Errorf("reading %s: the driver reports an error and has no frame", c.path)
		}
		return false, nil
	case errors.Is(err, unix.ENODEV):
		c.gone = fmt.Errorf("reading %s: %w", c.path, ErrGone)
		return false, c.gone
	case err != nil:
		return false, fmt.Errorf("dequeuing a frame from %s: %w", c.path, err)
	}
	stamp := captureTime(&b, now) // before QBUF reuses b
	var convErr error
	switch {
	case int(b.index) >= len(c.bufs) || int(b.bytesused) > len(c.bufs[b.index]):
		return false, fmt.Errorf("reading %s: the driver returned buffer %d of %d bytes", c.path, b.index, b.bytesused)
	case b.flags&bufFlagError != 0 || b.bytesused == 0:
		convErr = errors.New("bad buffer")
	default:
		convErr = c.conv(&c.frame, c.bufs[b.index][:b.bytesused], c.lay)
	}
	if err := ioctl(c.fd, vidiocQbuf, &b); err != nil {
		if errors.Is(err, unix.ENODEV) {
			c.gone = fmt.Errorf("reading %s: %w", c.path, ErrGone)
			return false, c.gone
		}
		return false, fmt.Errorf("requeueing a buffer on %s: %w", c.path, err)
	}
	if convErr != nil {
		c.bad++
		return false, nil
	}
	c.bad = 0
	c.frame.Time = stamp

	return true, nil
}

// captureTime maps the buffer's timestamp to wall time when it is on the
// monotonic clock (as UVC and most drivers stamp frames); otherwise, or when
// the stamp is implausible, the frame was captured "now".
func captureTime(b *v4l2Buffer, now time.Time) time.Time {
	if b.flags&bufFlagTimestampMask != bufFlagTimestampMono {
		return now
	}
	var ts unix.Timespec
	if unix.ClockGettime(unix.CLOCK_MONOTONIC, &ts) != nil {
		return now
	}
	age := time.Duration(ts.Nano() - b.timestamp.Nano())
	if age < 0 || age > 10*time.Second {
		return now
	}
	return now.Add(-age)
}
