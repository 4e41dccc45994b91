package videopane

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"syscall"
	"testing"
	"time"

	"github.com/dialtone/dialtone/device"
)

// readY4M reads a 4:2:0 y4m file's frames; just enough for a benchmark to
// play the video .ci/bench-timg gives timg.
func readY4M(b *testing.B, path string) []device.Frame {
	b.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		b.Fatal(err)
	}
	r := bufio.NewReader(bytes.NewReader(data))
	hdr, err := r.ReadString('\n')
	if err != nil {
		b.Fatal(err)
	}
	var w, h int
	if _, err := fmt.Sscanf(hdr, "YUV4MPEG2 W%d H%d", &w, &h); err != nil {
		b.Fatalf("y4m header %q: %v", hdr, err)
	}
	var frames []device.Frame
	for {
		if _, err := r.ReadString('\n'); err != nil {
			break
		}
		f := device.NewFrame(w, h)
		if _, err := io.ReadFull(r, f.Y); err != nil {
			break
		}
		io.ReadFull(r, f.U)
		io.ReadFull(r, f.V)
		frames = append(frames, f)
	}
	return frames
}

// BenchmarkPaintY4M plays the y4m file named by DIALTONE_Y4M through the
// painted video path (render the cells, paint the damage), for a side by
// side with timg playing the same file (.ci/bench-timg).
func BenchmarkPaintY4M(b *testing.B) {
	path := os.Getenv("DIALTONE_Y4M")
	if path == "" {
		b.Skip("DIALTONE_Y4M names no video (.ci/bench-timg sets it)")
	}
	frames := readY4M(b, path)
	for _, size := range [][2]int{{80, 24}, {160, 48}, {240, 70}} {
		b.Run(fmt.Sprintf("%dx%d", size[0], size[1]), func(b *testing.B) {
			r := NewRenderer(Config{})
			p := &Painter{Tolerance: DefaultTolerance}
			var g Grid
			var buf []byte
			total := 0
			cpu0 := cpuTime()
			for i := 0; b.Loop(); i++ {
				r.RenderGrid(&g, frames[i%len(frames)], size[0], size[1], TrueColor)
				buf = p.Paint(buf[:0], &g, 0, 0, TrueColor)
				total += len(buf)
			}
			cpu := cpuTime() - cpu0
			b.ReportMetric(float64(total)/float64(b.N), "B/frame")
			// CPU time, not wall time: on a busy machine the two differ,
			// and timg's figure is CPU time.
			b.ReportMetric(cpu.Seconds()/float64(b.N)*30*100, "cpu%@30fps")
		})
	}
}

// cpuTime is the process's user and system time so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
