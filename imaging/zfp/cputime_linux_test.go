//go:build linux

package zfp

import (
	"syscall"
	"time"
)

// threadCPU returns the CPU time (user and system) the calling OS thread
// has used, or 0 if it cannot tell. Benchmarks lock their goroutine to a
// thread and report throughput per CPU second next to wall-clock MB/s,
// which a busy machine skews.
func threadCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(1 /* RUSAGE_THREAD */, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
