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
// Devices are shared by the calls in turn, so a phone holds one active call
// at a time: accepting a waiting call hangs up the active one.
package session
