package videopane

import "github.com/dialtone/dialtone/device"

// pixelRow computes output pixel row py into out as colour keys: packed
// 0xRRGGBB for TrueColor, a palette index for ANSI256, luma for NoColor.
// Averaging happens in YUV, before conversion; the conversion is linear
// apart from clamping, so this matches averaging RGB and costs a third.
func (r *Renderer) pixelRow(f device.Frame, py int, out []uint32, mode ColorMode) {
	ys := r.ys[py]
	boxSum(r.accY, r.col, f.Y, f.Width, ys, r.xs)
	yr := uint64(ys.rcp)
	dy := uint32(ys.hi - ys.lo)
	if mode == NoColor {
		for x, xs := range r.xs {
			out[x] = norm(r.accY[x], dy*uint32(xs.hi-xs.lo), uint64(xs.rcp)*yr)
		}
		return
	}
	cw := (f.Width + 1) / 2
	yc := r.yc[py]
	boxSum(r.accU, r.col, f.U, cw, yc, r.xc)
	boxSum(r.accV, r.col, f.V, cw, yc, r.xc)
	cr := uint64(yc.rcp)
	dc := uint32(yc.hi - yc.lo)

	clamp := r.quant
	var lut *[1 << (3 * lutBits)]uint8
	if mode == ANSI256 {
		clamp = r.exact
		lut = ansiLUT()
	}
	for x, xs := range r.xs {
		xc := r.xc[x]
		y := norm(r.accY[x], dy*uint32(xs.hi-xs.lo), uint64(xs.rcp)*yr)
		u := norm(r.accU[x], dc*uint32(xc.hi-xc.lo), uint64(xc.rcp)*cr)
		v := norm(r.accV[x], dc*uint32(xc.hi-xc.lo), uint64(xc.rcp)*cr)
		yy := tabY[uint8(y)]
		rr := uint32(clamp[((yy+tabRV[uint8(v)])>>8+clampOff)&(clampLen-1)])
		gg := uint32(clamp[((yy+tabGU[uint8(u)]+tabGV[uint8(v)])>>8+clampOff)&(clampLen-1)])
		bb := uint32(clamp[((yy+tabBU[uint8(u)])>>8+clampOff)&(clampLen-1)])
		if lut != nil {
			const s = 8 - lutBits
			out[x] = uint32(lut[(rr>>s)<<(2*lutBits)|(gg>>s)<<lutBits|bb>>s])
			continue
		}
		out[x] = rr<<16 | gg<<8 | bb
	}
}

// boxSum adds up, for every output pixel, the plane samples its spans
// cover. It sums the span's rows column by column first, a tight loop over
// contiguous bytes, and then each output pixel's columns: about twice as
// fast as summing small rectangles one by one.
func boxSum(acc, col []uint32, plane []byte, stride int, ys span, xs []span) {
	col = col[:stride]
	lo := int(ys.lo) * stride
	for i, b := range plane[lo : lo+stride] {
		col[i] = uint32(b)
	}
	for sy := int(ys.lo) + 1; sy < int(ys.hi); sy++ {
		row := plane[sy*stride : sy*stride+stride]
		row = row[:len(col)]
		for i, b := range row {
			col[i] += uint32(b)
		}
	}
	for x, s := range xs {
		var sum uint32
		for _, c := range col[s.lo:s.hi] {
			sum += c
		}
		acc[x] = sum
	}
}

// norm divides a box sum by its sample count n, rounding to nearest, using
// the product of the two axes' 2^24 reciprocals.
func norm(sum, n uint32, rcp uint64) uint32 {
	v := (uint64(sum+n/2) * rcp) >> 48
	return uint32(min(v, 255))
}
