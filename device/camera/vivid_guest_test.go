//go:build linux && amd64

package camera

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"math"
	"os"
	"path/filepath"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"github.com/dialtone/dialtone/device"
)

// The guest half of TestVivid: this test binary, run as /init in the VM. It
// loads vivid, drives the package against it and prints one vmRecord per
// check on the console; the host half judges them.

const (
	vmPrefix = "DIALTONE-VM "
	vmEnd    = "DIALTONE-VM-END"
)

type vmRecord struct {
	Check     string
	Err       string   `json:",omitempty"`
	ErrIs     string   `json:",omitempty"` // which of the package's errors it wraps
	ElapsedMS int64    `json:",omitempty"`
	Infos     []Info   `json:",omitempty"`
	Nodes     []string `json:",omitempty"` // every /dev/video* node
	Pixel     string   `json:",omitempty"`
	Choice    Choice
	Width     int
	Height    int
	Frames    []vmFrame `json:",omitempty"`
	// Bars is the mean Y, U, V of the middle of each of the eight colour
	// bars in the last rows of the last frame, below vivid's text.
	Bars [8][3]float64
}

type vmFrame struct {
	Hash         uint64
	YMean, YStd  float64
	CaptureNS    int64 // Frame.Time
	ReturnedNS   int64 // when ReadFrame returned
	ReadDuration int64
}

// vmFormats are the formats captured; vivid offers them all.
var vmFormats = []PixelFormat{YUYV, UYVY, NV12, NV21, I420, YV12, RGB24, BGR24}

func guestMain() {
	defer reboot()
	emit := func(r vmRecord) {
		b, _ := json.Marshal(r)
		fmt.Printf("%s%s\n", vmPrefix, b)
	}
	if err := guestSetup(); err != nil {
		emit(vmRecord{Check: "setup", Err: err.Error()})
		return
	}
	dev := "/dev/video0"
	emit(guestList(&dev))
	for _, p := range vmFormats {
		emit(guestCapture(dev, p))
	}
	emit(guestDefault(dev))
	emit(guestBusy(dev))
	emit(guestUnsupported(dev))
	for _, r := range guestStall(dev) {
		emit(r)
	}
	emit(guestUnplug(dev))
	fmt.Println(vmEnd)
}

func reboot() {
	unix.Sync()
	unix.Reboot(unix.LINUX_REBOOT_CMD_RESTART) // QEMU runs with -no-reboot, so it exits
}

func guestSetup() error {
	for _, m := range []struct{ src, dst, typ string }{{"devtmpfs", "/dev", "devtmpfs"}, {"proc", "/proc", "proc"}, {"sysfs", "/sys", "sysfs"}} {
		if err := unix.Mount(m.src, m.dst, m.typ, 0, ""); err != nil {
			return fmt.Errorf("mounting %s: %w", m.dst, err)
		}
	}
	order, err := os.ReadFile("/modules/order")
	if err != nil {
		return err
	}
	for _, m := range strings.Fields(string(order)) {
		f, err := os.Open(filepath.Join("/modules", m))
		if err != nil {
			return err
		}
		err = unix.FinitModule(int(f.Fd()), "", 0)
		f.Close()
		if err != nil && !errors.Is(err, unix.EEXIST) {
			return fmt.Errorf("loading %s: %w", m, err)
		}
	}
	return nil
}

func errIs(err error) string {
	for _, e := range []error{ErrBusy, ErrGone, ErrStalled, ErrMode, ErrNotCamera, device.ErrClosed, context.DeadlineExceeded, context.Canceled} {
		if errors.Is(err, e) {
			return e.Error()
		}
	}
	return ""
}

func errRecord(check string, err error) vmRecord {
	return vmRecord{Check: check, Err: err.Error(), ErrIs: errIs(err)}
}

func guestList(dev *string) vmRecord {
	r := vmRecord{Check: "list"}
	r.Nodes, _ = filepath.Glob("/dev/video*")
	infos, err := List()
	if err != nil {
		r.Err = err.Error()
	}
	r.Infos = infos
	if len(infos) > 0 {
		*dev = infos[0].Path
	}
	return r
}

func guestCapture(dev string, p PixelFormat) vmRecord {
	r := vmRecord{Check: "capture", Pixel: p.String()}
	cam, err := Open(dev+":320x180@30", WithPixelFormat(p), WithStallTimeout(20*time.Second))
	if err != nil {
		return errRecord(r.Check+" "+p.String(), err)
	}
	defer cam.Close()
	r.Choice = cam.Choice()
	var last device.Frame
	for range 4 {
		start := time.Now()
		f, err := cam.ReadFrame(context.Background())
		if err != nil {
			r.Err, r.ErrIs = err.Error(), errIs(err)
			return r
		}
		r.Width, r.Height = f.Width, f.Height
		r.Frames = append(r.Frames, frameStats(f, start))
		last = f
	}
	r.Bars = bars(last)

	return r
}

func frameStats(f device.Frame, start time.Time) vmFrame {
	now := time.Now()
	h := fnv.New64a()
	h.Write(f.Y)
	h.Write(f.U)
	h.Write(f.V)
	var sum, sq float64
	for _, y := range f.Y {
		sum += float64(y)
		sq += float64(y) * float64(y)
	}
	n := float64(len(f.Y))
	mean := sum / n
	return vmFrame{
		Hash: h.Sum64(), YMean: mean, YStd: math.Sqrt(max(sq/n-mean*mean, 0)),
		CaptureNS: f.Time.UnixNano(), ReturnedNS: now.UnixNano(), ReadDuration: int64(now.Sub(start)),
	}
}

