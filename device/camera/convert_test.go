package camera

import (
	"bytes"
	"image"
	"image/jpeg"
	"math/rand/v2"
	"testing"

	"github.com/dialtone/dialtone/device"
)

// A 4x2 YUYV picture: two macropixels per row, Y counting up, chroma
// different in each row so the averaging shows.
func TestYUYVKnownPicture(t *testing.T) {
	src := []byte{
		10, 100, 11, 200, 12, 50, 13, 60, //  Y0 U Y1 V
		20, 101, 21, 202, 22, 55, 23, 61,
	}
	f := device.NewFrame(4, 2)
	if err := yuyvToI420(&f, src, layout{4, 2, 8}); err != nil {
		t.Fatal(err)
	}
	wantY := []byte{10, 11, 12, 13, 20, 21, 22, 23}
	wantU := []byte{101, 53} // (100+101+1)/2, (50+55+1)/2
	wantV := []byte{201, 61} // (200+202+1)/2, (60+61+1)/2
	if !bytes.Equal(f.Y, wantY) || !bytes.Equal(f.U, wantU) || !bytes.Equal(f.V, wantV) {
		t.Errorf("got Y %v U %v V %v; want %v %v %v", f.Y, f.U, f.V, wantY, wantU, wantV)
	}
	// The same picture as UYVY.
	uyvy := make([]byte, len(src))
	for i := 0; i < len(src); i += 2 {
		uyvy[i], uyvy[i+1] = src[i+1], src[i]
	}
	g := device.NewFrame(4, 2)
	if err := uyvyToI420(&g, uyvy, layout{4, 2, 8}); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(g.Y, wantY) || !bytes.Equal(g.U, wantU) || !bytes.Equal(g.V, wantV) {
		t.Errorf("UYVY: got Y %v U %v V %v", g.Y, g.U, g.V)
	}
}

// randomFrame is an I420 picture with independent random planes.
func randomFrame(w, h int, seed uint64) device.Frame {
	r := rand.New(rand.NewPCG(seed, 1))
	f := device.NewFrame(w, h)
	for _, p := range [][]byte{f.Y, f.U, f.V} {
		for i := range p {
			p[i] = byte(r.UintN(256))
		}
	}
	return f
}

// The layouts V4L2 gives, made from a known I420 picture with padded lines
// and an odd extra row and column (which the conversion must crop), convert
// back to exactly that picture.
func TestPlanarLayoutsRoundTrip(t *testing.T) {
	const w, h = 6, 4
	want := randomFrame(w, h, 1)
	srcW, srcH := w+1, h+1 // odd capture size
	stride := 10           // padded lines
	cw, ch := w/2, h/2
	junk := byte(0xee)
	planeOf := func(rows, stride int) []byte { return bytes.Repeat([]byte{junk}, rows*stride) }

	type maker func() ([]byte, func(*device.Frame, []byte, layout) error)
	cases := map[string]maker{
		"NV12": func() ([]byte, func(*device.Frame, []byte, layout) error) {
			y, c := planeOf(srcH, stride), planeOf((srcH+1)/2, stride)
			for r := range h {
				copy(y[r*stride:], want.Y[r*w:(r+1)*w])
			}
			for r := range ch {
				for i := range cw {
					c[r*stride+2*i], c[r*stride+2*i+1] = want.U[r*cw+i], want.V[r*cw+i]
				}
			}
			return append(y, c...), converter(NV12)
		},
		"NV21": func() ([]byte, func(*device.Frame, []byte, layout) error) {
			y, c := planeOf(srcH, stride), planeOf((srcH+1)/2, stride)
			for r := range h {
				copy(y[r*stride:], want.Y[r*w:(r+1)*w])
			}
			for r := range ch {
				for i := range cw {
					c[r*stride+2*i], c[r*stride+2*i+1] = want.V[r*cw+i], want.U[r*cw+i]
				}
			}
			return append(y, c...), converter(NV21)
		},
		"I420": func() ([]byte, func(*device.Frame, []byte, layout) error) {
			return planar(want, srcH, stride, false), converter(I420)
		},
		"YV12": func() ([]byte, func(*device.Frame, []byte, layout) error) {
			return planar(want, srcH, stride, true), converter(YV12)
		},
	}
	for name, make := range cases {
		t.Run(name, func(t *testing.T) {
			src, conv := make()
			got := device.NewFrame(evenSize(srcW, srcH))
			if err := conv(&got, src, layout{srcW, srcH, stride}); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got.Y, want.Y) || !bytes.Equal(got.U, want.U) || !bytes.Equal(got.V, want.V) {
				t.Errorf("got %v %v %v\nwant %v %v %v", got.Y, got.U, got.V, want.Y, want.U, want.V)
			}
			if err := conv(&got, src[:len(src)/2], layout{srcW, srcH, stride}); err == nil {
				t.Error("a short buffer converted without error")
			}
		})
	}
}

