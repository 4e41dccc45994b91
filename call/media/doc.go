// Package media is one call's media session: a pion/webrtc PeerConnection
// carrying VP8 video and Opus audio both ways, with the devices on either
// end.
//
// A Session sends what the camera and microphone give (after downscaling
// video to what the congestion controller allows), receives the other
// party's streams through jitter buffers, decodes them and hands pictures and
// sound to the sinks. It measures what it does (Stats, the schema of
// `dialtone call --stats`).
//
// The signalling is not here: a Session hands its SDP and ICE candidates to
// a Signal and takes the other party's through HandleSDP and HandleICE; the
// call state machine (call/session) owns when a call starts and ends.
//
// # Sending
//
// One goroutine per source. Video frames go through a quality ladder (size
// ÷1, ÷2, ÷4 and 30, 15, 10 fps, with hysteresis) chosen from the video
// share of the send-side bandwidth estimate (pion/interceptor's GCC, fed by
// transport-wide congestion control feedback), then the VP8 encoder, whose
// target bitrate follows the same estimate, and are packetised into RTP
// with timestamps taken from the frames' capture times on the 90 kHz clock.
// Audio has priority: its bitrate plus packet overhead is reserved from the
// estimate before video gets the rest. A PLI or FIR from the receiver forces
// a key frame; receiver reports set the Opus encoder's expected loss, which
// sizes its in-band FEC. Keypad tones (SendTones) go on the audio stream
// as RFC 4733 telephone events (call/dtmf), in place of the frames their
// packets take.
//
// # Receiving
//
// Video packets go into a jitter buffer that reorders by sequence number
// and assembles whole VP8 frames; a frame that stays incomplete past a
// bounded wait (longer when the round trip is long, so that NACK
// retransmissions can fill it) is dropped, and the decoder waits for a key
// frame, which a PLI asks for. Audio packets go into a small reordering
// buffer; a lost packet is rebuilt from the next packet's FEC data when it
// carries some, else concealed. Telephone events on the audio stream are
// keys for Tones, one an event, and no lost frames.
//
// # Not here
//
// Devices (package device), codecs (vp8, opus), signalling and the call
// state machine (call/sigclient, call/session), rendering (tui).
package media
