//go:build unix

package fits

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestOpenRefusesFIFOWithoutBlocking: opening a FIFO used to wait for a
// writer forever, pinning an OS thread per request. Open must refuse it
// at once, naming what it is.
func TestOpenRefusesFIFOWithoutBlocking(t *testing.T) {
	path := filepath.Join(t.TempDir(), "pipe.fits")
	if err := syscall.Mkfifo(path, 0o644); err != nil {
		t.Fatal(err)
	}
	errc := make(chan error, 1)
	go func() {
		f, err := Open(path)
		if err == nil {
			f.Close()
		}
		errc <- err
	}()
	select {
	case err := <-errc:
		if !errors.Is(err, ErrNotRegular) || !strings.Contains(err.Error(), "named pipe") {
			t.Fatalf("Open(fifo) = %v, want ErrNotRegular naming a named pipe", err)
		}
	case <-time.After(10 * time.Second): // a hang, not a slow open
		// Unblock the stuck open so the test binary can finish.
		if w, err := os.OpenFile(path, os.O_WRONLY|syscall.O_NONBLOCK, 0); err == nil {
			w.Close()
		}
		t.Fatal("Open(fifo) blocked")
	}
}

func TestOpenRefusesDevices(t *testing.T) {
	_, err := Open("/dev/zero")
	if !errors.Is(err, ErrNotRegular) || !strings.Contains(err.Error(), "character device") {
		t.Fatalf("Open(/dev/zero) = %v, want ErrNotRegular naming a character device", err)
	}
}