func planar(f device.Frame, srcH, stride int, swap bool) []byte {
	w, h, cs := f.Width, f.Height, stride/2
	y := bytes.Repeat([]byte{0xee}, srcH*stride)
	u := bytes.Repeat([]byte{0xee}, (srcH+1)/2*cs)
	v := bytes.Repeat([]byte{0xee}, (srcH+1)/2*cs)
	for r := range h {
		copy(y[r*stride:], f.Y[r*w:(r+1)*w])
	}
	for r := range h / 2 {
		copy(u[r*cs:], f.U[r*w/2:(r+1)*w/2])
		copy(v[r*cs:], f.V[r*w/2:(r+1)*w/2])
	}
	if swap {
		u, v = v, u
	}
	return append(append(y, u...), v...)
}

// YUYV with padded lines and an odd height against a plain per-pixel
// reading of the format.
func TestYUYVStrideAndCrop(t *testing.T) {
	const srcW, srcH, stride = 8, 5, 20
	r := rand.New(rand.NewPCG(2, 2))
	src := make([]byte, srcH*stride)
	for i := range src {
		src[i] = byte(r.UintN(256))
	}
	f := device.NewFrame(evenSize(srcW, srcH))
	if err := yuyvToI420(&f, src, layout{srcW, srcH, stride}); err != nil {
		t.Fatal(err)
	}
	for y := range f.Height {
		for x := range f.Width {
			if got, want := f.Y[y*f.Width+x], src[y*stride+2*x]; got != want {
				t.Fatalf("Y(%d,%d) = %d, want %d", x, y, got, want)
			}
		}
	}
	for cy := range f.Height / 2 {
		for cx := range f.Width / 2 {
			for k, plane := range [][]byte{f.U, f.V} {
				a, b := int(src[2*cy*stride+4*cx+1+2*k]), int(src[(2*cy+1)*stride+4*cx+1+2*k])
				if got, want := int(plane[cy*f.Width/2+cx]), (a+b+1)/2; got != want {
					t.Fatalf("chroma %d (%d,%d) = %d, want %d", k, cx, cy, got, want)
				}
			}
		}
	}
	if err := yuyvToI420(&f, src[:3*stride], layout{srcW, srcH, stride}); err == nil {
		t.Error("a short buffer converted without error")
	}
}

// 2×2 blocks of pure colours come out as their BT.601 limited-range values.
func TestRGBKnownColours(t *testing.T) {
	colours := []struct {
		r, g, b byte
		y, u, v byte
	}{
		{255, 255, 255, 235, 128, 128},
		{0, 0, 0, 16, 128, 128},
		{255, 0, 0, 82, 90, 240},
		{0, 255, 0, 144, 54, 34},
		{0, 0, 255, 41, 240, 110},
		{128, 128, 128, 126, 128, 128},
	}
	w, h := 2*len(colours), 2
	for _, bgr := range []bool{false, true} {
		src := make([]byte, 3*w*h)
		for y := range h {
			for x := range w {
				c := colours[x/2]
				p := src[3*(y*w+x):]
				p[0], p[1], p[2] = c.r, c.g, c.b
				if bgr {
					p[0], p[2] = c.b, c.r
				}
			}
		}
		f := device.NewFrame(w, h)
		conv := converter(RGB24)
		if bgr {
			conv = converter(BGR24)
		}
		if err := conv(&f, src, layout{w, h, 3 * w}); err != nil {
			t.Fatal(err)
		}
		for i, c := range colours {
			if f.Y[2*i] != c.y || f.Y[w+2*i+1] != c.y || f.U[i] != c.u || f.V[i] != c.v {
				t.Errorf("bgr=%v: RGB(%d,%d,%d) → Y %d U %d V %d, want %d %d %d",
					bgr, c.r, c.g, c.b, f.Y[2*i], f.U[i], f.V[i], c.y, c.u, c.v)
			}
		}
	}
}

