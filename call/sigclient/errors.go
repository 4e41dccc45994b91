package sigclient

import (
	"errors"
	"fmt"

	"github.com/dialtone/dialtone/call/wire"
)

// ErrClosed is returned by Send and Request after Close, or once Run has
// returned.
var ErrClosed = errors.New("signalling client closed")

// ErrRejected matches (errors.Is) every registration the server refused for
// good: wrong key, missing or invalid invite, a number it will not register,
// or the number registered again elsewhere. Run stops with it; retrying
// would not help.
var ErrRejected = errors.New("registration rejected")

// ErrReplaced matches (errors.Is) the *RejectedError Run stops with when
// this device registered afresh on another connection, which took the
// session over. Run does not connect again: it would take the number back
// and push the other connection off in turn.
var ErrReplaced = errors.New("replaced by another connection of this device")

// ServerError is an error message from the server.
type ServerError struct {
	Code    wire.Code
	Message string
}

func (e *ServerError) Error() string { return fmt.Sprintf("server: %s: %s", e.Code, e.Message) }

// RejectedError is a registration the server will not accept; errors.Is(err,
// ErrRejected) holds.
type RejectedError struct{ ServerError }

func (e *RejectedError) Error() string {
	if e.Code == wire.CodeReplaced {
		return fmt.Sprintf("session replaced: %s", e.Message)
	}
	return fmt.Sprintf("registration rejected: %s: %s", e.Code, e.Message)
}

// Is makes errors.Is(err, ErrRejected) hold, and errors.Is(err,
// ErrReplaced) for a replaced session.
func (e *RejectedError) Is(target error) bool {
	return target == ErrRejected || target == ErrReplaced && e.Code == wire.CodeReplaced
}

// fatalCodes are the registration errors that will not heal by retrying.
var fatalCodes = map[wire.Code]bool{
	wire.CodeAuthFailed: true, wire.CodeInviteRequired: true, wire.CodeInviteInvalid: true,
	wire.CodeBadNumber: true, wire.CodeVersion: true,
	wire.CodeLinkInvalid: true, wire.CodeLinkExpired: true, wire.CodeLinkUsed: true, wire.CodeLinkWrongNumber: true,
	wire.CodeLinkLimited: true, wire.CodeLinkUnconfirmed: true, wire.CodeDeviceLimit: true, wire.CodeUnlinked: true,
}

// endsSession are the errors without re that end a registered session for
// good. auth-failed is what servers that predate replaced send instead.
var endsSession = map[wire.Code]bool{wire.CodeReplaced: true, wire.CodeAuthFailed: true, wire.CodeUnlinked: true}
