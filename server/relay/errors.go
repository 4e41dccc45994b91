package relay

import "errors"

var (
	// ErrNoCalls is returned by New when Config.Calls is nil.
	ErrNoCalls = errors.New("relay: Config.Calls is required")
	// ErrServing is returned by Serve when the relay is already serving.
	ErrServing = errors.New("relay: already serving")

	errNoLease      = errors.New("number holds no lease")
	errQuota        = errors.New("allocation quota reached for call and number")
	errNotLive      = errors.New("call is not live")
	errUnknownUser  = errors.New("allocation without a user")
	errTCPRelay     = errors.New("TCP relay allocations are not offered")
	errBadUsername  = errors.New("malformed relay username")
	errRelayClosing = errors.New("relay is shutting down")
)
