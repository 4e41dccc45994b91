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
	return fmt.Sprintf("registration rejected: %s: %s", e.Code, e.Message)
}

// Is makes errors.Is(err, ErrRejected) hold.
func (e *RejectedError) Is(target error) bool { return target == ErrRejected }

// fatalCodes are the registration errors that will not heal by retrying.
var fatalCodes = map[wire.Code]bool{
	wire.CodeAuthFailed: true, wire.CodeInviteRequired: true, wire.CodeInviteInvalid: true,
	wire.CodeBadNumber: true, wire.CodeVersion: true,
	wire.CodeLinkInvalid: true, wire.CodeLinkExpired: true, wire.CodeLinkUsed: true, wire.CodeLinkWrongNumber: true,
	wire.CodeLinkLimited: true, wire.CodeLinkUnconfirmed: true, wire.CodeDeviceLimit: true, wire.CodeUnlinked: true,
}
