//go:build !linux

package audiotest

import "syscall"

// daemonAttr: only Linux can tie the daemon's life to the test binary's
// (Pdeathsig); elsewhere the test's cleanup is what ends it.
func daemonAttr() *syscall.SysProcAttr { return nil }
