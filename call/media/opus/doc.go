// Package opus is dialtone's Opus audio codec: a thin cgo wrapper over
// libopus for 48 kHz mono voice in 20 ms frames (device.FrameSamples), with
// in-band forward error correction, loss concealment and optional
// discontinuous transmission.
//
// It turns PCM into packets and back and nothing else: RTP, jitter buffering
// and deciding when a packet is lost belong to the call engine. Built without
// cgo, the package still compiles but its constructors return
// ErrUnavailable, so a static server binary can link the call engine.
package opus
