package relay

import (
	"time"

	"golang.org/x/sys/unix"
)

// processCPU returns the CPU time (user and system, all threads, live or
// exited) that process pid has used, in nanoseconds, from the kernel's
// per-process CPU clock (clock_getcpuclockid(3) of another process).
func processCPU(pid int) (time.Duration, error) {
	var ts unix.Timespec
	// CPUCLOCK_SCHED of the whole thread group: ((^pid) << 3) | 2.
	if err := unix.ClockGettime(int32((^pid)<<3|2), &ts); err != nil {
		return 0, err
	}
	return time.Duration(ts.Nano()), nil
}
