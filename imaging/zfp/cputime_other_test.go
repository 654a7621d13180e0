//go:build !linux

package zfp

import "time"

// threadCPU is unavailable here; benchmarks then report wall-clock MB/s only.
func threadCPU() time.Duration { return 0 }
