package opus

import "errors"

var (
	// ErrClosed is returned by an Encoder or Decoder used after Close.
	ErrClosed = errors.New("opus: codec closed")

	// ErrInvalidPacket is returned by the Decoder for a packet libopus
	// refuses (empty, malformed, or longer than the PCM buffer). The
	// decoder stays usable; treat the frame as lost.
	ErrInvalidPacket = errors.New("opus: invalid packet")

	// ErrUnavailable is returned by the constructors in builds without cgo.
	ErrUnavailable = errors.New("opus: built without cgo, libopus unavailable")
)
