package main

import (
	"bufio"
	"fmt"
	"image"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/dialtone/dialtone/device"
	"github.com/dialtone/dialtone/device/synthetic"
)

// The real binary in a real terminal, under Xvfb: the test pattern's own
// code reader must find the frame number and capture time in a screenshot,
// so real pixels, not placeholders, reached the screen.

func needXvfb(t *testing.T, tools ...string) {
	t.Helper()
	if testing.Short() {
		t.Skip("real-terminal tests are slow; not in -short")
	}
	for _, tool := range append([]string{"Xvfb", "import"}, tools...) {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s is not installed (make deps installs it)", tool)
		}
	}
	if newEngine == nil {
		t.Skip("this build has no call engine; nothing to call")
	}
}

// xvfb starts an X server of 800×600 on a free display and returns its
// name.
func xvfb(t *testing.T) string { return xvfbSized(t, "800x600") }

// xvfbSized is xvfb with a screen of size, "WxH".
func xvfbSized(t *testing.T, size string) string {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("Xvfb", "-displayfd", "3", "-screen", "0", size+"x24", "-nolisten", "tcp")
	cmd.ExtraFiles = []*os.File{w}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	w.Close()
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	// Xvfb writes the display number and a newline once it listens.
	line, err := bufio.NewReader(r).ReadString('\n')
	r.Close()
	if err != nil {
		t.Fatalf("Xvfb did not start: %v", err)
	}
	num, err := strconv.Atoi(strings.TrimSpace(line))
	if err != nil {
		t.Fatalf("Xvfb display %q: %v", line, err)
	}
	return fmt.Sprintf(":%d", num)
}

// screenshot takes the whole X screen.
func screenshot(t *testing.T, display, path string) image.Image {
	t.Helper()
	cmd := exec.Command("import", "-window", "root", path)
	cmd.Env = append(os.Environ(), "DISPLAY="+display)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("import: %v\n%s", err, out)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

// pictureIn finds the video picture in a screenshot: the first run of rows
// from the top with bright pixels (the terminal's background is black),
// and the columns they span, and returns it as a frame of w×h for the
// pattern's reader.
func pictureIn(img image.Image, w, h int) (device.Frame, bool) {
	b := img.Bounds()
	bright := func(x, y int) bool {
		r, g, bb, _ := img.At(x, y).RGBA()
		return r>>8+g>>8+bb>>8 > 120
	}
	top, bottom, left, right := -1, -1, b.Max.X, -1
	for y := b.Min.Y; y < b.Max.Y; y++ {
		any := false
		for x := b.Min.X; x < b.Max.X; x++ {
			if bright(x, y) {
				any = true
				left, right = min(left, x), max(right, x)
			}
		}
		if any && top < 0 {
			top = y
		}
		if !any && top >= 0 {
			bottom = y
			break
		}
	}
	if top < 0 || bottom-top < 40 || right-left < 40 {
		return device.Frame{}, false
	}
	f := device.NewFrame(w, h)
	for y := range h {
		for x := range w {
			sx := left + (2*x+1)*(right+1-left)/(2*w)
			sy := top + (2*y+1)*(bottom-top)/(2*h)
			r, g, bb, _ := img.At(sx, sy).RGBA()
			f.Y[y*w+x] = uint8((66*int(r>>8)+129*int(g>>8)+25*int(bb>>8)+128)>>8 + 16)
		}
	}
	for i := range f.U {
		f.U[i], f.V[i] = 128, 128
	}
	return f, true
}

// TestPhoneKittyUnderXvfb runs the phone in kitty (software GL) on Xvfb,
// dials the echo test with --video auto, and reads the echoed test
// pattern's frame number and capture time off a screenshot: kitty graphics
// were detected and real pixels reached the screen. The terminal is narrow
// enough (under 72 columns) that the self-view is left out and the whole
// picture, code band included, is the remote one.
func TestPhoneKittyUnderXvfb(t *testing.T) {
	needXvfb(t, "kitty")
	bin := binary(t)
	display := xvfb(t)
	dir := t.TempDir()
	sock := "unix:" + filepath.Join(dir, "kitty.sock")
	kitty := exec.Command("kitty", "-o", "allow_remote_control=yes", "--listen-on", sock,
		"-o", "initial_window_width=560", "-o", "initial_window_height=520", "-o", "remember_window_size=no",
		"-e", bin, "--config", filepath.Join(dir, "config.toml"), "--data", dir, "--number", "+12025550100",
		"--camera", "test", "--mic", "test", "--speaker", "none", "--video", "auto")
	kitty.Env = append(os.Environ(), "DISPLAY="+display, "LIBGL_ALWAYS_SOFTWARE=1", "TMUX=")
	if err := kitty.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { kitty.Process.Kill(); kitty.Wait() })
	send := func(text string) error {
		cmd := exec.Command("kitty", "@", "--to", sock, "send-text", text)
		cmd.Env = append(os.Environ(), "DISPLAY="+display)
		return cmd.Run()
	}
	// kitty's start and the phone's registration take a while on
	// software GL.
	waitLog(t, dir, "kitty graphics", "registered")
	if err := send(`600\r`); err != nil {
		t.Fatalf("kitty @ send-text: %v", err)
	}
	readPattern(t, display, "kitty")
	_ = send("hq")
}

