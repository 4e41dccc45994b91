//go:build cgo

package vp8

import (
	"fmt"
	"testing"
	"time"

	"github.com/dialtone/dialtone/device"
)

var benchSizes = [][2]int{{320, 240}, {640, 480}}

// benchEncoders adds the thread count to the sizes: VP8's row threads wait
// for each other by spinning, which a busy machine punishes.
var benchEncoders = []struct{ w, h, threads int }{{320, 240, 1}, {640, 480, 1}, {640, 480, 2}}

// BenchmarkEncode is the cost of one frame of a moving scene at the default
// settings (speed 8, 500 kbit/s); at 30 fps a call spends 30× this per
// second on encoding.
func BenchmarkEncode(b *testing.B) {
	for _, c := range benchEncoders {
		b.Run(fmt.Sprintf("%dx%d/threads=%d", c.w, c.h, c.threads), func(b *testing.B) {
			frames := make([]device.Frame, 30)
			for i := range frames {
				frames[i] = scene(c.w, c.h, i, 2)
			}
			e := newEncoder(b, EncoderConfig{Width: c.w, Height: c.h, Threads: c.threads})
			bytes := 0
			b.ResetTimer()
			cpu := cpuTime()
			for i := 0; b.Loop(); i++ {
				f := frames[i%len(frames)]
				f.Time = t0.Add(time.Duration(i) * time.Second / 30)
				pkt, _, err := e.Encode(f, false)
				if err != nil {
					b.Fatal(err)
				}
				bytes += len(pkt)
			}
			reportCPU(b, cpu)
			b.ReportMetric(float64(bytes)/float64(b.N), "B/frame")
		})
	}
}

// BenchmarkDecode is the cost of decoding one frame of that stream and
// copying it out.
func BenchmarkDecode(b *testing.B) {
	for _, sz := range benchSizes {
		b.Run(fmt.Sprintf("%dx%d", sz[0], sz[1]), func(b *testing.B) {
			clip := encodeClip(b, sz[0], sz[1], 60)
			d := newDecoder(b)
			b.ResetTimer()
			cpu := cpuTime()
			for i := 0; b.Loop(); i++ {
				if _, _, err := d.Decode(clip[i%len(clip)]); err != nil {
					b.Fatal(err)
				}
			}
			reportCPU(b, cpu)
		})
	}
}
