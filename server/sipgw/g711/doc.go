// Package g711 is ITU-T G.711, the telephone network's audio codec: 8 kHz
// samples companded to one byte each, by the μ-law (PCMU, RTP payload type
// 0, North America and Japan) or the A-law (PCMA, payload type 8, the rest
// of the world).
//
// It converts 16-bit linear PCM to codes and back, sample by sample, and
// nothing else: it keeps no state, knows nothing of RTP or packet loss, and
// does not resample (G.711 is 8 kHz; the gateway's resampler takes it to
// 48 kHz).
package g711
