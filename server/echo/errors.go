package echo

import "errors"

var (
	errNotAccepted = errors.New("an offer came before the call was accepted")
	errNotAnswerer = errors.New("the echo answers calls; it does not offer")
	errNoRelay     = errors.New("media must go through the relay, but the call came without relay credentials")
)

var errClosing = errors.New("the call is closing")
