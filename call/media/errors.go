package media

import "errors"

var (
	// ErrClosed is returned by a Session's methods after Close.
	ErrClosed = errors.New("media: session closed")

	// ErrNoAudio is returned by SendTones in a session without a
	// microphone: tones travel on the audio stream.
	ErrNoAudio = errors.New("media: no audio stream")
	// ErrNoSignal is returned by New without a Signal.
	ErrNoSignal = errors.New("media: no signal to send SDP and ICE through")

	// ErrUnexpectedSDP is returned by HandleSDP for a description that does
	// not fit the negotiation: an offer to the offerer, an answer to the
	// answerer, an unknown type.
	ErrUnexpectedSDP = errors.New("media: unexpected session description")
)