// xtermFont is the font the xterm tests of cells use: DejaVu Sans Mono
// through Xft. xterm's default bitmap font "fixed" is, without
// xfonts-base, the X server's built-in one, which has no block elements:
// ▀, ▄, █ and the quadrants are drawn as nothing, each cell showing only
// its background colour (the quadrant test read the pattern anyway, off
// the backgrounds; half-blocks did not).
var xtermFont = []string{"-fa", "DejaVu Sans Mono", "-fs", "8"}

// TestPhoneSixelUnderXvfb is the same in xterm as a VT340 with 256
// colour registers, which answers DA1 with sixel: --video auto must pick
// sixel, and the pattern's code must read off the sixel picture. The
// latency is measured over a few readings, as a screenshot takes a while.
// The picture is pixels, not glyphs, so xterm's default font does here.
func TestPhoneSixelUnderXvfb(t *testing.T) {
	needXvfb(t, "xterm", "xdotool")
	bin := binary(t)
	display := xvfb(t)
	dir := t.TempDir()
	xterm := exec.Command("xterm", "-ti", "vt340", "-xrm", "XTerm*decTerminalID: vt340", "-xrm", "XTerm*numColorRegisters: 256",
		"-geometry", "70x36+0+0", "-u8", "-bg", "black", "-fg", "white", "-e", bin, "--config", filepath.Join(dir, "config.toml"),
		"--data", dir, "--number", "+12025550100", "--camera", "test", "--mic", "test", "--speaker", "none", "--video", "auto")
	xterm.Env = append(os.Environ(), "DISPLAY="+display, "LANG=C.UTF-8", "LC_ALL=C.UTF-8", "TMUX=", "TERM=xterm-256color")
	if err := xterm.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { xterm.Process.Kill(); xterm.Wait() })
	xdo := func(args ...string) error {
		cmd := exec.Command("xdotool", args...)
		cmd.Env = append(os.Environ(), "DISPLAY="+display)
		return cmd.Run()
	}
	waitLog(t, dir, "video=sixel", "registered")
	if err := xdo("mousemove", "100", "100"); err != nil {
		t.Fatal(err)
	}
	if err := xdo("type", "600"); err != nil {
		t.Fatal(err)
	}
	if err := xdo("key", "Return"); err != nil {
		t.Fatal(err)
	}
	var lats []time.Duration
	for range 3 {
		lats = append(lats, readPattern(t, display, "sixel"))
	}
	slices.Sort(lats)
	t.Logf("sixel display latency at most (to the screenshot's end): median %v of %v", lats[1].Round(time.Millisecond), lats)
	_ = xdo("type", "hq")
}

func containsAll(s string, subs ...string) bool {
	for _, sub := range subs {
		if !strings.Contains(s, sub) {
			return false
		}
	}
	return true
}

