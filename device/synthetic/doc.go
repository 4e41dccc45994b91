// Package synthetic provides deterministic media sources and recording sinks:
// a moving test pattern that carries its frame number and capture time in its
// pixels (and the decoder that reads them back), a sine tone (and a frequency
// detector), YUV4MPEG2 and WAV file players and writers, and capture sinks
// with bounded memory.
//
// The tests and `--camera test` / `--mic tone` use the synthetic sources in
// place of real devices; `--camera file:X.y4m` / `--mic file:X.wav` use the
// file players. Sources are paced in real time against an injected [Clock],
// so tests can drive them with testing/synctest or a fake clock.
//
// It is not a codec and not a device driver; it imports only the standard
// library and package device.
package synthetic