// testPicture is a picture with smooth gradients and hard edges, which JPEG
// keeps well at high quality.
func testPicture(w, h int) *image.YCbCr {
	img := image.NewYCbCr(image.Rect(0, 0, w, h), image.YCbCrSubsampleRatio420)
	for y := range h {
		for x := range w {
			img.Y[img.YOffset(x, y)] = byte(x * 255 / w)
			if (x/16+y/16)%2 == 0 && y > h/2 {
				img.Y[img.YOffset(x, y)] = 200
			}
			i := img.COffset(x, y)
			img.Cb[i], img.Cr[i] = byte(y*255/h), byte(255-x*255/w)
		}
	}
	return img
}

// fullToLimited is the expected frame for a full-range JPEG picture.
func fullToLimited(img *image.YCbCr) device.Frame {
	w, h := evenSize(img.Rect.Dx(), img.Rect.Dy())
	f := device.NewFrame(w, h)
	for y := range h {
		for x := range w {
			f.Y[y*w+x] = byte(16 + (int(img.Y[img.YOffset(x, y)])*219+127)/255)
		}
	}
	for y := range h / 2 {
		for x := range w / 2 {
			i := img.COffset(2*x, 2*y)
			f.U[y*w/2+x] = byte(128 + ((int(img.Cb[i])-128)*224)/255)
			f.V[y*w/2+x] = byte(128 + ((int(img.Cr[i])-128)*224)/255)
		}
	}
	return f
}

func meanMaxDiff(a, b []byte) (float64, int) {
	var sum, top int
	for i := range a {
		d := int(a[i]) - int(b[i])
		if d < 0 {
			d = -d
		}
		sum += d
		top = max(top, d)
	}
	return float64(sum) / float64(len(a)), top
}

func encodeJPEG(t testing.TB, img image.Image) []byte {
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 95}); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestMJPEGKnownPicture(t *testing.T) {
	for _, sz := range [][2]int{{64, 48}, {33, 17}} { // the second is odd: cropped
		img := testPicture(sz[0], sz[1])
		want := fullToLimited(img)
		var d mjpegDecoder
		var f device.Frame
		if err := d.decode(&f, encodeJPEG(t, img)); err != nil {
			t.Fatal(err)
		}
		if f.Width != want.Width || f.Height != want.Height {
			t.Fatalf("%v: frame %dx%d, want %dx%d", sz, f.Width, f.Height, want.Width, want.Height)
		}
		for _, p := range []struct {
			name      string
			got, want []byte
		}{{"Y", f.Y, want.Y}, {"U", f.U, want.U}, {"V", f.V, want.V}} {
			if mean, top := meanMaxDiff(p.got, p.want); mean > 2 || top > 40 {
				t.Errorf("%v: plane %s differs by %.2f on average, %d at most", sz, p.name, mean, top)
			}
		}
	}
}

func TestMJPEGGrey(t *testing.T) {
	img := image.NewGray(image.Rect(0, 0, 16, 16))
	for i := range img.Pix {
		img.Pix[i] = 255
	}
	var d mjpegDecoder
	var f device.Frame
	if err := d.decode(&f, encodeJPEG(t, img)); err != nil {
		t.Fatal(err)
	}
	if f.Y[0] != 235 || f.U[0] != 128 || f.V[0] != 128 {
		t.Errorf("white grey JPEG → Y %d U %d V %d, want 235 128 128", f.Y[0], f.U[0], f.V[0])
	}
}

