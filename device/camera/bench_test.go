package camera

import (
	"testing"

	"github.com/dialtone/dialtone/device"
)

func BenchmarkYUYVToI420(b *testing.B) {
	const w, h = 640, 480
	src := make([]byte, 2*w*h)
	for i := range src {
		src[i] = byte(i * 7)
	}
	f := device.NewFrame(w, h)
	b.SetBytes(int64(len(src)))
	b.ReportAllocs()
	for b.Loop() {
		if err := yuyvToI420(&f, src, layout{w, h, 2 * w}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkNV12ToI420(b *testing.B) {
	const w, h = 640, 480
	src := make([]byte, w*h*3/2)
	f := device.NewFrame(w, h)
	b.SetBytes(int64(len(src)))
	b.ReportAllocs()
	for b.Loop() {
		if err := semiPlanarToI420(&f, src, layout{w, h, w}, false); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkMJPEGDecode(b *testing.B) {
	for _, tables := range []string{"with tables", "tables added"} {
		b.Run(tables, func(b *testing.B) {
			frame := encodeJPEG(b, testPicture(640, 480))
			if tables == "tables added" {
				frame = stripDHT(frame)
			}
			var d mjpegDecoder
			f := device.NewFrame(640, 480)
			b.SetBytes(int64(len(frame)))
			b.ReportAllocs()
			for b.Loop() {
				if err := d.decode(&f, frame); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
