//go:build linux && (amd64 || arm64 || riscv64 || ppc64le || loong64)

package camera

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/dialtone/dialtone/device"
)

func TestOpenErrors(t *testing.T) {
	tests := []struct {
		spec string
		opts []Option
		is   error
		text string
	}{
		{spec: "/nonexistent/video9", is: unix.ENOENT, text: "/nonexistent/video9"},
		{spec: "/dev/null", is: ErrNotCamera, text: "/dev/null"},
		{spec: "/dev/video0:64x", text: "size"},
		{spec: "/dev/null", opts: []Option{WithBuffers(100)}, text: "100 buffers"},
	}
	for _, tt := range tests {
		c, err := Open(tt.spec, tt.opts...)
		if err == nil {
			c.Close()
			t.Errorf("Open(%q) succeeded", tt.spec)
			continue
		}
		if (tt.is != nil && !errors.Is(err, tt.is)) || !strings.Contains(err.Error(), tt.text) {
			t.Errorf("Open(%q) = %v; want %v mentioning %q", tt.spec, err, tt.is, tt.text)
		}
	}
}

func TestOpenErrNamesDevice(t *testing.T) {
	err := openErr("/dev/video3", "setting format on", unix.EBUSY)
	if !errors.Is(err, ErrBusy) || !strings.Contains(err.Error(), "/dev/video3") {
		t.Errorf("EBUSY → %v; want ErrBusy naming the device", err)
	}
	if err := openErr("/dev/video3", "opening", unix.ENODEV); !errors.Is(err, ErrGone) {
		t.Errorf("ENODEV → %v; want ErrGone", err)
	}
}

func TestListSkipsWhatIsNotACamera(t *testing.T) {
	dir := t.TempDir()
	infos, err := listDir(dir)
	if err != nil || infos == nil || len(infos) != 0 {
		t.Errorf("no nodes: List = %#v, %v; want an empty list", infos, err)
	}
	if err := os.WriteFile(filepath.Join(dir, "video0"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("/dev/null", filepath.Join(dir, "video1")); err != nil {
		t.Fatal(err)
	}
	infos, err = listDir(dir)
	if err != nil || len(infos) != 0 {
		t.Errorf("non-V4L2 nodes: List = %#v, %v; want an empty list", infos, err)
	}
}

// waitingCamera is a Camera whose device never delivers: a pipe nobody
// writes to, so ReadFrame's waiting can be tested without a driver.
func waitingCamera(t *testing.T, stall time.Duration) *Camera {
	t.Helper()
	var p [2]int
	if err := unix.Pipe2(p[:], unix.O_NONBLOCK|unix.O_CLOEXEC); err != nil {
		t.Fatal(err)
	}
	wake, err := unix.Eventfd(0, unix.EFD_NONBLOCK|unix.EFD_CLOEXEC)
	if err != nil {
		t.Fatal(err)
	}
	c := &Camera{path: "/dev/videoX", stall: stall, fd: p[0], wakeFD: wake}
	t.Cleanup(func() {
		c.Close()
		unix.Close(p[1])
	})
	return c
}

func TestReadFrameStalls(t *testing.T) {
	c := waitingCamera(t, 100*time.Millisecond)
	start := time.Now()
	_, err := c.ReadFrame(context.Background())
	if !errors.Is(err, ErrStalled) || !strings.Contains(err.Error(), "/dev/videoX: no frames for 100ms") {
		t.Errorf("ReadFrame = %v; want ErrStalled naming the device and the time", err)
	}
	if d := time.Since(start); d < 100*time.Millisecond || d > 2*time.Second {
		t.Errorf("gave up after %v; want about 100ms", d)
	}
}

func TestReadFrameHonoursContext(t *testing.T) {
	c := waitingCamera(t, time.Hour)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() {
		_, err := c.ReadFrame(ctx)
		done <- err
	}()
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Errorf("ReadFrame = %v; want context.Canceled", err)
	}
	// A cancelled context's wake-up must not disturb the next ReadFrame.
	ctx, cancel = context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, err := c.ReadFrame(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("second ReadFrame = %v; want context.DeadlineExceeded", err)
	}
}

func TestCloseDuringReadFrame(t *testing.T) {
	c := waitingCamera(t, time.Hour)
	done := make(chan error)
	go func() {
		_, err := c.ReadFrame(context.Background())
		done <- err
	}()
	if err := c.Close(); err != nil {
		t.Errorf("Close = %v", err)
	}
	if err := <-done; !errors.Is(err, device.ErrClosed) {
		t.Errorf("ReadFrame during Close = %v; want device.ErrClosed", err)
	}
	if _, err := c.ReadFrame(context.Background()); !errors.Is(err, device.ErrClosed) {
		t.Errorf("ReadFrame after Close = %v; want device.ErrClosed", err)
	}
	if err := c.Close(); err != nil {
		t.Errorf("second Close = %v", err)
	}
}

func TestCaptureTime(t *testing.T) {
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_MONOTONIC, &ts); err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	stamp := func(age time.Duration, flags uint32) *v4l2Buffer {
		return &v4l2Buffer{flags: flags, timestamp: unix.NsecToTimeval(ts.Nano() - int64(age))}
	}
	got := captureTime(stamp(50*time.Millisecond, bufFlagTimestampMono), now)
	// The stamp is rounded to a microsecond, and a virtual machine's
	// monotonic clock may step back a few microseconds between CPUs; a
	// wrong clock or sign would be off by far more than these bounds allow.
	if d := now.Sub(got); d < 45*time.Millisecond || d > time.Second {
		t.Errorf("a frame stamped 50ms ago is %v old", d)
	}
	for name, b := range map[string]*v4l2Buffer{
		"unknown clock": stamp(50*time.Millisecond, 0),
		"copied stamp":  stamp(50*time.Millisecond, 0x4000),
		"future":        stamp(-time.Second, bufFlagTimestampMono),
		"ancient":       stamp(time.Hour, bufFlagTimestampMono),
	} {
		if got := captureTime(b, now); !got.Equal(now) {
			t.Errorf("%s: capture time %v, want now", name, now.Sub(got))
		}
	}
}
