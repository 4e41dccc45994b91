package wire

import (
	"errors"
	"fmt"
)

// Code is an error code carried in an error message.
type Code string

// Error codes.
const (
	CodeBadMessage     Code = "bad-message" // not JSON, wrong types, missing fields
	CodeTooLarge       Code = "too-large"   // over MaxMessage or a field bound
	CodeVersion        Code = "unsupported-version"
	CodeUnknownType    Code = "unknown-type"
	CodeNotRegistered  Code = "not-registered"  // a call message before registration
	CodeBadNumber      Code = "bad-number"      // not E.164 or a service code
	CodeAuthFailed     Code = "auth-failed"     // proof does not verify, or the number is bound to another key
	CodeInviteRequired Code = "invite-required" // policy invite and no code given
	CodeInviteInvalid  Code = "invite-invalid"
	CodeRateLimited    Code = "rate-limited"
	// CodeDialLimited refuses a dial that the server's dial limits do not
	// allow: a call of yours still rings, too many calls from your address
	// ring, or too many dials a minute from your number to that number or
	// from your address. No call is made or recorded; the message says
	// which limit, and a later dial may succeed.
	CodeDialLimited  Code = "dial-limited"
	CodeUnknownCall  Code = "unknown-call" // no such call, or not yours
	CodeWrongState   Code = "wrong-state"  // e.g. accept on a call that is not ringing
	CodeSelf         Code = "self"         // dialling your own number
	CodeNoCapacity   Code = "no-capacity"  // the address pool is exhausted
	CodeResumeFailed Code = "resume-failed"
	CodeShutdown     Code = "server-shutdown"
	CodeInternal     Code = "internal"

	// Devices (see "Devices" in the package documentation).
	CodeLinkInvalid     Code = "link-invalid"      // no such link code, or not one in form
	CodeLinkExpired     Code = "link-expired"      // the code is older than LinkTTL
	CodeLinkUsed        Code = "link-used"         // the code linked a device already
	CodeLinkWrongNumber Code = "link-wrong-number" // the code is for another number; it is spent
	CodeLinkLimited     Code = "link-limited"      // too many link attempts for the number or from the address
	CodeLinkUnconfirmed Code = "link-unconfirmed"  // the linking device did not sign in time, or signed wrong
	CodeDeviceLimit     Code = "device-limit"      // the number holds MaxDevices devices already
	CodeUnknownDevice   Code = "unknown-device"    // unlink: no device of that name
	CodeUnlinked        Code = "unlinked"          // this device was unlinked; it cannot register again
	// CodeReplaced ends a session because the same device (the same key)
	// registered afresh on another connection; see "Replaced sessions" in
	// the package documentation. The client must not connect again by
	// itself: it would push the new connection off in turn.
	CodeReplaced Code = "replaced"
)

// ErrBadMessage is returned by Decode for every message it rejects; the
// wrapped *Error says which code to answer with.
var ErrBadMessage = errors.New("bad message")

// Error is a protocol error: what to send back, and why.
type Error struct {
	Code Code
	Msg  string
}

func (e *Error) Error() string { return fmt.Sprintf("%s: %s", e.Code, e.Msg) }

// Is lets errors.Is(err, ErrBadMessage) match every decoding error.
func (e *Error) Is(target error) bool { return target == ErrBadMessage }

func errorf(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Msg: fmt.Sprintf(format, args...)}
}

// ErrorMessage builds the error message answering req (which may be nil).
func ErrorMessage(req *Message, code Code, msg string) *Message {
	m := &Message{V: Version, Type: TypeError, Code: code, Message: msg}
	if req != nil {
		m.Re = req.Seq
		m.Call = req.Call
	}
	return m
}
