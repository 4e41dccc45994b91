//go:build linux && amd64

package camera

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestMain(m *testing.M) {
	if os.Getpid() == 1 {
		guestMain() // this binary is the VM's /init
		return
	}
	os.Exit(m.Run())
}

// cannotRun skips a test that cannot run on this machine at all — but fails
// it under CI, where `make deps` has installed what it needs.
func cannotRun(t *testing.T, why string) {
	t.Helper()
	if os.Getenv("CI") != "" {
		t.Fatalf("%s (CI is set, and `make deps` should have provided it)", why)
	}
	t.Skipf("%s; `make deps` installs it (Debian: apt-get install qemu-system-x86)", why)
}

// TestVivid runs the package against a real V4L2 driver: it boots Debian's
// kernel in QEMU (software emulation) from an initramfs holding this test
// binary, built static, and the vivid virtual camera module with its
// dependencies; the binary, running as /init, loads them, drives the camera
// and reports on the serial console, which the test reads and judges.
func TestVivid(t *testing.T) {
	if testing.Short() {
		t.Skip("boots a VM; not in -short")
	}
	qemu, err := exec.LookPath("qemu-system-x86_64")
	if err != nil {
		cannotRun(t, "qemu-system-x86_64 is not on PATH (Debian package qemu-system-x86)")
	}
	cache, err := vmCacheDir()
	if err != nil {
		cannotRun(t, "no cache directory for the VM's kernel: "+err.Error())
	}
	if err := os.MkdirAll(cache, 0o755); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	k, err := cachedKernel(cache, t.Logf)
	if errors.Is(err, errNoVM) {
		cannotRun(t, err.Error())
	}
	if err != nil {
		t.Fatalf("getting the VM's kernel: %v", err)
	}
	t.Logf("kernel and %d modules ready in %v", len(k.modules), time.Since(start).Round(time.Millisecond))

	dir := t.TempDir()
	start = time.Now()
	initBin := filepath.Join(dir, "init")
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("go not on PATH: %v", err)
	}
	build := exec.Command(goBin, "test", "-c", "-o", initBin, ".")
	build.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH=amd64")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building the static test binary: %v\n%s", err, out)
	}
	initrd := filepath.Join(dir, "initrd.cpio.gz")
	if err := writeInitramfs(initrd, initBin, k); err != nil {
		t.Fatalf("writing the initramfs: %v", err)
	}
	t.Logf("static test binary and initramfs built in %v", time.Since(start).Round(time.Millisecond))

	start = time.Now()
	recs, console := bootVM(t, qemu, k.vmlinuz, initrd)
	t.Logf("VM booted, tested and stopped in %v", time.Since(start).Round(time.Millisecond))
	// The console of the last run, for a look after the fact.
	consoleFile := filepath.Join(cache, "last-console.txt")
	os.WriteFile(consoleFile, []byte(console), 0o644)
	if t.Failed() {
		t.Logf("console (also in %s):\n%s", consoleFile, console)
		return
	}
	judgeVivid(t, recs)
}

// bootVM runs QEMU to the end of the guest's checks and returns its records
// and, for failures, the console output.
func bootVM(t *testing.T, qemu, kernel, initrd string) (map[string][]vmRecord, string) {
	ctx, cancel := context.WithTimeout(t.Context(), 4*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, qemu,
		"-accel", "tcg", "-m", "512", "-smp", "1",
		"-kernel", kernel, "-initrd", initrd,
		"-append", "console=ttyS0 quiet panic=-1",
		"-nographic", "-no-reboot", "-nodefaults", "-serial", "stdio")
	var console, stderr bytes.Buffer
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		cannotRun(t, "starting QEMU: "+err.Error())
	}
	recs := map[string][]vmRecord{}
	ended := false
	sc := bufio.NewScanner(out)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		line := strings.TrimRight(sc.Text(), "\r")
		console.WriteString(line + "\n")
		if line == vmEnd {
			ended = true
		}
		// The kernel may have printed on the same line first.
		i := strings.Index(line, vmPrefix)
		if i < 0 {
			continue
		}
		js := line[i+len(vmPrefix):]
		var r vmRecord
		if err := json.Unmarshal([]byte(js), &r); err != nil {
			t.Errorf("bad record %q: %v", js, err)
			continue
		}
		recs[r.Check] = append(recs[r.Check], r)
	}
	err = cmd.Wait()
	switch {
	case ctx.Err() != nil:
		t.Errorf("the VM did not finish in time")
	case !ended:
		t.Errorf("the guest stopped before the end of its checks (QEMU: %v)", err)
	}
	console.Write(stderr.Bytes())
	return recs, console.String()
}