// TestPhoneXtermUnderXvfb is the same in xterm with cells, keys typed
// with xdotool: quadrants and half-blocks. The code band's 28 columns
// need about 4 screen pixels each: quadrants give that at 70 columns,
// where there is no self-view; half-blocks, one pixel a cell across, need
// 140 columns, and rows enough that the picture is as wide as the screen
// and the self-view (a fifth of the width, in the bottom right corner)
// falls below it, off the code band.
func TestPhoneXtermUnderXvfb(t *testing.T) {
	needXvfb(t, "xterm", "xdotool")
	bin := binary(t)
	for _, tc := range []struct{ video, geometry string }{
		{"quadrant", "70x36"},
		{"blocks", "140x84"},
	} {
		t.Run(tc.video, func(t *testing.T) {
			display := xvfbSized(t, "1280x1280")
			dir := t.TempDir()
			xterm := exec.Command("xterm", append(xtermFont, "-geometry", tc.geometry+"+0+0", "-u8", "-bg", "black", "-fg", "white",
				"-e", bin, "--config", filepath.Join(dir, "config.toml"), "--data", dir, "--number", "+12025550100",
				"--camera", "test", "--mic", "test", "--speaker", "none", "--video", tc.video)...)
			xterm.Env = append(os.Environ(), "DISPLAY="+display, "LANG=C.UTF-8", "LC_ALL=C.UTF-8", "TMUX=", "TERM=xterm-256color")
			if err := xterm.Start(); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { xterm.Process.Kill(); xterm.Wait() })
			xdo := func(args ...string) error {
				cmd := exec.Command("xdotool", args...)
				cmd.Env = append(os.Environ(), "DISPLAY="+display)
				return cmd.Run()
			}
			waitLog(t, dir, "registered")
			// No window manager: the key focus follows the pointer.
			if err := xdo("mousemove", "100", "100"); err != nil {
				t.Fatal(err)
			}
			if err := xdo("type", "600"); err != nil {
				t.Fatal(err)
			}
			if err := xdo("key", "Return"); err != nil {
				t.Fatal(err)
			}
			readPattern(t, display, "xterm-"+tc.video)
			_ = xdo("type", "hq")
		})
	}
}

// waitLog polls the phone's log until it has every one of want.
func waitLog(t *testing.T, dir string, want ...string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		log, _ := os.ReadFile(filepath.Join(dir, "dialtone.log"))
		if containsAll(string(log), want...) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the phone's log lacks %q:\n%s", want, log)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// readPattern takes screenshots until the test pattern's code reads, and
// returns the display latency: from the frame's capture to the end of the
// screenshot it was read from (the frame was on the screen by then; it
// may have come up during the screenshot, so the start bounds it from
// below). The last screenshot is kept as a test artifact.
func readPattern(t *testing.T, display, name string) time.Duration {
	t.Helper()
	shot := filepath.Join(t.ArtifactDir(), name+".png")
	deadline := time.Now().Add(30 * time.Second)
	for {
		taken := time.Now()
		img := screenshot(t, display, shot)
		done := time.Now()
		if f, ok := pictureIn(img, 320, 240); ok {
			if seq, at, ok := synthetic.DecodePattern(f); ok {
				lat := done.Sub(at)
				t.Logf("%s: frame %d read off the screen, captured %v to %v before it", name, seq,
					max(0, taken.Sub(at)).Round(time.Millisecond), lat.Round(time.Millisecond))
				if lat < 0 || lat > 10*time.Second {
					t.Errorf("capture time %v is not a recent frame's", at)
				}
				return lat
			}
		}
		if time.Now().After(deadline) {
			if keep := os.Getenv("DIALTONE_SCREENSHOT"); keep != "" {
				data, _ := os.ReadFile(shot)
				os.WriteFile(keep, data, 0o644)
			}
			t.Fatal("no readable test pattern on the screen (DIALTONE_SCREENSHOT=path keeps the last screenshot)")
		}
		time.Sleep(200 * time.Millisecond)
	}
}
