package vp8

import "errors"

var (
	// ErrClosed is returned by an Encoder or Decoder used after Close.
	ErrClosed = errors.New("vp8: codec closed")

	// ErrInvalidPacket is returned by Decode for input that is not a VP8
	// frame it will decode (empty, truncated header, or a key frame larger
	// than MaxDecodeSize or MaxDecodePixels). The decoder's state is unchanged.
	ErrInvalidPacket = errors.New("vp8: invalid packet")

	// ErrKeyFrameNeeded is returned by Decode when it cannot give a correct
	// picture until a key frame arrives: an inter frame before the first key
	// frame, or any frame after libvpx failed to decode one. The caller
	// should ask the sender for a key frame (RTCP PLI).
	ErrKeyFrameNeeded = errors.New("vp8: key frame needed")

	// ErrUnavailable is returned by the constructors in builds without cgo.
	ErrUnavailable = errors.New("vp8: built without cgo, libvpx unavailable")
)
