// Package dtmf is keypad tones as RFC 4733 telephone events: the 4-byte
// event payload, a sender that turns queued digits into the packets of one
// audio stream (start, updates, three end packets, a gap), a receiver that
// reports each event once however many of its packets arrive, and a pion
// track that can write event packets beside the audio it carries.
//
// Both ends of a dialtone call and the SIP gateway use it: a digit travels
// in-band, on the call's audio stream, as browsers' RTCDTMFSender sends it,
// so the gateway passes it on to the SIP side as it passes the audio.
//
// It does not make or detect tones in sound (in-band DTMF audio), and it
// does not handle RFC 2198 redundancy: dialtone never offers it.
package dtmf
