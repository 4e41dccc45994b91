package session

import "errors"

// Outcomes of Dial a caller may branch on; the events say the same.
var (
	ErrUnavailable = errors.New("the number is unavailable")
	ErrBusy        = errors.New("the number is busy")
)

// ErrBadTones is SendTones' digits that are not keys, or a call whose
// media carries no tones.
var ErrBadTones = errors.New("not keypad tones")

// ErrNoCall is returned for a call ID the phone does not hold, or one not in
// a state the action applies to.
var ErrNoCall = errors.New("no such call")

// ErrOffline is returned by Dial while the server cannot be reached; the
// error says why.
var ErrOffline = errors.New("the server cannot be reached")

// ErrStopped is returned when the phone is not running.
var ErrStopped = errors.New("phone stopped")
