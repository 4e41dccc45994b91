package sipgw

import "errors"

// ErrMalformed is returned for a SIP message the gateway will not handle.
var ErrMalformed = errors.New("sipgw: malformed message")

var errClosing = errors.New("sipgw: the call is closing")
