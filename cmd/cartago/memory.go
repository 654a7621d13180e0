package main

import (
	"fmt"
	"math"
	"runtime/debug"
	"strconv"
	"strings"

	"cartago/imaging/budget"
)

// sizeUnits are the suffixes --memory-limit accepts, longest first so
// "MiB" is not read as "B".
var sizeUnits = []struct {
	suffix string
	scale  float64
}{
	{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"TiB", 1 << 40},
	{"KB", 1e3}, {"MB", 1e6}, {"GB", 1e9}, {"TB", 1e12},
	{"B", 1},
}

// parseSize reads a byte count: "8GiB", "512MiB", "1.5GB", "1048576".
func parseSize(s string) (int64, error) {
	t := strings.TrimSpace(s)
	scale := 1.0
	for _, u := range sizeUnits {
		if strings.HasSuffix(t, u.suffix) {
			t, scale = strings.TrimSpace(strings.TrimSuffix(t, u.suffix)), u.scale
			break
		}
	}
	v, err := strconv.ParseFloat(t, 64)
	if err != nil || !(v >= 0 && v*scale <= math.MaxInt64/2) { // NaN fails both

		return 0, fmt.Errorf("%q: want a size such as 8GiB, 512MiB or a number of bytes", s)
	}
	return int64(v * scale), nil
}

// memoryLimit parses --memory-limit ("" = budget.DefaultLimit()).
func memoryLimit(flag string) (int64, error) {
	if flag == "" {
		return budget.DefaultLimit(), nil
	}
	n, err := parseSize(flag)
	if err != nil {
		return 0, fmt.Errorf("--memory-limit %w", err)
	}
	return n, nil
}

// defaultUnlimitedCache is the default --cache-size without a memory limit.
const defaultUnlimitedCache = 1 << 30

// cacheSize parses --cache-size ("" = a quarter of the memory limit).
func cacheSize(flag string, memory int64) (int64, error) {
	if flag == "" {
		if memory <= 0 {
			return defaultUnlimitedCache, nil
		}
		return memory / 4, nil
	}
	n, err := parseSize(flag)
	if err != nil {
		return 0, fmt.Errorf("--cache-size %w", err)
	}
	return n, nil
}

// newBudget makes the server's memory budget and sets the Go runtime's
// soft limit above it. The budget counts only the large allocations
// (planes, caches, big messages); the soft limit leaves an eighth more
// for the rest of the heap, so that a full budget makes the collector
// work harder but does not make it run without pause. 0 = unlimited.
func newBudget(limit int64) *budget.Memory {
	if limit > 0 {
		debug.SetMemoryLimit(limit + limit/8)
	}
	return budget.NewMemory(limit)
}

// limitText shows a limit in logs and help: "14.1 GiB" or "unlimited".
func limitText(n int64) string {
	if n <= 0 {
		return "unlimited"
	}
	return budget.Bytes(n)
}

// defaultLimitText describes the default of --memory-limit.
func defaultLimitText() string {
	return fmt.Sprintf("%.0f%% of RAM, here %s", budget.DefaultShare*100, limitText(budget.DefaultLimit()))
}