func judgeVivid(t *testing.T, recs map[string][]vmRecord) {
	one := func(t *testing.T, check string) vmRecord {
		t.Helper()
		rs := recs[check]
		if len(rs) != 1 {
			var got []string
			for k, v := range recs {
				if v[0].Err != "" {
					got = append(got, k+": "+v[0].Err)
				} else {
					got = append(got, k)
				}
			}
			t.Fatalf("want one %q record, have %d; all: %q", check, len(rs), got)
		}
		return rs[0]
	}
	t.Run("List", func(t *testing.T) {
		r := one(t, "list")
		if r.Err != "" || len(r.Infos) != 1 {
			t.Fatalf("List = %d devices, %q; want the one vivid capture node among %q", len(r.Infos), r.Err, r.Nodes)
		}
		if len(r.Nodes) < 2 {
			t.Errorf("vivid made only %q; the test wants its output node too, to see List leave it out", r.Nodes)
		}
		info := r.Infos[0]
		if info.Driver != "vivid" || info.Name == "" || info.Bus == "" {
			t.Errorf("device = %+v; want driver vivid with a name and bus", info)
		}
		offers := map[PixelFormat]bool{}
		for _, f := range info.Formats {
			offers[f.Pixel] = true
			if f.Pixel == YUYV && (len(f.Sizes) < 2 || len(f.Sizes[0].Intervals) < 2) {
				t.Errorf("YUYV sizes %+v: want several, with several rates", f.Sizes)
			}
		}
		for _, p := range vmFormats {
			if !offers[p] {
				t.Errorf("vivid does not offer %s; it offers %s", p, offered(info.Formats))
			}
		}
		t.Logf("%s (%s, %s): %s", info.Path, info.Name, info.Driver, offered(info.Formats))
	})
	var ref [8][3]float64
	for i, p := range vmFormats {
		t.Run("Capture/"+p.String(), func(t *testing.T) {
			var r vmRecord
			for _, c := range recs["capture"] {
				if c.Pixel == p.String() {
					r = c
				}
			}
			if r.Check == "" {
				t.Fatalf("no capture: %v", recs["capture "+p.String()])
			}
			if r.Err != "" {
				t.Fatalf("capture: %s", r.Err)
			}
			checkCapture(t, r, p)
			if i == 0 {
				ref = r.Bars
				checkBars(t, r.Bars)
				return
			}
			// Every format carries the same colour bars; after conversion they
			// agree with YUYV's (chroma at 4:2:0 and RGB rounding cost a few
			// levels).
			for b := range 8 {
				for c := range 3 {
					if d := math.Abs(r.Bars[b][c] - ref[b][c]); d > 4 {
						t.Errorf("bar %d plane %d = %.1f, YUYV's %.1f", b, c, r.Bars[b][c], ref[b][c])
					}
				}
			}
		})
	}
	t.Run("Default", func(t *testing.T) {
		r := one(t, "default")
		if r.Err != "" {
			t.Fatal(r.Err)
		}
		// vivid's webcam gives 640x480 at 25 fps at most.
		if r.Width != 640 || r.Height != 480 || r.Choice.Interval.FPS() != 25 || cost[r.Choice.Pixel] != 0 {
			t.Errorf("Open(dev) chose %v, frames %dx%d; want a planar 640x480@25", r.Choice, r.Width, r.Height)
		}
	})
	t.Run("Busy", func(t *testing.T) {
		r := one(t, "busy")
		if r.ErrIs != ErrBusy.Error() || !strings.Contains(r.Err, "/dev/video") {
			t.Errorf("second Open: %q; want ErrBusy naming the device", r.Err)
		}
	})
	t.Run("Unsupported", func(t *testing.T) {
		r := one(t, "unsupported")
		if r.ErrIs != ErrMode.Error() || !strings.Contains(r.Err, "YUYV 320x180@60 640x360@40") {
			t.Errorf("Open with MJPEG: %q; want ErrMode listing what vivid offers", r.Err)
		}
	})
	t.Run("Stall", func(t *testing.T) {
		r := one(t, "stall")
		if r.ErrIs != ErrStalled.Error() || !strings.Contains(r.Err, "no frames for 1s") || r.ElapsedMS < 900 || r.ElapsedMS > 3000 {
			t.Errorf("ReadFrame on a stalled device: %q after %d ms; want ErrStalled after about 1 s", r.Err, r.ElapsedMS)
		}
		r = one(t, "stall: context")
		if r.ErrIs != context.DeadlineExceeded.Error() || r.ElapsedMS > 900 {
			t.Errorf("ReadFrame with a 200 ms context: %q after %d ms", r.Err, r.ElapsedMS)
		}
		r = one(t, "stall: close")
		if r.ErrIs != "device closed" || r.ElapsedMS > 900 {
			t.Errorf("ReadFrame during Close: %q after %d ms; want device.ErrClosed at once", r.Err, r.ElapsedMS)
		}
	})
	t.Run("Unplug", func(t *testing.T) {
		r := one(t, "unplug")
		if r.ErrIs != ErrGone.Error() || strings.Contains(r.Err, ";") || r.ElapsedMS > 5000 {
			t.Errorf("ReadFrame after unplugging: %q after %d ms; want ErrGone, promptly and for good", r.Err, r.ElapsedMS)
		}
	})
}

