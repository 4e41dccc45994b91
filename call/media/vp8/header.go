package vp8

import (
	"encoding/binary"
	"fmt"
)

// MaxDecodeSize bounds the width and height of pictures the Decoder accepts.
// A key frame header is 10 bytes that anyone on the path can forge; without
// a bound, one packet could make libvpx allocate reference buffers for a
// 16383×16383 picture (about 1.6 GB).
const MaxDecodeSize = 2048

// MaxDecodePixels bounds a picture's area: 1920×1088, 1080p as the codec
// stores it (whole 16-row macroblocks). The cost of a key frame is the
// size it claims, not the bytes it carries: libvpx allocates and clears
// its reference buffers for that size before it reads a macroblock, so a
// forged 2048×2048 header in a 200-byte packet took 28 ms to refuse and 61
// ms for FuzzDecode's three decodes (a real 64×48 frame: 0.3 ms); at that
// cost a fuzzer minimising such an input (for up to a minute) makes no
// visible progress, and a hostile peer alternating sizes burns a core.
// 1080p is the most any camera we send from or a browser sends by default;
// it halves that worst case.
const MaxDecodePixels = 1920 * 1088

// frameHeader is what RFC 6386 §9.1 puts in the first bytes of a frame.
type frameHeader struct {
	key           bool
	width, height int // key frames only
}

// parseHeader checks the uncompressed data chunk of a VP8 frame, so that
// Decode can refuse nonsense before it reaches libvpx.
func parseHeader(b []byte) (frameHeader, error) {
	if len(b) < 3 {
		return frameHeader{}, fmt.Errorf("%d-byte frame: %w", len(b), ErrInvalidPacket)
	}
	tag := uint32(b[0]) | uint32(b[1])<<8 | uint32(b[2])<<16
	h := frameHeader{key: tag&1 == 0}
	if version := tag >> 1 & 7; version > 3 {
		return frameHeader{}, fmt.Errorf("version %d: %w", version, ErrInvalidPacket)
	}
	if !h.key {
		return h, nil
	}
	if len(b) < 10 {
		return frameHeader{}, fmt.Errorf("%d-byte key frame: %w", len(b), ErrInvalidPacket)
	}
	if b[3] != 0x9d || b[4] != 0x01 || b[5] != 0x2a {
		return frameHeader{}, fmt.Errorf("key frame without start code: %w", ErrInvalidPacket)
	}
	// The top two bits of each dimension are an upscaling hint we ignore.
	h.width = int(binary.LittleEndian.Uint16(b[6:]) & 0x3fff)
	h.height = int(binary.LittleEndian.Uint16(b[8:]) & 0x3fff)
	if h.width == 0 || h.height == 0 || h.width > MaxDecodeSize || h.height > MaxDecodeSize || h.width*h.height > MaxDecodePixels {
		return frameHeader{}, fmt.Errorf("key frame of %d×%d: %w", h.width, h.height, ErrInvalidPacket)
	}
	return h, nil
}
