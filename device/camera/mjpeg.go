package camera

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/jpeg"
	"math"

	"github.com/dialtone/dialtone/device"
)

// JPEG is full range (JFIF); frames are BT.601 limited range. These tables
// squeeze luma into 16…235 and chroma into 16…240.
var jpegY, jpegC [256]byte

func init() {
	for i := range 256 {
		jpegY[i] = byte(math.Round(16 + float64(i)*219/255))
		jpegC[i] = byte(math.Round(128 + (float64(i)-128)*224/255))
	}
}

// mjpegDecoder decodes MJPEG frames, reusing what it can between frames.
type mjpegDecoder struct {
	r   bytes.Reader
	fix []byte // the frame with Huffman tables added, when it lacked them
}

// decode decodes one MJPEG buffer into dst. A picture of another size than
// dst (even-cropped) reallocates dst, so a camera that changes size
// mid-stream is followed rather than refused.
func (d *mjpegDecoder) decode(dst *device.Frame, src []byte) error {
	src, d.fix = withHuffmanTables(src, d.fix[:0])
	d.r.Reset(src)
	img, err := jpeg.Decode(&d.r)
	if err != nil {
		return fmt.Errorf("decoding MJPEG: %w", err)
	}
	b := img.Bounds()
	w, h := evenSize(b.Dx(), b.Dy())
	if w < 2 || h < 2 {
		return fmt.Errorf("decoding MJPEG: picture %dx%d too small", b.Dx(), b.Dy())
	}
	if w != dst.Width || h != dst.Height {
		*dst = device.NewFrame(w, h)
	}
	switch img := img.(type) {
	case *image.YCbCr:
		ycbcrToI420(dst, img)
	case *image.Gray:
		for y := range h {
			row := img.Pix[y*img.Stride : y*img.Stride+w]
			out := dst.Y[y*w : y*w+w]
			for x, p := range row {
				out[x] = jpegY[p]
			}
		}
		fill(dst.U, 128)
		fill(dst.V, 128)
	default:
		return fmt.Errorf("decoding MJPEG: unsupported colour model %T", img)
	}
	return nil
}

func fill(b []byte, v byte) {
	for i := range b {
		b[i] = v
	}
}

// ycbcrToI420 converts a decoded JPEG to limited range and subsamples its
// chroma to 4:2:0 by averaging (4:2:2 over row pairs, 4:4:4 over 2×2 blocks,
// 4:4:0 over column pairs); rarer subsamplings take the nearest sample.
func ycbcrToI420(dst *device.Frame, img *image.YCbCr) {
	w, h := dst.Width, dst.Height
	cw, ch := w/2, h/2
	for y := range h {
		row := img.Y[y*img.YStride : y*img.YStride+w]
		out := dst.Y[y*w : y*w+w]
		for x, p := range row {
			out[x] = jpegY[p]
		}
	}
	cs := img.CStride
	for cy := range ch {
		du, dv := dst.U[cy*cw:cy*cw+cw], dst.V[cy*cw:cy*cw+cw]
		switch img.SubsampleRatio {
		case image.YCbCrSubsampleRatio420:
			cb, cr := img.Cb[cy*cs:cy*cs+cw], img.Cr[cy*cs:cy*cs+cw]
			for x := range cw {
				du[x], dv[x] = jpegC[cb[x]], jpegC[cr[x]]
			}
		case image.YCbCrSubsampleRatio422:
			o0, o1 := 2*cy*cs, (2*cy+1)*cs
			for x := range cw {
				du[x] = jpegC[avg2(img.Cb[o0+x], img.Cb[o1+x])]
				dv[x] = jpegC[avg2(img.Cr[o0+x], img.Cr[o1+x])]
			}
		case image.YCbCrSubsampleRatio444:
			o0, o1 := 2*cy*cs, (2*cy+1)*cs
			for x := range cw {
				du[x] = jpegC[avg4(img.Cb[o0+2*x:], img.Cb[o1+2*x:])]
				dv[x] = jpegC[avg4(img.Cr[o0+2*x:], img.Cr[o1+2*x:])]
			}
		case image.YCbCrSubsampleRatio440:
			o := cy * cs
			for x := range cw {
				du[x] = jpegC[avg2(img.Cb[o+2*x], img.Cb[o+2*x+1])]
				dv[x] = jpegC[avg2(img.Cr[o+2*x], img.Cr[o+2*x+1])]
			}
		default:
			for x := range cw {
				i := img.COffset(2*x, 2*cy)
				du[x], dv[x] = jpegC[img.Cb[i]], jpegC[img.Cr[i]]
			}
		}
	}
}

func avg2(a, b byte) byte { return byte((uint(a) + uint(b) + 1) >> 1) }

func avg4(r0, r1 []byte) byte {
	return byte((uint(r0[0]) + uint(r0[1]) + uint(r1[0]) + uint(r1[1]) + 2) >> 2)
}

var errNoSOS = errors.New("no start of scan")

