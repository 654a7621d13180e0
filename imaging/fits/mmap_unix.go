//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly

package fits

import (
	"fmt"
	"os"
	"syscall"
)

// mapFile maps size bytes of f read-only and returns the bytes and the
// function that unmaps them. The mapping outlives f's descriptor.
func mapFile(f *os.File, size int64) ([]byte, func() error, error) {
	if size > int64(maxInt) {
		return nil, nil, fmt.Errorf("%w: %d bytes cannot be mapped", ErrTooLarge, size)
	}
	b, err := syscall.Mmap(int(f.Fd()), 0, int(size), syscall.PROT_READ, syscall.MAP_SHARED)
	if err != nil {
		return nil, nil, fmt.Errorf("mmap: %w", err)
	}
	return b, func() error { return syscall.Munmap(b) }, nil
}
