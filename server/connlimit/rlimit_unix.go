//go:build unix

package connlimit

import (
	"fmt"
	"syscall"
)

// Nofile returns the process's soft RLIMIT_NOFILE. (The Go runtime raises
// the soft limit to the hard one at start.)
func Nofile() (uint64, error) {
	var rl syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &rl); err != nil {
		return 0, fmt.Errorf("reading RLIMIT_NOFILE: %w", err)
	}
	return uint64(rl.Cur), nil
}
