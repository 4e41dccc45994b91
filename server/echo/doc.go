// Package echo is the echo test: a service party on the switchboard that
// answers a short code (600 by default) itself and sends every caller its
// own audio and video back, through the relay, as any callee would.
//
// Each call is a pion/webrtc PeerConnection on the server, the answerer to
// the caller's offer, using the relay credentials of the accepted message:
// its TURN allocation is bound on the service's lease, so the caller's media
// goes from the caller's lease to the echo's and comes back the same way.
// It does not decode anything. Every RTP packet of a received track is
// written, unchanged but for SSRC, payload type and header extensions, to a
// local track of the same codec on the same transceiver; picture-loss
// requests the caller sends about the echoed video are passed on to the
// caller's own sender, so a key frame comes when the caller's decoder asks
// for one; the echo also asks for one as it starts echoing video, since the
// caller's first key frame usually leaves before the media path is up.
//
// It is bounded: MaxCalls calls at once (the next is refused), MaxDuration
// per call (then it hangs up), SetupTimeout from ringing to connected media.
// Close hangs up every call and returns once every goroutine it started has
// ended.
//
// It is not the call engine: it has no jitter buffer, codec or congestion
// control of its own, and it imports nothing of the client (server/... may
// not; see cmd/dialtone's layering test).
package echo