// withHuffmanTables returns src, or — when src has no DHT segment before its
// scan, as many UVC cameras send MJPEG (the tables are implied by the AVI1
// convention) — a copy in buf with the standard tables inserted before the
// scan. image/jpeg refuses a scan without tables.
func withHuffmanTables(src, buf []byte) (out, scratch []byte) {
	sos, err := findSOS(src)
	if err != nil || sos < 0 {
		return src, buf // let the decoder report the damage
	}
	buf = append(buf, src[:sos]...)
	buf = append(buf, standardDHT...)
	buf = append(buf, src[sos:]...)
	return buf, buf
}

// findSOS walks the marker segments from SOI and returns the offset of the
// SOS marker, or -1 when a DHT segment comes first.
func findSOS(b []byte) (int, error) {
	if len(b) < 4 || b[0] != 0xff || b[1] != 0xd8 {
		return 0, errors.New("no start of image")
	}
	i := 2
	for i+4 <= len(b) {
		if b[i] != 0xff {
			return 0, errors.New("bad marker")
		}
		m := b[i+1]
		switch {
		case m == 0xff: // fill byte
			i++
			continue
		case m == 0xda:
			return i, nil
		case m == 0xc4:
			return -1, nil
		case m == 0x01 || (m >= 0xd0 && m <= 0xd8):
			i += 2
			continue
		}
		i += 2 + (int(b[i+2])<<8 | int(b[i+3]))
	}
	return 0, errNoSOS
}

// standardDHT is one DHT segment holding the four Huffman tables of ITU T.81
// Annex K.3 (luminance and chrominance, DC and AC), built from the counts of
// codes per length and the symbol lists given there.
var standardDHT = func() []byte {
	tables := []struct {
		class byte // 0 DC, 1 AC; low nibble: table id
		bits  [16]byte
		vals  []byte
	}{
		{0x00, [16]byte{0, 1, 5, 1, 1, 1, 1, 1, 1}, seq(0, 11)},
		{0x10, [16]byte{0, 2, 1, 3, 3, 2, 4, 3, 5, 5, 4, 4, 0, 0, 1, 0x7d}, acLuma()},
		{0x01, [16]byte{0, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1}, seq(0, 11)},
		{0x11, [16]byte{0, 2, 1, 2, 4, 4, 3, 4, 7, 5, 4, 4, 0, 1, 2, 0x77}, acChroma()},
	}
	var body []byte
	for _, t := range tables {
		body = append(body, t.class)
		body = append(body, t.bits[:]...)
		body = append(body, t.vals...)
	}
	n := len(body) + 2
	return append([]byte{0xff, 0xc4, byte(n >> 8), byte(n)}, body...)
}()

func seq(lo, hi byte) []byte {
	var s []byte
	for v := lo; v <= hi; v++ {
		s = append(s, v)
	}
	return s
}

// acRuns appends, for each high nibble in his, the symbols hi<<4|lo for lo
// in from…10 (a run length and a coefficient size of 1…10 bits).
func acRuns(s []byte, from byte, his ...byte) []byte {
	for _, hi := range his {
		for lo := from; lo <= 0x0a; lo++ {
			s = append(s, hi<<4|lo)
		}
	}
	return s
}

func acLuma() []byte {
	s := []byte{
		0x01, 0x02, 0x03, 0x00, 0x04, 0x11, 0x05, 0x12, 0x21, 0x31, 0x41, 0x06, 0x13, 0x51, 0x61, 0x07,
		0x22, 0x71, 0x14, 0x32, 0x81, 0x91, 0xa1, 0x08, 0x23, 0x42, 0xb1, 0xc1, 0x15, 0x52, 0xd1, 0xf0,
		0x24, 0x33, 0x62, 0x72, 0x82, 0x09, 0x0a, 0x16, 0x17, 0x18, 0x19, 0x1a, 0x25, 0x26, 0x27, 0x28,
		0x29, 0x2a, 0x34, 0x35, 0x36, 0x37, 0x38, 0x39, 0x3a,
	}
	s = acRuns(s, 3, 4, 5, 6, 7, 8)
	s = acRuns(s, 2, 9, 0xa, 0xb, 0xc, 0xd)
	return acRuns(s, 1, 0xe, 0xf)
}

func acChroma() []byte {
	s := []byte{
		0x00, 0x01, 0x02, 0x03, 0x11, 0x04, 0x05, 0x21, 0x31, 0x06, 0x12, 0x41, 0x51, 0x07, 0x61, 0x71,
		0x13, 0x22, 0x32, 0x81, 0x08, 0x14, 0x42, 0x91, 0xa1, 0xb1, 0xc1, 0x09, 0x23, 0x33, 0x52, 0xf0,
		0x15, 0x62, 0x72, 0xd1, 0x0a, 0x16, 0x24, 0x34, 0xe1, 0x25, 0xf1, 0x17, 0x18, 0x19, 0x1a, 0x26,
		0x27, 0x28, 0x29, 0x2a, 0x35, 0x36, 0x37, 0x38, 0x39, 0x3a,
	}
	s = acRuns(s, 3, 4, 5, 6, 7)
	s = acRuns(s, 2, 8, 9, 0xa, 0xb, 0xc, 0xd, 0xe, 0xf)
	return s
}
