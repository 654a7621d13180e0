package budget

import (
	"bufio"
	"bytes"
	"os"
	"strconv"
	"strings"
)

// DefaultShare is the part of the machine's memory (or of the cgroup's
// limit, when lower) that DefaultLimit gives the server: enough for big
// cubes, with room left for the page cache that memory-mapped FITS
// files read through, and for the rest of the machine.
const DefaultShare = 0.6

// DefaultLimit returns DefaultShare of the memory this process may use:
// the smaller of physical RAM and the cgroup v2 memory.max. It returns
// 0 (unlimited) when neither can be read.
func DefaultLimit() int64 {
	total := min(positive(physicalMemory()), positive(cgroupLimit()))
	if total == 1<<62 {
		return 0
	}
	return int64(float64(total) * DefaultShare)
}

func positive(n int64) int64 {
	if n <= 0 {
		return 1 << 62
	}
	return n
}

// physicalMemory reads MemTotal from /proc/meminfo; 0 if unknown.
func physicalMemory() int64 {
	f, err := os.Open("/proc/meminfo")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) >= 2 && fields[0] == "MemTotal:" {
			kb, err := strconv.ParseInt(fields[1], 10, 64)
			if err != nil {
				return 0
			}
			return kb << 10
		}
	}
	return 0
}

// cgroupLimit reads the cgroup v2 memory.max of this process; 0 if
// unlimited or unknown.
func cgroupLimit() int64 {
	b, err := os.ReadFile("/sys/fs/cgroup/memory.max")
	if err != nil {
		return 0
	}
	n, err := strconv.ParseInt(string(bytes.TrimSpace(b)), 10, 64)
	if err != nil { // "max"
		return 0
	}
	return n
}
