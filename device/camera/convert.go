package camera

import (
	"fmt"

	"github.com/dialtone/dialtone/device"
)

// layout is how a raw picture lies in a capture buffer: its size (possibly
// odd; the frame gets the even crop) and the bytes per line of its first
// plane, as the driver reported them.
type layout struct {
	width, height, stride int
}

// evenSize is the frame size for a capture size: odd sizes lose their last
// column or row.
func evenSize(w, h int) (int, int) { return w &^ 1, h &^ 1 }

func bytesPerPixel(p PixelFormat) int {
	switch p {
	case YUYV, UYVY:
		return 2
	case RGB24, BGR24:
		return 3
	}
	return 1
}

func converter(p PixelFormat) func(*device.Frame, []byte, layout) error {
	switch p {
	case YUYV:
		return yuyvToI420
	case UYVY:
		return uyvyToI420
	case NV12, NV21:
		return func(f *device.Frame, b []byte, l layout) error { return semiPlanarToI420(f, b, l, p == NV21) }
	case I420, YV12:
		return func(f *device.Frame, b []byte, l layout) error { return planarToI420(f, b, l, p == YV12) }
	case RGB24:
		return func(f *device.Frame, b []byte, l layout) error { return rgbToI420(f, b, l, 0, 1, 2) }
	case BGR24:
		return func(f *device.Frame, b []byte, l layout) error { return rgbToI420(f, b, l, 2, 1, 0) }
	}
	var d mjpegDecoder // MJPEG, JPEG: choose offers nothing else
	return func(f *device.Frame, b []byte, _ layout) error { return d.decode(f, b) }
}

// need checks src holds rows lines of n bytes at the given stride, starting
// at off.
func need(src []byte, off, rows, n, stride int) error {
	if rows == 0 {
		return nil
	}
	if end := off + (rows-1)*stride + n; len(src) < end {
		return fmt.Errorf("short buffer: %d bytes, want %d", len(src), end)
	}
	return nil
}

// packed422ToI420 converts packed 4:2:2 (YUYV, UYVY: four bytes per two
// pixels, offsets y0, y1, u, v within them) to I420. Chroma is the average of
// each pair of rows.
func packed422ToI420(dst *device.Frame, src []byte, l layout, y0, y1, u, v int) error {
	w, h := dst.Width, dst.Height
	if err := need(src, 0, h, 2*w, l.stride); err != nil {
		return err
	}
	cw := w / 2
	for row := 0; row < h; row += 2 {
		r0 := src[row*l.stride : row*l.stride+2*w]
		r1 := src[(row+1)*l.stride : (row+1)*l.stride+2*w]
		d0 := dst.Y[row*w : row*w+w]
		d1 := dst.Y[(row+1)*w : (row+1)*w+w]
		du := dst.U[row/2*cw : row/2*cw+cw]
		dv := dst.V[row/2*cw : row/2*cw+cw]
		for i := range cw {
			p0, p1 := r0[4*i:4*i+4], r1[4*i:4*i+4]
			d0[2*i], d0[2*i+1] = p0[y0], p0[y1]
			d1[2*i], d1[2*i+1] = p1[y0], p1[y1]
			du[i] = byte((uint(p0[u]) + uint(p1[u]) + 1) >> 1)
			dv[i] = byte((uint(p0[v]) + uint(p1[v]) + 1) >> 1)
		}
	}
	return nil
}

func yuyvToI420(dst *device.Frame, src []byte, l layout) error {
	return packed422ToI420(dst, src, l, 0, 2, 1, 3)
}

func uyvyToI420(dst *device.Frame, src []byte, l layout) error {
	return packed422ToI420(dst, src, l, 1, 3, 0, 2)
}

// copyPlane copies h rows of w bytes from src (rows stride apart) to the
// tightly packed dst.
func copyPlane(dst []byte, w, h int, src []byte, stride int) {
	if stride == w {
		copy(dst, src[:w*h])
		return
	}
	for y := range h {
		copy(dst[y*w:(y+1)*w], src[y*stride:y*stride+w])
	}
}

