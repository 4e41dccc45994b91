package vp8

/*
#cgo pkg-config: vpx
#include <stdlib.h>
#include <vpx/vpx_decoder.h>
#include <vpx/vp8dx.h>

typedef struct {
	vpx_codec_ctx_t ctx;
	int open;
} dt_dec;

static vpx_codec_err_t dt_dec_open(dt_dec *d) {
	vpx_codec_dec_cfg_t cfg = {0};
	cfg.threads = 1;
	vpx_codec_err_t err = vpx_codec_dec_init(&d->ctx, vpx_codec_vp8_dx(), &cfg, 0);
	if (err == VPX_CODEC_OK) d->open = 1;
	return err;
}

static void dt_dec_free(dt_dec *d) {
	if (d->open) vpx_codec_destroy(&d->ctx);
	free(d);
}

static int dt_dec_corrupted(dt_dec *d) {
	int corrupted = 0;
	if (vpx_codec_control_(&d->ctx, VP8D_GET_FRAME_CORRUPTED, &corrupted) != VPX_CODEC_OK) return 1;
	return corrupted;
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

// Decoder decompresses VP8 frames. It follows size changes at key frames.
// Its methods are safe for concurrent use; they are serialised.
type Decoder struct {
	mu      sync.Mutex
	c       *C.dt_dec
	cleanup runtime.Cleanup
	frame   device.Frame // reused for every picture
	synced  bool         // references are good: a key frame decoded, no error since
}

// NewDecoder returns a decoder waiting for its first key frame.
func NewDecoder() (*Decoder, error) {
	d := &Decoder{c: (*C.dt_dec)(C.calloc(1, C.sizeof_dt_dec))}
	if d.c == nil {
		return nil, fmt.Errorf("vp8: allocating decoder: out of memory")
	}
	d.cleanup = runtime.AddCleanup(d, func(c *C.dt_dec) { C.dt_dec_free(c) }, d.c)
	if rc := C.dt_dec_open(d.c); rc != C.VPX_CODEC_OK {
		d.Close()
		return nil, fmt.Errorf("vp8: opening decoder: %s", C.GoString(C.vpx_codec_err_to_string(rc)))
	}
	return d, nil
}

// Decode decompresses one frame (the whole frame, reassembled from its RTP
// packets). It returns ok=false with a nil error for a frame that is not
// meant to be shown.
//
// The returned Frame's planes belong to the Decoder and are overwritten by
// the next Decode; copy what must outlive it. Its Time is zero: the capture
// time travels in RTP, not in VP8.
//
// Errors: ErrInvalidPacket for input refused before decoding (state
// unchanged); ErrKeyFrameNeeded when no correct picture can be made until a
// key frame arrives (ask the sender for one); ErrClosed after Close.
func (d *Decoder) Decode(pkt []byte) (f device.Frame, ok bool, err error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.c == nil {
		return device.Frame{}, false, ErrClosed
	}
	hdr, err := parseHeader(pkt)
	if err != nil {
		return device.Frame{}, false, err
	}
	if !hdr.key && !d.synced {
		return device.Frame{}, false, ErrKeyFrameNeeded
	}
	// libvpx does not keep pkt past the call, so passing Go memory is fine.
	rc := C.vpx_codec_decode(&d.c.ctx, (*C.uint8_t)(unsafe.Pointer(&pkt[0])), C.uint(len(pkt)), nil, 0)
	if rc != C.VPX_CODEC_OK {
		d.synced = false
		detail := C.GoString(C.vpx_codec_err_to_string(rc))
		if s := C.vpx_codec_error_detail(&d.c.ctx); s != nil {
			detail += ": " + C.GoString(s)
		}
		return device.Frame{}, false, fmt.Errorf("decoding %d-byte frame: %s: %w", len(pkt), detail, ErrKeyFrameNeeded)
	}
	if C.dt_dec_corrupted(d.c) != 0 {
		d.synced = false
		return device.Frame{}, false, fmt.Errorf("decoded frame is corrupt: %w", ErrKeyFrameNeeded)
	}
	if hdr.key {
		d.synced = true
	}
	var iter C.vpx_codec_iter_t
	img := C.vpx_codec_get_frame(&d.c.ctx, &iter)
	if img == nil {
		return device.Frame{}, false, nil
	}
	// Drain: VP8 gives at most one picture per frame, but an iterator left
	// unfinished would hold the next call's picture back.
	for C.vpx_codec_get_frame(&d.c.ctx, &iter) != nil {
	}
	if err := d.copyOut(img); err != nil {
		d.synced = false
		return device.Frame{}, false, err
	}
	return d.frame, true, nil
}

// copyOut copies libvpx's picture into d.frame, cropping an odd size to even
// as device.Frame requires.
func (d *Decoder) copyOut(img *C.vpx_image_t) error {
	w, h := int(img.d_w)&^1, int(img.d_h)&^1
	if img.fmt != C.VPX_IMG_FMT_I420 || w == 0 || h == 0 {
		return fmt.Errorf("decoded picture %d×%d in format %d: %w", int(img.d_w), int(img.d_h), int(img.fmt), ErrKeyFrameNeeded)
	}
	if d.frame.Width != w || d.frame.Height != h {
		d.frame = device.NewFrame(w, h)
	}
	for i, dst := range [][]byte{d.frame.Y, d.frame.U, d.frame.V} {
		pw, ph := w, h
		if i > 0 {
			pw, ph = w/2, h/2
		}
		stride := int(img.stride[i])
		src := unsafe.Slice((*byte)(unsafe.Pointer(img.planes[i])), stride*(ph-1)+pw)
		for y := 0; y < ph; y++ {
			copy(dst[y*pw:(y+1)*pw], src[y*stride:y*stride+pw])
		}
	}
	return nil
}

// Close releases libvpx's decoder. It is safe to call more than once.
func (d *Decoder) Close() {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.c == nil {
		return
	}
	d.cleanup.Stop()
	C.dt_dec_free(d.c)
	d.c = nil
}
