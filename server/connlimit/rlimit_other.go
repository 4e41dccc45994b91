//go:build !unix

package connlimit

import "errors"

// Nofile is not known on this system.
func Nofile() (uint64, error) { return 0, errors.New("RLIMIT_NOFILE is not known on this system") }
