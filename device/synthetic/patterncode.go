package synthetic

import (
	"encoding/binary"
	"time"

	"github.com/dialtone/dialtone/device"
)

// The code band: the bottom quarter of the frame, a grid of codeCols×codeRows
// cells whose edges are fractions of the frame size (cell c spans
// x = c*W/codeCols … (c+1)*W/codeCols), so the same grid is found at any
// scale. Every cell is flat black (Y=16) or white (Y=235), chroma 128.
//
// Columns 0 and codeCols-1 are markers, used to calibrate black and white
// after lossy coding: column 0 is white, black, white, black from the top row
// down; the last column is the inverse. Columns 1…codeCols-2, row-major from
// the top-left, carry the codeBits message bits, most significant bit of each
// byte first, 1 = white. The message is 13 bytes:
//
//	[0]     magic 0xD7
//	[1:5]   frame number, uint32 big-endian
//	[5:11]  capture time, unix milliseconds, uint48 big-endian
//	[11:13] CRC-16/CCITT-FALSE (poly 0x1021, init 0xFFFF) of bytes 0…10, big-endian
//
// At 320×240 a cell is about 11×15 pixels; at 160×120 about 6×8.
const (
	codeCols  = 28
	codeRows  = 4
	codeBytes = 13
	codeBits  = codeBytes * 8
	codeMagic = 0xD7

	lumaBlack = 16
	lumaWhite = 235

	// minContrast is the least white−black difference, in luma steps, between
	// the darkest white marker and the lightest black marker for the band to
	// count as present.
	minContrast = 48
)

// Data cells must fill the grid exactly.
var _ = [1]struct{}{}[(codeCols-2)*codeRows-codeBits]

// bandTop is the first row of the code band.
func bandTop(h int) int { return h - h/4 }

// cellRect returns the pixel rectangle [x0,x1)×[y0,y1) of cell (r, c).
func cellRect(w, h, r, c int) (x0, y0, x1, y1 int) {
	top := bandTop(h)
	bh := h - top
	return c * w / codeCols, top + r*bh/codeRows, (c + 1) * w / codeCols, top + (r+1)*bh/codeRows
}

// markerWhite reports whether marker cell (r, c) is white.
func markerWhite(r, c int) bool {
	if c == 0 {
		return r%2 == 0
	}
	return r%2 == 1
}

func crc16(b []byte) uint16 {
	crc := uint16(0xFFFF)
	for _, x := range b {
		crc ^= uint16(x) << 8
		for range 8 {
			if crc&0x8000 != 0 {
				crc = crc<<1 ^ 0x1021
			} else {
				crc <<= 1
			}
		}
	}
	return crc
}

func packMessage(seq uint32, captured time.Time) [codeBytes]byte {
	var m [codeBytes]byte
	m[0] = codeMagic
	binary.BigEndian.PutUint32(m[1:5], seq)
	ms := uint64(captured.UnixMilli())
	for i := range 6 {
		m[5+i] = byte(ms >> (40 - 8*i))
	}
	binary.BigEndian.PutUint16(m[11:13], crc16(m[:11]))
	return m
}

// EncodePattern stamps seq and captured (to the millisecond) into the code
// band of f, the bottom quarter of the picture, leaving the rest untouched.
// It is how NewPattern marks its frames; it can also mark any other frame (a
// camera picture, say) whose height is at least 16 and width at least
// 2*codeCols.
func EncodePattern(f device.Frame, seq uint32, captured time.Time) {
	if !frameValid(f) {
		return
	}
	m := packMessage(seq, captured)
	for r := range codeRows {
		for c := range codeCols {
			var white bool
			switch c {
			case 0, codeCols - 1:
				white = markerWhite(r, c)
			default:
				i := r*(codeCols-2) + c - 1
				white = m[i/8]>>(7-i%8)&1 == 1
			}
			y := byte(lumaBlack)
			if white {
				y = lumaWhite
			}
			fillCell(f, r, c, y)
		}
	}
}

func fillCell(f device.Frame, r, c int, y byte) {
	x0, y0, x1, y1 := cellRect(f.Width, f.Height, r, c)
	for row := y0; row < y1; row++ {
		line := f.Y[row*f.Width+x0 : row*f.Width+x1]
		for i := range line {
			line[i] = y
		}
	}
	cw := f.Width / 2
	for row := y0 / 2; row < (y1+1)/2; row++ {
		for _, p := range [][]byte{f.U, f.V} {
			line := p[row*cw+x0/2 : row*cw+(x1+1)/2]
			for i := range line {
				line[i] = 128
			}
		}
	}
}

func frameValid(f device.Frame) bool {
	w, h := f.Width, f.Height
	return w >= 2*codeCols && h >= 16 && w%2 == 0 && h%2 == 0 &&
		len(f.Y) >= w*h && len(f.U) >= w*h/4 && len(f.V) >= w*h/4
}

// cellMean is the mean luma of the middle half (in each direction) of a cell,
// away from edges that blur, ringing and scaling smear.
func cellMean(f device.Frame, r, c int) int {
	x0, y0, x1, y1 := cellRect(f.Width, f.Height, r, c)
	mx, my := (x1-x0)/4, (y1-y0)/4
	x0, x1, y0, y1 = x0+mx, x1-mx, y0+my, y1-my
	sum, n := 0, 0
	for row := y0; row < y1; row++ {
		for _, v := range f.Y[row*f.Width+x0 : row*f.Width+x1] {
			sum += int(v)
		}
		n += x1 - x0
	}
	if n == 0 {
		return 0
	}
	return sum / n
}

// DecodePattern reads the frame number and capture time that EncodePattern
// stamped into f, at whatever size the frame now has. ok is false when the
// band is absent, too damaged to read, or fails its checksum; a true ok with a
// wrong value needs a corruption that passes the marker, magic and CRC-16
// checks together.
func DecodePattern(f device.Frame) (seq uint32, captured time.Time, ok bool) {
	if !frameValid(f) {
		return 0, time.Time{}, false
	}
	minWhite, maxBlack, sumWhite, sumBlack := 255, 0, 0, 0
	for r := range codeRows {
		for _, c := range []int{0, codeCols - 1} {
			v := cellMean(f, r, c)
			if markerWhite(r, c) {
				minWhite = min(minWhite, v)
				sumWhite += v
			} else {
				maxBlack = max(maxBlack, v)
				sumBlack += v
			}
		}
	}
	if minWhite-maxBlack < minContrast {
		return 0, time.Time{}, false
	}
	white, black := sumWhite/codeRows, sumBlack/codeRows
	thr, margin := (white+black)/2, (white-black)/8
	var m [codeBytes]byte
	for i := range codeBits {
		r, c := i/(codeCols-2), i%(codeCols-2)+1
		v := cellMean(f, r, c)
		switch {
		case v >= thr+margin:
			m[i/8] |= 1 << (7 - i%8)
		case v <= thr-margin:
		default:
			return 0, time.Time{}, false // neither black nor white: unreadable
		}
	}
	if m[0] != codeMagic || binary.BigEndian.Uint16(m[11:13]) != crc16(m[:11]) {
		return 0, time.Time{}, false
	}
	var ms uint64
	for i := range 6 {
		ms = ms<<8 | uint64(m[5+i])
	}
	return binary.BigEndian.Uint32(m[1:5]), time.UnixMilli(int64(ms)), true
}
