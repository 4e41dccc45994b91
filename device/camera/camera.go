//go:build linux && (amd64 || arm64 || riscv64 || ppc64le || loong64)

package camera

import (
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"

	"github.com/dialtone/dialtone/device"
)

// Camera streams I420 frames from a V4L2 capture device.
type Camera struct {
	path   string
	info   Info
	choice Choice
	stall  time.Duration

	fd    int
	bufs  [][]byte
	lay   layout
	conv  func(*device.Frame, []byte, layout) error
	frame device.Frame
	bad   int // frames dropped as undecodable since the last good one

	mu   sync.Mutex // ReadFrame's, and Close's while it tears down
	gone error      // sticky once the device is unplugged

	closed    atomic.Bool
	closeOnce sync.Once
	closeErr  error
	wakeMu    sync.Mutex // wakeFD against Close
	wakeFD    int        // an eventfd that interrupts ReadFrame's poll; -1 after Close
}

var _ device.VideoSource = (*Camera)(nil)

// Open opens a camera from a spec such as "/dev/video0" or
// "/dev/video0:640x480@30" (see ParseSpec; the mode defaults to
// DefaultWidth×DefaultHeight at DefaultFPS) and starts streaming. It picks
// the size first — the smallest offered size at least as large as requested,
// else the largest — then the offered rate nearest the requested one at that
// size, then the format cheapest to convert that gives both: planar and
// semi-planar YUV, then packed YUV, then RGB, then MJPEG, so MJPEG is used
// only where no raw format reaches the size and rate. Camera.Choice tells
// what it picked.
func Open(spec string, opts ...Option) (*Camera, error) {
	path, want, err := ParseSpec(spec)
	if err != nil {
		return nil, err
	}
	cfg, err := buildConfig(opts)
	if err != nil {
		return nil, fmt.Errorf("opening %s: %w", path, err)
	}
	fd, err := unix.Open(path, unix.O_RDWR|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, openErr(path, "opening", err)
	}
	c := &Camera{path: path, stall: cfg.stall, fd: fd, wakeFD: -1}
	if err := c.start(want, cfg); err != nil {
		c.teardown()
		return nil, err
	}
	return c, nil
}

// openErr names the device and turns EBUSY into ErrBusy.
func openErr(path, doing string, err error) error {
	if errors.Is(err, unix.EBUSY) {
		return fmt.Errorf("%s %s: %w", doing, path, ErrBusy)
	}
	if errors.Is(err, unix.ENODEV) {
		return fmt.Errorf("%s %s: %w", doing, path, ErrGone)
	}
	return fmt.Errorf("%s %s: %w", doing, path, err)
}

func (c *Camera) start(want Mode, cfg config) error {
	info, err := describe(c.fd, c.path)
	if err != nil {
		return err
	}
	c.info = info
	if c.choice, err = choose(info.Formats, want, cfg.pixel); err != nil {
		return fmt.Errorf("opening %s: %w", c.path, err)
	}
	if err := c.setFormat(); err != nil {
		return err
	}
	c.setInterval()
	if err := c.mapBuffers(cfg.buffers); err != nil {
		return err
	}
	if c.wakeFD, err = unix.Eventfd(0, unix.EFD_NONBLOCK|unix.EFD_CLOEXEC); err != nil {
		return fmt.Errorf("opening %s: eventfd: %w", c.path, err)
	}
	t := uint32(bufTypeVideoCapture)
	if err := ioctl(c.fd, vidiocStreamon, &t); err != nil {
		return openErr(c.path, "starting stream on", err)
	}
	return nil
}

// setFormat asks the driver for the chosen format and size and takes the
// size it grants: drivers round sizes to what the hardware does.
func (c *Camera) setFormat() error {
	f := v4l2Format{typ: bufTypeVideoCapture}
	f.pix.width, f.pix.height = uint32(c.choice.Width), uint32(c.choice.Height)
	f.pix.pixelformat, f.pix.field = uint32(c.choice.Pixel), fieldAny
	if err := ioctl(c.fd, vidiocSFmt, &f); err != nil {
		return openErr(c.path, "setting format "+c.choice.String()+" on", err)
	}
	if got := PixelFormat(f.pix.pixelformat); got != c.choice.Pixel {
		return fmt.Errorf("opening %s: %w: asked for %s, the driver set %s; the device offers: %s",
			c.path, ErrMode, c.choice.Pixel, got, offered(c.info.Formats))
	}
	l := layout{width: int(f.pix.width), height: int(f.pix.height), stride: int(f.pix.bytesperline)}
	if l.stride == 0 {
		l.stride = l.width * bytesPerPixel(c.choice.Pixel)
	}
	w, h := evenSize(l.width, l.height)
	if w < 2 || h < 2 {
		return fmt.Errorf("opening %s: %w: the driver set size %dx%d", c.path, ErrMode, l.width, l.height)
	}
	c.choice.Width, c.choice.Height = l.width, l.height
	c.lay, c.frame = l, device.NewFrame(w, h)
	c.conv = converter(c.choice.Pixel)
	return nil
}

