package videopane

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"image/jpeg"
	"regexp"
	"strconv"
	"testing"

	"github.com/dialtone/dialtone/device"
)

// TestITermRoundTrip: the payload is a JPEG of the frame at its own size,
// its size said in size=, the picture stretched to the rectangle's cells,
// close to the frame when decoded.
func TestITermRoundTrip(t *testing.T) {
	f := movingFrame(96, 72, 2)
	it := &ITerm{}
	out := string(it.Append(nil, f, Rect{Col: 3, Row: 2, Cols: 20, Rows: 8}))
	m := regexp.MustCompile(`^\x1b\[3;4H\x1b\]1337;File=inline=1;size=(\d+);width=20;height=8;preserveAspectRatio=0;doNotMoveCursor=1:([A-Za-z0-9+/=]+)\a$`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("not one inline image at the rectangle: %q", out[:min(120, len(out))])
	}
	data, err := base64.StdEncoding.DecodeString(m[2])
	if err != nil {
		t.Fatal(err)
	}
	if n, _ := strconv.Atoi(m[1]); n != len(data) {
		t.Errorf("size=%d, payload of %d bytes", n, len(data))
	}
	img, err := jpeg.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	if b := img.Bounds(); b.Dx() != 96 || b.Dy() != 72 {
		t.Fatalf("JPEG of %v, want the frame's 96x72", b)
	}
	var got, want []uint32
	for y := range 72 {
		for x := range 96 {
			r, g, b, _ := img.At(x, y).RGBA()
			got = append(got, r>>8<<16|g>>8<<8|b>>8)
			rr, gg, bb := yuvToRGB(f.Y[y*96+x], f.U[y/2*48+x/2], f.V[y/2*48+x/2])
			want = append(want, uint32(rr)<<16|uint32(gg)<<8|uint32(bb))
		}
	}
	if p := psnrRGB(got, want); p < 30 {
		t.Errorf("PSNR %.1f dB against the frame, want at least 30", p)
	} else {
		t.Logf("%d bytes of JPEG, PSNR %.1f dB", len(data), p)
	}
}

// TestITermGolden pins the escape sequence for a tiny frame.
func TestITermGolden(t *testing.T) {
	f := frameOf(16, 8, func(x, y int) (int, int, int) { return x * 15, y * 30, 100 })
	golden(t, "iterm.golden", fmt.Sprintf("%q\n", (&ITerm{}).Append(nil, f, Rect{Col: 2, Row: 1, Cols: 8, Rows: 2})))
}

func BenchmarkITerm(b *testing.B) {
	for _, size := range [][2]int{{320, 240}, {640, 480}} {
		b.Run(fmt.Sprintf("%dx%d", size[0], size[1]), func(b *testing.B) {
			frames := []device.Frame{movingFrame(size[0], size[1], 0), movingFrame(size[0], size[1], 1)}
			it := &ITerm{}
			var buf []byte
			total := 0
			for i := 0; b.Loop(); i++ {
				buf = it.Append(buf[:0], frames[i%2], Rect{Cols: 160, Rows: 48})
				total += len(buf)
			}
			b.ReportMetric(float64(total)/float64(b.N), "B/frame")
		})
	}
}
