package fits

import (
	"fmt"
	"io/fs"
	"os"
)

// OpenRegular opens path for reading and refuses anything that is not a
// regular file with ErrNotRegular. The open itself cannot block: on Unix
// it uses O_NONBLOCK, so a FIFO (which would wait for a writer) opens at
// once and is then refused by the check of the opened descriptor, which
// also closes the race with a file swapped after an earlier stat.
// Regular files ignore O_NONBLOCK.
func OpenRegular(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|openNonblock, 0)
	if err != nil {
		return nil, err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	if !st.Mode().IsRegular() {
		f.Close()
		return nil, NotRegular(st.Mode())
	}
	return f, nil
}

// NotRegular returns ErrNotRegular naming the kind of file mode is,
// e.g. "not a regular file (named pipe)".
func NotRegular(mode fs.FileMode) error {
	return fmt.Errorf("%w (%s)", ErrNotRegular, KindOf(mode))
}

// KindOf names the type of a file mode as users know it.
func KindOf(mode fs.FileMode) string {
	switch {
	case mode.IsRegular():
		return "regular file"
	case mode.IsDir():
		return "directory"
	case mode&fs.ModeNamedPipe != 0:
		return "named pipe"
	case mode&fs.ModeSocket != 0:
		return "socket"
	case mode&fs.ModeCharDevice != 0:
		return "character device"
	case mode&fs.ModeDevice != 0:
		return "block device"
	case mode&fs.ModeSymlink != 0:
		return "symbolic link"
	}
	return "irregular file"
}