// setInterval asks for the chosen frame rate. Rates are advisory — a driver
// that cannot set one still streams — so failures only leave the choice
// showing what the driver reports.
func (c *Camera) setInterval() {
	p := v4l2Streamparm{typ: bufTypeVideoCapture}
	if ioctl(c.fd, vidiocGParm, &p) != nil || p.capability&capTimePerFrame == 0 {
		return
	}
	if iv := c.choice.Interval; iv.FPS() > 0 {
		p.timeperframe = [2]uint32{uint32(iv.Num), uint32(iv.Den)}
		if ioctl(c.fd, vidiocSParm, &p) != nil {
			return
		}
	}
	if p.timeperframe[0] > 0 && p.timeperframe[1] > 0 {
		c.choice.Interval = Interval{int(p.timeperframe[0]), int(p.timeperframe[1])}
	}
}

func (c *Camera) mapBuffers(n int) error {
	r := v4l2Requestbuffers{count: uint32(n), typ: bufTypeVideoCapture, memory: memoryMmap}
	if err := ioctl(c.fd, vidiocReqbufs, &r); err != nil {
		return openErr(c.path, "requesting buffers from", err)
	}
	if r.count < 2 {
		return fmt.Errorf("opening %s: the driver granted %d buffers, want at least 2", c.path, r.count)
	}
	for i := range r.count {
		b := v4l2Buffer{index: i, typ: bufTypeVideoCapture, memory: memoryMmap}
		if err := ioctl(c.fd, vidiocQuerybuf, &b); err != nil {
			return openErr(c.path, "querying buffers of", err)
		}
		m, err := unix.Mmap(c.fd, int64(b.offset), int(b.length), unix.PROT_READ, unix.MAP_SHARED)
		if err != nil {
			return fmt.Errorf("mapping buffers of %s: %w", c.path, err)
		}
		c.bufs = append(c.bufs, m)
		if err := ioctl(c.fd, vidiocQbuf, &b); err != nil {
			return openErr(c.path, "queueing buffers on", err)
		}
	}
	return nil
}

// Path is the device path.
func (c *Camera) Path() string { return c.path }

// Info describes the device as Open found it.
func (c *Camera) Info() Info { return c.info }

// Choice is what the camera streams: the pixel format, the size the driver
// granted (frames are that size cropped to even) and the frame interval.
func (c *Camera) Choice() Choice { return c.choice }

// Size is the size of the frames ReadFrame returns.
func (c *Camera) Size() (width, height int) { return c.frame.Width, c.frame.Height }

// Close stops streaming and releases the device. It is safe to call more than
// once and while ReadFrame blocks, which then returns device.ErrClosed.
func (c *Camera) Close() error {
	c.closeOnce.Do(func() {
		c.closed.Store(true)
		c.wake()
		c.mu.Lock()
		defer c.mu.Unlock()
		c.closeErr = c.teardown()
	})
	return c.closeErr
}

func (c *Camera) teardown() error {
	c.wakeMu.Lock()
	if c.wakeFD >= 0 {
		unix.Close(c.wakeFD)
		c.wakeFD = -1
	}
	c.wakeMu.Unlock()
	t := uint32(bufTypeVideoCapture)
	ioctl(c.fd, vidiocStreamoff, &t) // fails on an unplugged device; closing frees all the same
	for _, b := range c.bufs {
		unix.Munmap(b)
	}
	c.bufs = nil
	if err := unix.Close(c.fd); err != nil {
		return fmt.Errorf("closing %s: %w", c.path, err)
	}
	return nil
}

// wake interrupts a ReadFrame waiting in poll.
func (c *Camera) wake() {
	c.wakeMu.Lock()
	defer c.wakeMu.Unlock()
	if c.wakeFD >= 0 {
		one := [8]byte{1} // a native-endian 1 on the little-endian targets
		unix.Write(c.wakeFD, one[:])
	}
}
