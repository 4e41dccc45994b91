package audiotest

import "syscall"

// daemonAttr: if the test binary dies, the daemon goes with it.
func daemonAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