// semiPlanarToI420 converts NV12 (swap false) or NV21 (swap true): a Y plane,
// then one plane of interleaved chroma pairs with the same stride.
func semiPlanarToI420(dst *device.Frame, src []byte, l layout, swap bool) error {
	w, h := dst.Width, dst.Height
	cw, ch := w/2, h/2
	cOff := l.stride * l.height
	if err := need(src, 0, h, w, l.stride); err != nil {
		return err
	}
	if err := need(src, cOff, ch, 2*cw, l.stride); err != nil {
		return err
	}
	copyPlane(dst.Y, w, h, src, l.stride)
	u, v := dst.U, dst.V
	if swap {
		u, v = v, u
	}
	for row := range ch {
		s := src[cOff+row*l.stride : cOff+row*l.stride+2*cw]
		du, dv := u[row*cw:row*cw+cw], v[row*cw:row*cw+cw]
		for i := range cw {
			du[i], dv[i] = s[2*i], s[2*i+1]
		}
	}
	return nil
}

// planarToI420 converts I420 (swap false) or YV12 (swap true) as V4L2 lays
// them in one buffer: chroma planes follow the Y plane with half its stride.
func planarToI420(dst *device.Frame, src []byte, l layout, swap bool) error {
	w, h := dst.Width, dst.Height
	cw, ch := w/2, h/2
	cs := l.stride / 2
	off1 := l.stride * l.height
	off2 := off1 + cs*((l.height+1)/2)
	if err := need(src, 0, h, w, l.stride); err != nil {
		return err
	}
	if err := need(src, off2, ch, cw, cs); err != nil {
		return err
	}
	u, v := dst.U, dst.V
	if swap {
		u, v = v, u
	}
	copyPlane(dst.Y, w, h, src, l.stride)
	copyPlane(u, cw, ch, src[off1:], cs)
	copyPlane(v, cw, ch, src[off2:], cs)
	return nil
}

// rgbToI420 converts packed 24-bit RGB (r, g, b are the byte offsets within a
// pixel) to BT.601 limited-range I420; chroma comes from each 2×2 block's
// mean colour.
func rgbToI420(dst *device.Frame, src []byte, l layout, r, g, b int) error {
	w, h := dst.Width, dst.Height
	if err := need(src, 0, h, 3*w, l.stride); err != nil {
		return err
	}
	cw := w / 2
	for row := 0; row < h; row += 2 {
		s0 := src[row*l.stride : row*l.stride+3*w]
		s1 := src[(row+1)*l.stride : (row+1)*l.stride+3*w]
		d0 := dst.Y[row*w : row*w+w]
		d1 := dst.Y[(row+1)*w : (row+1)*w+w]
		du := dst.U[row/2*cw : row/2*cw+cw]
		dv := dst.V[row/2*cw : row/2*cw+cw]
		for i := range cw {
			var sr, sg, sb int
			for k, p := range [4][]byte{s0[6*i : 6*i+3], s0[6*i+3 : 6*i+6], s1[6*i : 6*i+3], s1[6*i+3 : 6*i+6]} {
				R, G, B := int(p[r]), int(p[g]), int(p[b])
				sr, sg, sb = sr+R, sg+G, sb+B
				yv := byte((66*R+129*G+25*B+128)>>8 + 16)
				switch k {
				case 0:
					d0[2*i] = yv
				case 1:
					d0[2*i+1] = yv
				case 2:
					d1[2*i] = yv
				default:
					d1[2*i+1] = yv
				}
			}
			R, G, B := (sr+2)>>2, (sg+2)>>2, (sb+2)>>2
			du[i] = byte((-38*R-74*G+112*B+128)>>8 + 128)
			dv[i] = byte((112*R-94*G-18*B+128)>>8 + 128)
		}
	}
	return nil
}
