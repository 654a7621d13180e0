//go:build !(linux || darwin || freebsd || netbsd || openbsd || dragonfly)

package fits

import (
	"io"
	"os"
)

// mapFile reads the whole file where memory mapping is not implemented.
func mapFile(f *os.File, size int64) ([]byte, func() error, error) {
	b := make([]byte, size)
	if _, err := io.ReadFull(f, b); err != nil {
		return nil, nil, err
	}
	return b, func() error { return nil }, nil
}
