package vp8

// scalePlane resamples one 8-bit plane bilinearly, sampling at pixel centres
// so that halving the size averages 2×2 blocks. It is here so that the call
// engine can step the sent resolution down (Encoder.Resize) while the camera
// keeps delivering its native size.
func scalePlane(dst []byte, dw, dh, dstride int, src []byte, sw, sh, sstride int) {
	if dw == sw && dh == sh {
		for y := 0; y < dh; y++ {
			copy(dst[y*dstride:y*dstride+dw], src[y*sstride:y*sstride+sw])
		}
		return
	}
	// 16.16 fixed point: source coordinate of destination pixel centre i is
	// (i+0.5)*s/d - 0.5.
	xstep := (sw << 16) / dw
	ystep := (sh << 16) / dh
	for y := 0; y < dh; y++ {
		sy := (y*ystep + ystep/2 - 1<<15)
		if sy < 0 {
			sy = 0
		}
		y0 := sy >> 16
		fy := sy & 0xffff
		y1 := y0 + 1
		if y1 >= sh {
			y1 = sh - 1
		}
		r0 := src[y0*sstride : y0*sstride+sw]
		r1 := src[y1*sstride : y1*sstride+sw]
		out := dst[y*dstride : y*dstride+dw]
		for x := range out {
			sx := x*xstep + xstep/2 - 1<<15
			if sx < 0 {
				sx = 0
			}
			x0 := sx >> 16
			fx := sx & 0xffff
			x1 := x0 + 1
			if x1 >= sw {
				x1 = sw - 1
			}
			// int64 so that 32-bit platforms do not overflow.
			top := int64(r0[x0])<<16 + (int64(r0[x1])-int64(r0[x0]))*int64(fx)
			bot := int64(r1[x0])<<16 + (int64(r1[x1])-int64(r1[x0]))*int64(fx)
			v := top + (bot-top)*int64(fy)>>16
			out[x] = byte((v + 1<<15) >> 16)
		}
	}
}
