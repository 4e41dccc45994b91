// Package session is the phone: one registered number, its calls' state
// machines, and each call's media session. It drives call/sigclient, turns
// the server's messages into call.Events, and builds a media session (through
// a factory, so tests and other media stacks plug in) when a call is
// accepted. The TUI and `dialtone call` are its two faces; both consume the
// same events.
//
// Every call that got an ID from the server ends with exactly one `ended`
// event; when it ended before it was answered, a more specific event
// (refused, unavailable, busy, no-answer, cancelled) comes first and ended's
// reason repeats it.
//
// The phone signs its SDP's DTLS fingerprints with its device key (a call
// statement, call/identity) and judges the peer's before the media sees
// its SDP: the verdict is a trust event (call.Trust, with the safety code),
// and a statement that fails or does not match, or a key that is not the
// one pinned for the number (Config.Keys), ends the call unconnected
// (reasons not-verified and key-changed) rather than let a server in the
// middle carry it.
//
// Keypad tones (SendTones, and the dtmf event for the other party's) travel
// in the call's media, as RFC 4733 events, not in the signalling: a SIP
// phone or a telephone-network menu behind the gateway gets the same
// packets.
//
// Devices are shared by the calls in turn, so a phone holds one active call
// at a time: accepting a waiting call hangs up the active one.
package session
