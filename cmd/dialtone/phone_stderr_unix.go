//go:build linux || darwin || freebsd || netbsd || openbsd

package main

import (
	"os"

	"golang.org/x/sys/unix"
)

// redirectStderr points file descriptor 2 at f while the TUI owns the
// terminal, so that C libraries (ALSA and PortAudio print warnings when a
// device opens) cannot write over the screen; the returned function puts the
// terminal back.
func redirectStderr(f *os.File) (restore func()) {
	saved, err := unix.Dup(2)
	if err != nil {
		return func() {}
	}
	if err := unix.Dup2(int(f.Fd()), 2); err != nil {
		unix.Close(saved)
		return func() {}
	}
	return func() {
		unix.Dup2(saved, 2)
		unix.Close(saved)
	}
}
