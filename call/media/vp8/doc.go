// Package vp8 is dialtone's VP8 video codec: a thin cgo wrapper over libvpx
// tuned for real-time calls (one-pass CBR, no look-ahead, error resilient,
// key frames on demand, rate control that follows the pictures' capture
// times).
//
// It compresses and decompresses device.Frame pictures and nothing else: RTP
// packetisation, jitter buffering and deciding when to ask for a key frame
// belong to the call engine. Built without cgo, the package still compiles
// but its constructors return ErrUnavailable, so a static server binary can
// link the call engine.
package vp8
