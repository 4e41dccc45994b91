package vp8

/*
#cgo pkg-config: vpx
#include <stdlib.h>
#include <vpx/vpx_encoder.h>
#include <vpx/vp8cx.h>

// dt_enc keeps everything libvpx points into in C memory, so no Go pointer
// is ever retained by C.
typedef struct {
	vpx_codec_ctx_t ctx;
	vpx_codec_enc_cfg_t cfg;
	vpx_image_t *img;
	int open;
} dt_enc;

typedef struct {
	const void *buf;
	size_t sz;
	int key;
} dt_pkt;

static vpx_codec_err_t dt_enc_default(dt_enc *e) {
	return vpx_codec_enc_config_default(vpx_codec_vp8_cx(), &e->cfg, 0);
}

static vpx_codec_err_t dt_enc_open(dt_enc *e) {
	vpx_codec_err_t err = vpx_codec_enc_init(&e->ctx, vpx_codec_vp8_cx(), &e->cfg, 0);
	if (err == VPX_CODEC_OK) e->open = 1;
	return err;
}

// vpx_codec_control is variadic, which cgo cannot call.
static vpx_codec_err_t dt_enc_ctrl(dt_enc *e, int id, int v) {
	return vpx_codec_control_(&e->ctx, id, v);
}

static void dt_enc_close(dt_enc *e) {
	if (e->open) vpx_codec_destroy(&e->ctx);
	e->open = 0;
	if (e->img) vpx_img_free(e->img);
	e->img = NULL;
}

static void dt_enc_free(dt_enc *e) {
	dt_enc_close(e);
	free(e);
}

// dt_enc_next returns the next compressed frame of the last encode call.
static int dt_enc_next(dt_enc *e, vpx_codec_iter_t *iter, dt_pkt *out) {
	const vpx_codec_cx_pkt_t *p;
	while ((p = vpx_codec_get_cx_data(&e->ctx, iter)) != NULL) {
		if (p->kind == VPX_CODEC_CX_FRAME_PKT) {
			out->buf = p->data.frame.buf;
			out->sz = p->data.frame.sz;
			out->key = (p->data.frame.flags & VPX_FRAME_IS_KEY) != 0;
			return 1;
		}
	}
	return 0;
}
*/
import "C"

import (
	"fmt"
	"runtime"
	"sync"
	"time"
	"unsafe"

	"github.com/dialtone/dialtone/device"
)

// clockRate is the encoder's timebase, the RTP clock of video, so that the
// engine can reason about both in the same unit.
const clockRate = 90000

// Encoder compresses pictures to VP8. Its methods are safe for concurrent
// use; they are serialised.
type Encoder struct {
	mu      sync.Mutex
	cfg     EncoderConfig
	c       *C.dt_enc
	cleanup runtime.Cleanup
	kbps    int

	tw, th int // target size; 0×0 follows the source
	w, h   int // size libvpx is open for; 0×0 before the first frame

	started    bool
	origin     time.Time // Time of the first frame
	lastPts    int64
	lastKeyPts int64
	keyPending bool // a key frame was asked for and not yet produced
}

// NewEncoder returns an encoder for cfg. When cfg has a size, libvpx is set
// up at once; otherwise at the first frame.
func NewEncoder(cfg EncoderConfig) (*Encoder, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	e := &Encoder{cfg: cfg, kbps: cfg.clamp(cfg.BitrateKbps), tw: cfg.Width, th: cfg.Height}
	e.c = (*C.dt_enc)(C.calloc(1, C.sizeof_dt_enc))
	if e.c == nil {
		return nil, fmt.Errorf("vp8: allocating encoder: out of memory")
	}
	// A leaked Encoder must not leak libvpx's buffers too.
	e.cleanup = runtime.AddCleanup(e, func(c *C.dt_enc) { C.dt_enc_free(c) }, e.c)
	if e.tw != 0 {
		if err := e.open(e.tw, e.th); err != nil {
			e.Close()
			return nil, err
		}
	}
	return e, nil
}

