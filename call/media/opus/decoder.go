package opus

/*
#cgo pkg-config: opus
#include <opus.h>
*/
import "C"

import (
	"fmt"
	"runtime"
	"sync"
	"unsafe"

	"github.com/dialtone/dialtone/device"
)

// Decoder turns Opus packets into 48 kHz mono PCM and fills the gaps left by
// lost packets. Its methods are safe for concurrent use; they are
// serialised. The PCM slices are the caller's; the Decoder keeps none.
type Decoder struct {
	mu      sync.Mutex
	d       *C.OpusDecoder
	cleanup runtime.Cleanup
}

// NewDecoder returns a 48 kHz mono decoder.
func NewDecoder() (*Decoder, error) {
	var rc C.int
	cd := C.opus_decoder_create(device.SampleRate, device.Channels, &rc)
	if rc != C.OPUS_OK || cd == nil {
		return nil, fmt.Errorf("opus: creating decoder: %s", errString(rc))
	}
	d := &Decoder{d: cd}
	d.cleanup = runtime.AddCleanup(d, func(p *C.OpusDecoder) { C.opus_decoder_destroy(p) }, cd)
	return d, nil
}

// Decode decodes pkt into pcm and returns the number of samples written.
// pcm must hold the packet's duration (device.FrameSamples for our 20 ms
// frames; 5760 fits any packet). A lost packet is not an empty one: call
// DecodeFEC or Conceal instead.
func (d *Decoder) Decode(pkt []byte, pcm []int16) (int, error) {
	if len(pkt) == 0 {
		return 0, fmt.Errorf("empty packet: %w", ErrInvalidPacket)
	}
	return d.decode(pkt, pcm, 0)
}

// DecodeFEC recovers the frame before next, which was lost, from the FEC
// data libopus put in next, and returns the number of samples written. pcm
// must be exactly the lost frame's length (device.FrameSamples). When next
// carries no FEC (the sender saw no loss, or next is not SILK or hybrid)
// libopus conceals instead, so the result is never worse than Conceal.
// Decode next itself afterwards, as usual.
func (d *Decoder) DecodeFEC(next []byte, pcm []int16) (int, error) {
	if len(next) == 0 {
		return 0, fmt.Errorf("empty packet: %w", ErrInvalidPacket)
	}
	if err := checkConcealSize(len(pcm)); err != nil {
		return 0, err
	}
	return d.decode(next, pcm, 1)
}

// Conceal fills pcm, a frame whose packet was lost (device.FrameSamples;
// any multiple of 2.5 ms up to 120 ms), with libopus's loss concealment:
// the previous sound extended and faded, and returns the number of samples
// written.
func (d *Decoder) Conceal(pcm []int16) (int, error) {
	if err := checkConcealSize(len(pcm)); err != nil {
		return 0, err
	}
	return d.decode(nil, pcm, 0)
}

func (d *Decoder) decode(pkt []byte, pcm []int16, fec C.int) (int, error) {
	if len(pcm) == 0 {
		return 0, fmt.Errorf("opus: no room for PCM")
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.d == nil {
		return 0, ErrClosed
	}
	var data *C.uchar
	if len(pkt) > 0 {
		data = (*C.uchar)(unsafe.Pointer(&pkt[0]))
	}
	frame := min(len(pcm), maxFrame)
	n := C.opus_decode(d.d, data, C.opus_int32(len(pkt)), (*C.opus_int16)(unsafe.Pointer(&pcm[0])), C.int(frame), fec)
	switch {
	case n == C.OPUS_INVALID_PACKET || n == C.OPUS_BUFFER_TOO_SMALL:
		return 0, fmt.Errorf("decoding %d-byte packet into %d samples: %s: %w", len(pkt), len(pcm), errString(n), ErrInvalidPacket)
	case n < 0:
		return 0, fmt.Errorf("opus: decoding %d-byte packet: %s", len(pkt), errString(n))
	}
	return int(n), nil
}

// Close releases libopus's decoder. It is safe to call more than once.
func (d *Decoder) Close() {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.d == nil {
		return
	}
	d.cleanup.Stop()
	C.opus_decoder_destroy(d.d)
	d.d = nil
}