// Many UVC cameras leave the Huffman tables out of their MJPEG frames. The
// standard tables put back in must decode such a frame exactly as the
// original with its tables.
func TestMJPEGWithoutHuffmanTables(t *testing.T) {
	orig := encodeJPEG(t, testPicture(64, 48))
	stripped := stripDHT(orig)
	if len(stripped) == len(orig) {
		t.Fatal("the encoder wrote no DHT segment")
	}
	if _, err := jpeg.Decode(bytes.NewReader(stripped)); err == nil {
		t.Fatal("image/jpeg decoded a frame without tables; the test proves nothing")
	}
	var d mjpegDecoder
	var a, b device.Frame
	if err := d.decode(&a, orig); err != nil {
		t.Fatal(err)
	}
	if err := d.decode(&b, stripped); err != nil {
		t.Fatalf("decoding without tables: %v", err)
	}
	if !bytes.Equal(a.Y, b.Y) || !bytes.Equal(a.U, b.U) || !bytes.Equal(a.V, b.V) {
		t.Error("the frame with standard tables differs from the original")
	}
}

// stripDHT removes the DHT segments before the scan.
func stripDHT(b []byte) []byte {
	out := append([]byte(nil), b[:2]...)
	i := 2
	for b[i+1] != 0xda {
		n := 2 + (int(b[i+2])<<8 | int(b[i+3]))
		if b[i+1] != 0xc4 {
			out = append(out, b[i:i+n]...)
		}
		i += n
	}
	return append(out, b[i:]...)
}

func TestMJPEGGarbage(t *testing.T) {
	var d mjpegDecoder
	f := device.NewFrame(4, 4)
	for _, b := range [][]byte{nil, {0xff}, {0xff, 0xd8, 0xff, 0xda}, []byte("not a jpeg at all"), encodeJPEG(t, testPicture(32, 32))[:200]} {
		if err := d.decode(&f, b); err == nil {
			t.Errorf("decoding %d bytes of garbage did not fail", len(b))
		}
	}
}

// Chroma subsamplings a camera's JPEG encoder may use, converted to 4:2:0 by
// averaging, against hand-computed values.
func TestYCbCrSubsampling(t *testing.T) {
	tests := []struct {
		ratio image.YCbCrSubsampleRatio
		cb    []byte // the Cb plane of a 4x2 picture in that ratio
		want  []byte // the two U samples, before the range squeeze
	}{
		{image.YCbCrSubsampleRatio420, []byte{10, 20}, []byte{10, 20}},
		{image.YCbCrSubsampleRatio422, []byte{10, 20, 30, 40}, []byte{20, 30}},
		{image.YCbCrSubsampleRatio444, []byte{10, 20, 30, 40, 50, 60, 70, 80}, []byte{35, 55}},
		{image.YCbCrSubsampleRatio440, []byte{10, 20, 30, 40}, []byte{15, 35}},
		{image.YCbCrSubsampleRatio411, []byte{10, 20}, []byte{10, 10}},
	}
	for _, tt := range tests {
		img := image.NewYCbCr(image.Rect(0, 0, 4, 2), tt.ratio)
		if len(img.Cb) != len(tt.cb) {
			t.Fatalf("%v: Cb has %d samples, the case %d", tt.ratio, len(img.Cb), len(tt.cb))
		}
		copy(img.Cb, tt.cb)
		copy(img.Cr, tt.cb)
		f := device.NewFrame(4, 2)
		ycbcrToI420(&f, img)
		for i, w := range tt.want {
			if f.U[i] != jpegC[w] || f.V[i] != jpegC[w] {
				t.Errorf("%v: U[%d] = %d, want %d (from %d)", tt.ratio, i, f.U[i], jpegC[w], w)
			}
		}
	}
}

func TestRangeTables(t *testing.T) {
	for _, c := range []struct{ in, y, c byte }{{0, 16, 16}, {128, 126, 128}, {255, 235, 240}} {
		if jpegY[c.in] != c.y || jpegC[c.in] != c.c {
			t.Errorf("full %d → Y %d C %d, want %d %d", c.in, jpegY[c.in], jpegC[c.in], c.y, c.c)
		}
	}
}
