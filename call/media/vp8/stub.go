//go:build !cgo

package vp8

import "github.com/dialtone/dialtone/device"

// Without cgo there is no libvpx: the types exist so that the call engine
// links into a static binary, and the constructors say why they fail.

// Encoder is unavailable without cgo.
type Encoder struct{}

// NewEncoder returns ErrUnavailable without cgo.
func NewEncoder(cfg EncoderConfig) (*Encoder, error) { return nil, ErrUnavailable }

// Encode returns ErrUnavailable without cgo.
func (e *Encoder) Encode(f device.Frame, forceKey bool) ([]byte, bool, error) {
	return nil, false, ErrUnavailable
}

// SetBitrate returns ErrUnavailable without cgo.
func (e *Encoder) SetBitrate(kbps int) error { return ErrUnavailable }

// Bitrate returns 0 without cgo.
func (e *Encoder) Bitrate() int { return 0 }

// Resize returns ErrUnavailable without cgo.
func (e *Encoder) Resize(w, h int) error { return ErrUnavailable }

// Size returns 0×0 without cgo.
func (e *Encoder) Size() (w, h int) { return 0, 0 }

// Close does nothing without cgo.
func (e *Encoder) Close() {}

// Decoder is unavailable without cgo.
type Decoder struct{}

// NewDecoder returns ErrUnavailable without cgo.
func NewDecoder() (*Decoder, error) { return nil, ErrUnavailable }

// Decode returns ErrUnavailable without cgo.
func (d *Decoder) Decode(pkt []byte) (device.Frame, bool, error) {
	return device.Frame{}, false, ErrUnavailable
}

// Close does nothing without cgo.
func (d *Decoder) Close() {}
