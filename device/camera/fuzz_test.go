package camera

import (
	"bytes"
	"image"
	"image/jpeg"
	"testing"

	"github.com/dialtone/dialtone/device"
)

// FuzzDecodeMJPEG feeds the MJPEG path, table insertion included, what a
// broken camera might send: it must fail cleanly, never panic.
func FuzzDecodeMJPEG(f *testing.F) {
	var buf bytes.Buffer
	jpeg.Encode(&buf, image.NewGray(image.Rect(0, 0, 8, 8)), nil)
	f.Add(buf.Bytes())
	f.Add(stripDHT(buf.Bytes()))
	f.Add([]byte{0xff, 0xd8, 0xff, 0xda})
	f.Add([]byte{0xff, 0xd8, 0xff, 0xe0, 0x00, 0x02, 0xff, 0xff, 0xff, 0xda, 0, 0})
	var d mjpegDecoder
	f.Fuzz(func(t *testing.T, b []byte) {
		fr := device.NewFrame(2, 2)
		if err := d.decode(&fr, b); err == nil {
			if len(fr.Y) != fr.Width*fr.Height || len(fr.U) != fr.Width*fr.Height/4 || fr.Width%2 != 0 || fr.Height%2 != 0 {
				t.Fatalf("bad frame %dx%d", fr.Width, fr.Height)
			}
		}
	})
}

func FuzzParseSpec(f *testing.F) {
	for _, s := range []string{"/dev/video0", "/dev/video0:640x480@30", "/dev/video0:@15", "x:1x1@1e309", ":"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		path, m, err := ParseSpec(s)
		if err != nil {
			return
		}
		if path == "" || m.Width < 0 || m.Width > maxDim || m.Height > maxDim || m.FPS < 0 || m.FPS > 1000 {
			t.Fatalf("ParseSpec(%q) = %q, %+v", s, path, m)
		}
	})
}
