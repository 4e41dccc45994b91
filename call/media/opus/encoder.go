package opus

/*
#cgo pkg-config: opus
#include <opus.h>

// opus_encoder_ctl is variadic, which cgo cannot call.
static int dt_set_bitrate(OpusEncoder *e, int v) { return opus_encoder_ctl(e, OPUS_SET_BITRATE(v)); }
static int dt_set_fec(OpusEncoder *e, int v) { return opus_encoder_ctl(e, OPUS_SET_INBAND_FEC(v)); }
static int dt_set_loss(OpusEncoder *e, int v) { return opus_encoder_ctl(e, OPUS_SET_PACKET_LOSS_PERC(v)); }
static int dt_set_dtx(OpusEncoder *e, int v) { return opus_encoder_ctl(e, OPUS_SET_DTX(v)); }
static int dt_set_signal(OpusEncoder *e, int v) { return opus_encoder_ctl(e, OPUS_SET_SIGNAL(v)); }
static int dt_set_complexity(OpusEncoder *e, int v) { return opus_encoder_ctl(e, OPUS_SET_COMPLEXITY(v)); }
static int dt_set_max_bandwidth(OpusEncoder *e, int v) { return opus_encoder_ctl(e, OPUS_SET_MAX_BANDWIDTH(v)); }
static int dt_get_lookahead(OpusEncoder *e) {
	opus_int32 v = 0;
	if (opus_encoder_ctl(e, OPUS_GET_LOOKAHEAD(&v)) != OPUS_OK) return -1;
	return v;
}
*/
import "C"

import (
	"fmt"
	"runtime"
	"sync"
	"unsafe"

	"github.com/dialtone/dialtone/device"
)

// Encoder compresses 48 kHz mono PCM to Opus (application VoIP, in-band FEC
// on). Its methods are safe for concurrent use; they are serialised.
type Encoder struct {
	mu      sync.Mutex
	e       *C.OpusEncoder
	cleanup runtime.Cleanup
}

// NewEncoder returns an encoder targeting bitrateBps (0 means
// DefaultBitrate; clamped to [MinBitrate, MaxBitrate]). FEC is on, but
// libopus only spends bits on it once SetPacketLoss reports loss; DTX is off.
func NewEncoder(bitrateBps int) (*Encoder, error) {
	var rc C.int
	ce := C.opus_encoder_create(device.SampleRate, device.Channels, C.OPUS_APPLICATION_VOIP, &rc)
	if rc != C.OPUS_OK || ce == nil {
		return nil, fmt.Errorf("opus: creating encoder: %s", errString(rc))
	}
	e := &Encoder{e: ce}
	e.cleanup = runtime.AddCleanup(e, func(p *C.OpusEncoder) { C.opus_encoder_destroy(p) }, ce)
	for _, s := range []struct {
		what string
		rc   C.int
	}{
		{"bitrate", C.dt_set_bitrate(ce, C.int(clampBitrate(bitrateBps)))},
		{"in-band FEC", C.dt_set_fec(ce, 1)},
		// A call carries voice; telling libopus so saves its music detector
		// from guessing and keeps it in the speech-tuned modes.
		{"signal type", C.dt_set_signal(ce, C.OPUS_SIGNAL_VOICE)},
	} {
		if s.rc != C.OPUS_OK {
			e.Close()
			return nil, fmt.Errorf("opus: setting %s: %s", s.what, errString(s.rc))
		}
	}
	return e, nil
}

