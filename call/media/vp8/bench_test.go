//go:build cgo

package vp8

import (
	"fmt"
	"testing"
	"time"

	"github.com/dialtone/dialtone/device"
)

var benchSizes = [][2]int{{320, 240}, {640, 480}}

// BenchmarkEncode is the cost of one frame of a moving scene at the default
// settings (speed 8, 500 kbit/s); at 30 fps a call spends 30× this per
// second on encoding.
func BenchmarkEncode(b *testing.B) {
	for _, sz := range benchSizes {
		b.Run(fmt.Sprintf("%dx%d", sz[0], sz[1]), func(b *testing.B) {
			frames := make([]device.Frame, 30)
			for i := range frames {
				frames[i] = scene(sz[0], sz[1], i, 2)
			}
			e := newEncoder(b, EncoderConfig{Width: sz[0], Height: sz[1]})
			bytes := 0
			b.ResetTimer()
			for i := 0; b.Loop(); i++ {
				f := frames[i%len(frames)]
				f.Time = t0.Add(time.Duration(i) * time.Second / 30)
				pkt, _, err := e.Encode(f, false)
				if err != nil {
					b.Fatal(err)
				}
				bytes += len(pkt)
			}
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
			for i := 0; b.Loop(); i++ {
				if _, _, err := d.Decode(clip[i%len(clip)]); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
