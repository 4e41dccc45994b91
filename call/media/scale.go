package media

import "github.com/dialtone/dialtone/device"

// shrink fills dst (allocated to size when it does not fit) with src
// divided by div (1, 2 or 4) in each direction, averaging div×div blocks.
// Power-of-two box filtering is all the ladder needs, costs a fraction of
// a bilinear resampler, and hands the self-view exactly what is encoded.
func shrink(dst *device.Frame, src device.Frame, div int) {
	w, h := src.Width/div, src.Height/div
	if dst.Width != w || dst.Height != h {
		*dst = device.NewFrame(w, h)
	}
	dst.Time = src.Time
	shrinkPlane(dst.Y, w, h, src.Y, src.Width, div)
	shrinkPlane(dst.U, w/2, h/2, src.U, src.Width/2, div)
	shrinkPlane(dst.V, w/2, h/2, src.V, src.Width/2, div)
}

func shrinkPlane(dst []byte, dw, dh int, src []byte, sw, div int) {
	if div == 1 {
		copy(dst, src[:dw*dh])
		return
	}
	n := div * div
	for y := 0; y < dh; y++ {
		row := dst[y*dw : (y+1)*dw]
		for x := range row {
			sum := 0
			for j := 0; j < div; j++ {
				s := src[(y*div+j)*sw+x*div:]
				for i := 0; i < div; i++ {
					sum += int(s[i])
				}
			}
			row[x] = byte((sum + n/2) / n)
		}
	}
}
