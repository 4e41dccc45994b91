package store

import (
	"errors"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// errClosed is a write that came after Close.
var errClosed = errors.New("store: closed")

var (
	// ErrNotFound is returned when the subscriber, call or callee asked for
	// does not exist.
	ErrNotFound = errors.New("store: not found")
	// ErrExists is returned when a number is bound already or a call ID is
	// taken.
	ErrExists = errors.New("store: already exists")
	// ErrInviteInvalid is returned by RedeemInvite for a code that is
	// malformed, unknown, for another number, used or expired. It is one error
	// for all of them so that a caller learns nothing from guessing.
	ErrInviteInvalid = errors.New("store: invite invalid")
	// ErrDeviceLimit is returned by AddDevice when the number holds as
	// many devices as it may.
	ErrDeviceLimit = errors.New("store: the number holds as many devices as it may")
	// ErrNameTaken is returned by AddDevice when another device of the
	// number has the name.
	ErrNameTaken = errors.New("store: a device of the number has that name")
	// ErrLastDevice is returned by RemoveDevice for a number's only device.
	ErrLastDevice = errors.New("store: the number's only device")
	// Link codes (ClaimLinkCode): each refusal has its own error, since a
	// code is one use, bound to one number and five minutes long, so that
	// knowing why one failed helps no guesser.
	ErrLinkInvalid     = errors.New("store: no such link code")
	ErrLinkExpired     = errors.New("store: link code expired")
	ErrLinkUsed        = errors.New("store: link code used")
	ErrLinkWrongNumber = errors.New("store: link code is for another number")
)

// sqliteCode returns the extended SQLite result code of err, or 0.
func sqliteCode(err error) int {
	var e *sqlite.Error
	if errors.As(err, &e) {
		return e.Code()
	}
	return 0
}

func isUniqueViolation(err error) bool {
	c := sqliteCode(err)
	return c == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY || c == sqlite3.SQLITE_CONSTRAINT_UNIQUE
}

func isForeignKeyViolation(err error) bool {
	return sqliteCode(err) == sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY
}