// open (re)initialises libvpx for w×h pictures. The next frame is a key
// frame.
func (e *Encoder) open(w, h int) error {
	C.dt_enc_close(e.c)
	e.w, e.h = 0, 0
	if err := C.dt_enc_default(e.c); err != C.VPX_CODEC_OK {
		return fmt.Errorf("vp8: default config: %s", C.GoString(C.vpx_codec_err_to_string(err)))
	}
	cfg := &e.c.cfg
	cfg.g_w, cfg.g_h = C.uint(w), C.uint(h)
	cfg.g_threads = C.uint(e.cfg.threads(w, h))
	cfg.g_timebase.num, cfg.g_timebase.den = 1, clockRate
	cfg.g_pass = C.VPX_RC_ONE_PASS
	cfg.g_lag_in_frames = 0 // every frame out as soon as it is in
	cfg.g_error_resilient = C.VPX_ERROR_RESILIENT_DEFAULT
	cfg.rc_end_usage = C.VPX_CBR
	cfg.rc_target_bitrate = C.uint(e.kbps)
	cfg.rc_resize_allowed = 0 // the engine steps the size itself (Resize)
	cfg.rc_min_quantizer = 2
	cfg.rc_max_quantizer = 56 // past this, dropping frames or size looks better
	cfg.rc_undershoot_pct = 100
	cfg.rc_overshoot_pct = 15
	// A small decoder buffer model (in ms) keeps frames near the average
	// size, so no single frame sits in a queue for long.
	cfg.rc_buf_initial_sz = 500
	cfg.rc_buf_optimal_sz = 600
	cfg.rc_buf_sz = 1000
	if !e.cfg.NoFrameDrop {
		cfg.rc_dropframe_thresh = 30
	}
	cfg.kf_mode = C.VPX_KF_AUTO
	cfg.kf_min_dist = 0
	cfg.kf_max_dist = C.uint(max(1, int(e.cfg.KeyInterval.Seconds()*float64(e.cfg.FPS))))
	if e.c.img = C.vpx_img_alloc(nil, C.VPX_IMG_FMT_I420, C.uint(w), C.uint(h), 1); e.c.img == nil {
		return fmt.Errorf("vp8: allocating %d×%d image: out of memory", w, h)
	}
	if err := C.dt_enc_open(e.c); err != C.VPX_CODEC_OK {
		return fmt.Errorf("vp8: opening %d×%d encoder: %s", w, h, e.errString(err))
	}
	// Cap a key frame at a few average frames, so it does not stall the link.
	intraPct := max(300, 600/2*e.cfg.FPS/10)
	for _, c := range []struct {
		id  C.int
		val int
	}{
		{C.VP8E_SET_CPUUSED, -e.cfg.Speed},
		{C.VP8E_SET_STATIC_THRESHOLD, 1}, // skip blocks that did not change
		{C.VP8E_SET_NOISE_SENSITIVITY, 0},
		{C.VP8E_SET_TOKEN_PARTITIONS, C.VP8_TWO_TOKENPARTITION}, // lets a receiver decode on 2 threads
		{C.VP8E_SET_MAX_INTRA_BITRATE_PCT, intraPct},
	} {
		if err := C.dt_enc_ctrl(e.c, c.id, C.int(c.val)); err != C.VPX_CODEC_OK {
			return fmt.Errorf("vp8: encoder control %d: %s", c.id, e.errString(err))
		}
	}
	e.w, e.h = w, h
	e.keyPending = true
	return nil
}

func (e *Encoder) errString(err C.vpx_codec_err_t) string {
	if e.c.open != 0 {
		if d := C.vpx_codec_error_detail(&e.c.ctx); d != nil {
			return C.GoString(C.vpx_codec_err_to_string(err)) + ": " + C.GoString(d)
		}
	}
	return C.GoString(C.vpx_codec_err_to_string(err))
}

// Encode compresses f. It returns a key frame when forceKey is set, at the
// first frame, after a size change, and at least every KeyInterval. pkt is
// nil when rate control drops the frame; a key frame asked for is then
// produced at the next frame that is not dropped. pkt is newly allocated
// and belongs to the caller.
//
// f.Time drives rate control: each frame's budget is the target bitrate
// times the time since the previous frame, so frames may come at any
// pace. Frames with a zero Time are taken to be 1/FPS apart.
func (e *Encoder) Encode(f device.Frame, forceKey bool) (pkt []byte, key bool, err error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.c == nil {
		return nil, false, ErrClosed
	}
	if err := checkFrame(f); err != nil {
		return nil, false, err
	}
	w, h := e.tw, e.th
	if w == 0 {
		w, h = f.Width, f.Height
	}
	if w != e.w || h != e.h {
		if err := e.open(w, h); err != nil {
			return nil, false, err
		}
	}
	pts := e.timestamp(f.Time)
	if pts-e.lastKeyPts >= int64(e.cfg.KeyInterval/(time.Second/clockRate)) {
		forceKey = true
	}
	e.keyPending = e.keyPending || forceKey
	e.load(f)
	var flags C.vpx_enc_frame_flags_t
	if e.keyPending {
		flags |= C.VPX_EFLAG_FORCE_KF
	}
	// The duration is always the nominal one: libvpx measures a frame's
	// interval from the end (pts+duration) of the previous frame, so a
	// constant duration makes it see the true gaps between capture times.
	dur := C.ulong(clockRate / e.cfg.FPS)
	if rc := C.vpx_codec_encode(&e.c.ctx, e.c.img, C.vpx_codec_pts_t(pts), dur, flags, C.VPX_DL_REALTIME); rc != C.VPX_CODEC_OK {
		return nil, false, fmt.Errorf("vp8: encoding frame: %s", e.errString(rc))
	}
	var iter C.vpx_codec_iter_t
	var p C.dt_pkt
	for C.dt_enc_next(e.c, &iter, &p) != 0 {
		pkt = append(pkt, unsafe.Slice((*byte)(p.buf), int(p.sz))...)
		key = key || p.key != 0
	}
	if key {
		e.keyPending = false
		e.lastKeyPts = pts
	}
	return pkt, key, nil
}

