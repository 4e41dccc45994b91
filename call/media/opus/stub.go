//go:build !cgo

package opus

// Without cgo there is no libopus: the types exist so that the call engine
// links into a static binary, and the constructors say why they fail.

// Encoder is unavailable without cgo.
type Encoder struct{}

// NewEncoder returns ErrUnavailable without cgo.
func NewEncoder(bitrateBps int) (*Encoder, error) { return nil, ErrUnavailable }

// Encode returns ErrUnavailable without cgo.
func (e *Encoder) Encode(pcm []int16, out []byte) (int, error) { return 0, ErrUnavailable }

// SetBitrate returns ErrUnavailable without cgo.
func (e *Encoder) SetBitrate(bps int) error { return ErrUnavailable }

// SetPacketLoss returns ErrUnavailable without cgo.
func (e *Encoder) SetPacketLoss(pct int) error { return ErrUnavailable }

// SetDTX returns ErrUnavailable without cgo.
func (e *Encoder) SetDTX(on bool) error { return ErrUnavailable }

// SetComplexity returns ErrUnavailable without cgo.
func (e *Encoder) SetComplexity(n int) error { return ErrUnavailable }

// SetMaxBandwidth returns ErrUnavailable without cgo.
func (e *Encoder) SetMaxBandwidth(b Bandwidth) error { return ErrUnavailable }

// Lookahead returns 0 without cgo.
func (e *Encoder) Lookahead() int { return 0 }

// Close does nothing without cgo.
func (e *Encoder) Close() {}

// Decoder is unavailable without cgo.
type Decoder struct{}

// NewDecoder returns ErrUnavailable without cgo.
func NewDecoder() (*Decoder, error) { return nil, ErrUnavailable }

// Decode returns ErrUnavailable without cgo.
func (d *Decoder) Decode(pkt []byte, pcm []int16) (int, error) { return 0, ErrUnavailable }

// DecodeFEC returns ErrUnavailable without cgo.
func (d *Decoder) DecodeFEC(next []byte, pcm []int16) (int, error) { return 0, ErrUnavailable }

// Conceal returns ErrUnavailable without cgo.
func (d *Decoder) Conceal(pcm []int16) (int, error) { return 0, ErrUnavailable }

// Close does nothing without cgo.
func (d *Decoder) Close() {}
