//go:build !unix

package ws

import "time"

// processCPU is not measured here: the cpu-ms/view metric reads 0.
func processCPU() time.Duration { return 0 }