func checkCapture(t *testing.T, r vmRecord, p PixelFormat) {
	t.Helper()
	if r.Choice.Pixel != p || r.Choice.Width != 320 || r.Choice.Height != 180 {
		t.Errorf("chose %v; want %s 320x180", r.Choice, p)
	}
	if r.Width != 320 || r.Height != 180 || len(r.Frames) != 4 {
		t.Fatalf("got %d frames of %dx%d", len(r.Frames), r.Width, r.Height)
	}
	hashes := map[uint64]bool{}
	for i, f := range r.Frames {
		hashes[f.Hash] = true
		if f.YStd < 20 {
			t.Errorf("frame %d: Y mean %.1f, deviation %.1f: blank", i, f.YMean, f.YStd)
		}
		// The capture time must be on the clock frames are returned on
		// (a wrong clock is off by years, not seconds); the bound leaves
		// room for an emulated VM on a loaded host, where a frame can wait
		// over a second before the guest runs again.
		if age := time.Duration(f.ReturnedNS - f.CaptureNS); age < 0 || age > 15*time.Second {
			t.Errorf("frame %d: returned %v after its capture time", i, age)
		}
		if i > 0 && f.CaptureNS <= r.Frames[i-1].CaptureNS {
			t.Errorf("frame %d: capture time does not advance", i)
		}
	}
	if len(hashes) < 3 {
		t.Errorf("%d distinct frames of 4: the picture does not change", len(hashes))
	}
}

// checkBars checks YUYV's bars against vivid's 75% colour bars in BT.601
// limited range (white, yellow, cyan, green, magenta, red, blue, black).
func checkBars(t *testing.T, bars [8][3]float64) {
	t.Helper()
	want := [8][3]float64{
		{180, 128, 128}, {162, 44, 142}, {131, 156, 44}, {112, 72, 58},
		{84, 184, 198}, {65, 100, 212}, {35, 212, 114}, {16, 128, 128},
	}
	for b := range 8 {
		for c := range 3 {
			if d := math.Abs(bars[b][c] - want[b][c]); d > 6 {
				t.Errorf("YUYV bar %d plane %d = %.1f, want about %.0f (bars %v)", b, c, bars[b][c], want[b][c], bars)
			}
		}
	}
}
