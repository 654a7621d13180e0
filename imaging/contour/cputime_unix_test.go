//go:build unix

package contour

import (
	"syscall"
	"time"
)

// cpuTime is the user+system CPU time of the process so far, so that
// benchmarks can report CPU per op, which a busy machine inflates far less
// than wall time.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