// Encode compresses one frame of pcm (device.FrameSamples for 20 ms; any
// Opus frame length from 2.5 to 60 ms works) into out, which should have
// MaxPacketSize bytes, and returns the packet's length. With DTX on, a
// packet of 2 bytes or fewer during silence need not be sent.
func (e *Encoder) Encode(pcm []int16, out []byte) (int, error) {
	if err := checkFrameSize(len(pcm)); err != nil {
		return 0, err
	}
	if len(out) == 0 {
		return 0, fmt.Errorf("opus: no room for the packet")
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.e == nil {
		return 0, ErrClosed
	}
	n := C.opus_encode(e.e, (*C.opus_int16)(unsafe.Pointer(&pcm[0])), C.int(len(pcm)),
		(*C.uchar)(unsafe.Pointer(&out[0])), C.opus_int32(len(out)))
	if n < 0 {
		return 0, fmt.Errorf("opus: encoding %d samples into %d bytes: %s", len(pcm), len(out), errString(n))
	}
	return int(n), nil
}

// SetBitrate retargets the encoder from the next frame, clamped to
// [MinBitrate, MaxBitrate].
func (e *Encoder) SetBitrate(bps int) error {
	return e.ctl("bitrate", func(ce *C.OpusEncoder) C.int { return C.dt_set_bitrate(ce, C.int(clampBitrate(bps))) })
}

// SetPacketLoss tells the encoder the loss the receiver sees (0 to 100 %,
// from RTCP receiver reports). Above zero, libopus adds in-band FEC for
// the previous frame to each packet and makes its prediction more robust;
// both cost bits, so report the loss actually seen.
func (e *Encoder) SetPacketLoss(pct int) error {
	if pct < 0 || pct > 100 {
		return fmt.Errorf("opus: packet loss %d%% outside 0..100", pct)
	}
	return e.ctl("packet loss", func(ce *C.OpusEncoder) C.int { return C.dt_set_loss(ce, C.int(pct)) })
}

// SetDTX turns discontinuous transmission on or off: with it on, silence is
// sent as a tiny packet every 400 ms instead of a frame every 20 ms.
func (e *Encoder) SetDTX(on bool) error {
	v := 0
	if on {
		v = 1
	}
	return e.ctl("DTX", func(ce *C.OpusEncoder) C.int { return C.dt_set_dtx(ce, C.int(v)) })
}

// SetComplexity trades the encoder's CPU for quality, 0 (least) to 10
// (the default, most).
func (e *Encoder) SetComplexity(n int) error {
	if n < 0 || n > 10 {
		return fmt.Errorf("opus: complexity %d outside 0..10", n)
	}
	return e.ctl("complexity", func(ce *C.OpusEncoder) C.int { return C.dt_set_complexity(ce, C.int(n)) })
}

// SetMaxBandwidth caps the audio band the encoder codes: for input that
// has nothing above it (G.711's 4 kHz: Narrowband), the encoder then spends
// neither bits nor CPU on the empty band.
func (e *Encoder) SetMaxBandwidth(b Bandwidth) error {
	v, ok := bandwidths[b]
	if !ok {
		return fmt.Errorf("opus: unknown bandwidth %d", b)
	}
	return e.ctl("bandwidth", func(ce *C.OpusEncoder) C.int { return C.dt_set_max_bandwidth(ce, C.int(v)) })
}

var bandwidths = map[Bandwidth]int{
	Narrowband: C.OPUS_BANDWIDTH_NARROWBAND, Mediumband: C.OPUS_BANDWIDTH_MEDIUMBAND, Wideband: C.OPUS_BANDWIDTH_WIDEBAND,
	Superwideband: C.OPUS_BANDWIDTH_SUPERWIDEBAND, Fullband: C.OPUS_BANDWIDTH_FULLBAND,
}

// Lookahead is the codec's algorithmic delay in samples: decoded audio lags
// the input by this much.
func (e *Encoder) Lookahead() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.e == nil {
		return 0
	}
	return int(C.dt_get_lookahead(e.e))
}

func (e *Encoder) ctl(what string, f func(*C.OpusEncoder) C.int) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.e == nil {
		return ErrClosed
	}
	if rc := f(e.e); rc != C.OPUS_OK {
		return fmt.Errorf("opus: setting %s: %s", what, errString(rc))
	}
	return nil
}

// Close releases libopus's encoder. It is safe to call more than once.
func (e *Encoder) Close() {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.e == nil {
		return
	}
	e.cleanup.Stop()
	C.opus_encoder_destroy(e.e)
	e.e = nil
}

func errString(rc C.int) string {
	return C.GoString(C.opus_strerror(rc))
}