// timestamp turns a capture time into a strictly increasing pts in 1/90000 s
// since the first frame.
func (e *Encoder) timestamp(t time.Time) int64 {
	var pts int64
	switch {
	case !e.started:
		e.started, e.origin = true, t
		e.lastPts, e.lastKeyPts = 0, 0
		return 0
	case t.IsZero() || e.origin.IsZero():
		pts = e.lastPts + clockRate/int64(e.cfg.FPS)
	default:
		pts = int64(t.Sub(e.origin) / (time.Second / clockRate))
	}
	if pts <= e.lastPts {
		pts = e.lastPts + 1 // a clock that stepped back must not stall libvpx
	}
	e.lastPts = pts
	return pts
}

func checkFrame(f device.Frame) error {
	w, h := f.Width, f.Height
	if w < 2 || h < 2 || w%2 != 0 || h%2 != 0 {
		return fmt.Errorf("vp8: frame size %d×%d is not even", w, h)
	}
	if len(f.Y) < w*h || len(f.U) < w*h/4 || len(f.V) < w*h/4 {
		return fmt.Errorf("vp8: %d×%d frame with planes of %d, %d, %d bytes", w, h, len(f.Y), len(f.U), len(f.V))
	}
	return nil
}

// load copies (or scales) f into libvpx's image.
func (e *Encoder) load(f device.Frame) {
	img := e.c.img
	for i, src := range [][]byte{f.Y, f.U, f.V} {
		sw, sh, dw, dh := f.Width, f.Height, e.w, e.h
		if i > 0 {
			sw, sh, dw, dh = sw/2, sh/2, dw/2, dh/2
		}
		stride := int(img.stride[i])
		dst := unsafe.Slice((*byte)(unsafe.Pointer(img.planes[i])), stride*(dh-1)+dw)
		scalePlane(dst, dw, dh, stride, src, sw, sh, sw)
	}
}

// SetBitrate retargets the encoder from the next frame, clamped to
// [MinKbps, MaxKbps].
func (e *Encoder) SetBitrate(kbps int) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.c == nil {
		return ErrClosed
	}
	e.kbps = e.cfg.clamp(kbps)
	if e.c.open == 0 {
		return nil
	}
	e.c.cfg.rc_target_bitrate = C.uint(e.kbps)
	if rc := C.vpx_codec_enc_config_set(&e.c.ctx, &e.c.cfg); rc != C.VPX_CODEC_OK {
		return fmt.Errorf("vp8: setting bitrate to %d kbit/s: %s", e.kbps, e.errString(rc))
	}
	return nil
}

// Bitrate returns the current target in kbit/s, after clamping.
func (e *Encoder) Bitrate() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.kbps
}

// Resize sets the size of the encoded pictures (even); frames of another size
// are scaled to it. The next frame is a key frame at the new size. 0×0
// means follow the frames' own size.
func (e *Encoder) Resize(w, h int) error {
	if err := checkSize(w, h); err != nil {
		return err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.c == nil {
		return ErrClosed
	}
	e.tw, e.th = w, h
	if w == 0 || (w == e.w && h == e.h) {
		return nil // opened at the next frame, at its size
	}
	return e.open(w, h)
}

// Size returns the size of the pictures being encoded, 0×0 before the first
// frame when the size follows the source.
func (e *Encoder) Size() (w, h int) {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.w, e.h
}

// Close releases libvpx's encoder. It is safe to call more than once.
func (e *Encoder) Close() {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.c == nil {
		return
	}
	e.cleanup.Stop()
	C.dt_enc_free(e.c)
	e.c = nil
}