func bars(f device.Frame) (b [8][3]float64) {
	cw := f.Width / 2
	for i := range 8 {
		x := (2*i + 1) * f.Width / 16
		var n float64
		for y := f.Height - 10; y < f.Height-2; y++ {
			for dx := -2; dx <= 2; dx += 2 {
				b[i][0] += float64(f.Y[y*f.Width+x+dx])
				b[i][1] += float64(f.U[y/2*cw+(x+dx)/2])
				b[i][2] += float64(f.V[y/2*cw+(x+dx)/2])
				n++
			}
		}
		for c := range 3 {
			b[i][c] /= n
		}
	}
	return b
}

// guestDefault opens with no mode: 640x480 at 30 fps, the cheapest format.
func guestDefault(dev string) vmRecord {
	cam, err := Open(dev)
	if err != nil {
		return errRecord("default", err)
	}
	defer cam.Close()
	r := vmRecord{Check: "default", Choice: cam.Choice()}
	f, err := cam.ReadFrame(context.Background())
	if err != nil {
		r.Err, r.ErrIs = err.Error(), errIs(err)
		return r
	}
	r.Width, r.Height = f.Width, f.Height
	return r
}

func guestBusy(dev string) vmRecord {
	a, err := Open(dev + ":320x180")
	if err != nil {
		return errRecord("busy: first open", err)
	}
	defer a.Close()
	b, err := Open(dev + ":320x180")
	if err == nil {
		b.Close()
		return vmRecord{Check: "busy"}
	}
	return errRecord("busy", err)
}

func guestUnsupported(dev string) vmRecord {
	cam, err := Open(dev, WithPixelFormat(MJPEG))
	if err == nil {
		cam.Close()
		return vmRecord{Check: "unsupported"}
	}
	return errRecord("unsupported", err)
}

// setControl sets a vivid control found by (part of) its name, through a
// second file descriptor as another program would.
func setControl(dev, name string, value int32) error {
	fd, err := unix.Open(dev, unix.O_RDWR|unix.O_NONBLOCK, 0)
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	id := uint32(0)
	for {
		q := v4l2Queryctrl{id: id | 0x80000000} // V4L2_CTRL_FLAG_NEXT_CTRL
		if err := ioctl(fd, vidiocQueryctrl, &q); err != nil {
			return fmt.Errorf("no control %q: %w", name, err)
		}
		id = q.id
		if strings.Contains(cstr(q.name[:]), name) {
			return ioctl(fd, vidiocSCtrl, &v4l2Control{id: q.id, value: value})
		}
	}
}

// guestStall makes vivid drop every buffer, then checks that ReadFrame gives
// up after the stall timeout, honours its context, and returns at Close.
func guestStall(dev string) []vmRecord {
	cam, err := Open(dev+":320x180", WithStallTimeout(time.Second))
	if err != nil {
		return []vmRecord{errRecord("stall: open", err)}
	}
	defer cam.Close()
	if _, err := cam.ReadFrame(context.Background()); err != nil {
		return []vmRecord{errRecord("stall: first frame", err)}
	}
	if err := setControl(dev, "Dropped Buffers", 100); err != nil {
		return []vmRecord{errRecord("stall: control", err)}
	}
	defer setControl(dev, "Dropped Buffers", 0)
	var out []vmRecord
	// Frames already queued before the control took effect come first.
	start := time.Now()
	for {
		start = time.Now()
		_, err = cam.ReadFrame(context.Background())
		if err != nil {
			break
		}
	}
	r := errRecord("stall", err)
	r.ElapsedMS = time.Since(start).Milliseconds()
	out = append(out, r)

	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start = time.Now()
	_, err = cam.ReadFrame(ctx)
	r = errRecord("stall: context", err)
	r.ElapsedMS = time.Since(start).Milliseconds()
	out = append(out, r)

	// Close from elsewhere while ReadFrame waits (the stall timeout is a
	// second; Close comes after a fifth of it).
	start = time.Now()
	t := time.AfterFunc(200*time.Millisecond, func() { cam.Close() })
	defer t.Stop()
	_, err = cam.ReadFrame(context.Background())
	r = errRecord("stall: close", err)
	r.ElapsedMS = time.Since(start).Milliseconds()
	return append(out, r)
}

// guestUnplug presses vivid's Disconnect button mid-stream: the device
// node goes away as when a USB camera is pulled out. It comes last.
func guestUnplug(dev string) vmRecord {
	cam, err := Open(dev + ":320x180")
	if err != nil {
		return errRecord("unplug: open", err)
	}
	if _, err := cam.ReadFrame(context.Background()); err != nil {
		return errRecord("unplug: first frame", err)
	}
	if err := setControl(dev, "Disconnect", 0); err != nil {
		return errRecord("unplug: control", err)
	}
	start := time.Now()
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		_, err = cam.ReadFrame(ctx)
		cancel()
		if err != nil {
			break
		}
	}
	r := errRecord("unplug", err)
	r.ElapsedMS = time.Since(start).Milliseconds()
	_, err = cam.ReadFrame(context.Background())
	if !errors.Is(err, ErrGone) {
		r.Err += fmt.Sprintf("; then %v", err)
	}
	done := make(chan error, 1)
	go func() { done <- cam.Close() }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		r.Err += "; Close hung"
	}
	return r
}
