package session

import "errors"

// Outcomes of Dial a caller may branch on; the events say the same.
var (
	ErrUnavailable = errors.New("the number is unavailable")
	ErrBusy        = errors.New("the number is busy")
)

// ErrNoCall is returned for a call ID the phone does not hold, or one not in
// a state the action applies to.
var ErrNoCall = errors.New("no such call")

// ErrStopped is returned when the phone is not running.
var ErrStopped = errors.New("phone stopped")
