package lease

import "errors"

var (
	// ErrExhausted means every address is leased or in hold-down. The caller
	// tells the dialling party "no capacity"; Stats counts these.
	ErrExhausted = errors.New("address pool exhausted")

	// ErrNoLease means the number holds no live lease: it never had one,
	// released it, or let it expire.
	ErrNoLease = errors.New("no lease")

	// ErrInvalid means a Config or an argument is unusable.
	ErrInvalid = errors.New("invalid")
)
