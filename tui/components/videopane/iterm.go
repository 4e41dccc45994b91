package videopane

import (
	"bytes"
	"encoding/base64"
	"image"
	"image/jpeg"

	"github.com/dialtone/dialtone/device"
)

// ITerm encodes frames as iTerm2 inline images (iTerm2, WezTerm, mintty,
// Konsole): OSC 1337 File= with inline=1, a JPEG of the frame at its own
// size, which the terminal scales into a rectangle of cells. JPEG and not
// PNG: a camera picture compresses to a tenth, and encodes faster. Not safe
// for concurrent use.
type ITerm struct {
	// Quality is the JPEG quality, 1–100; 0 means 75.
	Quality int

	ycc  image.YCbCr
	jpg  bytes.Buffer
	b64  []byte
	full [3][256]uint8 // limited to full range: Y, then chroma
}

// Append appends the image of f filling the cells of at (0-based, on the
// screen), the cursor moved to at first and left there (doNotMoveCursor,
// which terminals that do not know it ignore: the caller restores the
// cursor anyway).
func (t *ITerm) Append(dst []byte, f device.Frame, at Rect) []byte {
	if !validFrame(f) || at.Empty() {
		return dst
	}
	t.toYCbCr(f)
	q := t.Quality
	if q <= 0 || q > 100 {
		q = 75
	}
	t.jpg.Reset()
	if err := jpeg.Encode(&t.jpg, &t.ycc, &jpeg.Options{Quality: q}); err != nil {
		return dst // a YCbCr image in a bytes.Buffer does not fail
	}
	n := base64.StdEncoding.EncodedLen(t.jpg.Len())
	t.b64 = resize(t.b64, n)
	base64.StdEncoding.Encode(t.b64, t.jpg.Bytes())

	dst = appendCUP(dst, at.Row, at.Col)
	dst = append(dst, "\x1b]1337;File=inline=1;size="...)
	dst = appendInt(dst, t.jpg.Len())
	dst = append(dst, ";width="...)
	dst = appendInt(dst, at.Cols)
	dst = append(dst, ";height="...)
	dst = appendInt(dst, at.Rows)
	dst = append(dst, ";preserveAspectRatio=0;doNotMoveCursor=1:"...)
	dst = append(dst, t.b64...)
	return append(dst, '\a')
}

// toYCbCr makes f a JPEG's YCbCr picture: the same 4:2:0 planes, taken
// from the limited range of video to the full range of JFIF.
func (t *ITerm) toYCbCr(f device.Frame) {
	if t.full[0][255] == 0 {
		for i := range 256 {
			t.full[0][i] = uint8(max(0, min(255, ((i-16)*255+109)/219)))
			t.full[1][i] = uint8(max(0, min(255, 128+((i-128)*255+sign(i-128)*112)/224)))
		}
	}
	w, h := f.Width, f.Height
	cw, ch := (w+1)/2, (h+1)/2
	if t.ycc.Rect.Dx() != w || t.ycc.Rect.Dy() != h {
		t.ycc = *image.NewYCbCr(image.Rect(0, 0, w, h), image.YCbCrSubsampleRatio420)
	}
	for i, v := range f.Y[:w*h] {
		t.ycc.Y[i] = t.full[0][v]
	}
	for i := range cw * ch {
		t.ycc.Cb[i] = t.full[1][f.U[i]]
		t.ycc.Cr[i] = t.full[1][f.V[i]]
	}
}

func sign(x int) int {
	switch {
	case x < 0:
		return -1
	case x > 0:
		return 1
	}
	return 0
}
