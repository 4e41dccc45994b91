package videopane

import (
	"bytes"
	"compress/zlib"
	"encoding/base64"

	"github.com/dialtone/dialtone/device"
)

// Kitty encodes frames for the kitty graphics protocol (kitty, WezTerm,
// Ghostty, Konsole): each frame is transmitted directly in the escape
// sequence as RGB, zlib-compressed, base64 in chunks of 4096, and shown
// scaled into a rectangle of cells by the terminal. The image id and
// placement id stay the same from frame to frame, so each frame replaces
// the last in place. Not safe for concurrent use.
type Kitty struct {
	// Raw sends RGB uncompressed (o=z left out): more bytes, less CPU.
	Raw bool

	rgb []byte
	z   bytes.Buffer
	zw  *zlib.Writer
	b64 []byte
}

// kittyChunk is the most base64 a graphics command may carry.
const kittyChunk = 4096

// Append appends the commands that show f in the cells of at (0-based, on
// the screen) as image id, above the text (z=1), without moving the cursor
// (C=1) or asking for a reply (q=2). The cursor is moved to at first.
func (k *Kitty) Append(dst []byte, id uint32, f device.Frame, at Rect) []byte {
	if !validFrame(f) || at.Empty() {
		return dst
	}
	k.rgb = appendRGB(k.rgb[:0], f)
	payload := k.rgb
	if !k.Raw {
		k.z.Reset()
		if k.zw == nil {
			k.zw, _ = zlib.NewWriterLevel(&k.z, zlib.BestSpeed)
		} else {
			k.zw.Reset(&k.z)
		}
		_, _ = k.zw.Write(k.rgb) // a bytes.Buffer does not fail
		_ = k.zw.Close()
		payload = k.z.Bytes()
	}
	n := base64.StdEncoding.EncodedLen(len(payload))
	k.b64 = resize(k.b64, n)
	base64.StdEncoding.Encode(k.b64, payload)

	dst = appendCUP(dst, at.Row, at.Col)
	dst = append(dst, "\x1b_Ga=T,f=24,t=d,q=2,C=1,z=1"...)
	if !k.Raw {
		dst = append(dst, ",o=z"...)
	}
	dst = appendKey(dst, 's', f.Width)
	dst = appendKey(dst, 'v', f.Height)
	dst = appendKey(dst, 'i', int(id))
	dst = appendKey(dst, 'p', 1)
	dst = appendKey(dst, 'c', at.Cols)
	dst = appendKey(dst, 'r', at.Rows)
	for first, rest := true, k.b64; first || len(rest) > 0; first = false {
		chunk := rest[:min(len(rest), kittyChunk)]
		rest = rest[len(chunk):]
		if !first {
			dst = append(dst, "\x1b_Gq=2"...)
		}
		dst = append(dst, ",m="...)
		if len(rest) > 0 {
			dst = append(dst, '1')
		} else {
			dst = append(dst, '0')
		}
		dst = append(dst, ';')
		dst = append(dst, chunk...)
		dst = append(dst, "\x1b\\"...)
	}
	return dst
}

// KittyDelete appends the command that deletes image id and its data.
func KittyDelete(dst []byte, id uint32) []byte {
	dst = append(dst, "\x1b_Ga=d,d=I,q=2"...)
	dst = appendKey(dst, 'i', int(id))
	return append(dst, "\x1b\\"...)
}

func appendKey(b []byte, key byte, v int) []byte {
	b = append(b, ',', key, '=')
	return appendInt(b, v)
}

func appendCUP(b []byte, row, col int) []byte {
	b = append(b, "\x1b["...)
	b = appendInt(b, row+1)
	b = append(b, ';')
	b = appendInt(b, col+1)
	return append(b, 'H')
}

// appendRGB converts f to packed 8-bit RGB at its own size.
func appendRGB(dst []byte, f device.Frame) []byte {
	cw := (f.Width + 1) / 2
	for y := range f.Height {
		row := f.Y[y*f.Width : (y+1)*f.Width]
		crow := y / 2 * cw
		for x, yy := range row {
			r, g, b := yuvToRGB(yy, f.U[crow+x/2], f.V[crow+x/2])
			dst = append(dst, r, g, b)
		}
	}
	return dst
}
