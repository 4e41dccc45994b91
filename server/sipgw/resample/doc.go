// Package resample converts audio between G.711's 8 kHz and Opus's 48 kHz:
// a polyphase low-pass FIR (a Kaiser-windowed sinc, linear phase) that
// interpolates by six (Up) and filters before keeping every sixth sample
// (Down), so that the images of interpolation and the aliases of
// decimation are at least 70 dB down, and the telephone band (300 to
// 3400 Hz) passes flat.
//
// A converter keeps the last samples of its stream as the filter's history,
// so a stream must be fed in order through one converter; it allocates
// nothing after its first call with the longest block. It is not safe for
// concurrent use.
package resample
