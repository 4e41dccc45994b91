//go:build !(linux || darwin || freebsd || netbsd || openbsd)

package main

import "os"

// redirectStderr does nothing where file descriptors cannot be duplicated.
func redirectStderr(*os.File) (restore func()) { return func() {} }
