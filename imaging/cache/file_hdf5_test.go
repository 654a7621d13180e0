//go:build unix

package cache

import (
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"cartago/imaging/fits"
	"cartago/imaging/hdf5"
)

// TestOpenFIFONeverBlocks: telling HDF5 from FITS by content must not
// wait for a FIFO's writer; the open fails at once as not regular.
func TestOpenFIFONeverBlocks(t *testing.T) {
	p := filepath.Join(t.TempDir(), "pipe.h5")
	if err := syscall.Mkfifo(p, 0o644); err != nil {
		// Only where the file system cannot hold a FIFO; Linux CI always can.
		t.Skipf("this file system cannot make a FIFO (the test needs one): %v", err)
	}
	c := New(Options{})
	done := make(chan error, 1)
	go func() {
		_, err := c.Open(t.Context(), p, fits.Options{})
		done <- err
	}()
	select {
	case err := <-done:
		if !errors.Is(err, fits.ErrNotRegular) {
			t.Fatalf("open FIFO: %v, want ErrNotRegular", err)
		}
	case <-time.After(10 * time.Second):
		// Unblock the stuck open so the test can end.
		if w, err := os.OpenFile(p, os.O_WRONLY, 0); err == nil {
			w.Close()
		}
		t.Fatal("opening a FIFO blocked")
	}
}

// TestHDF5FileCharged: an HDF5 file is recognised by content and its
// chunk cache bound charged while it is open.
func TestHDF5FileCharged(t *testing.T) {
	p := filepath.Join(t.TempDir(), "x.dat")
	if err := os.WriteFile(p, []byte(hdf5.Signature+"not really"), 0o644); err != nil {
		t.Fatal(err)
	}
	c := New(Options{})
	if _, err := c.Open(t.Context(), p, fits.Options{}); err == nil || errors.Is(err, fits.ErrNotFITS) {
		t.Fatalf("a file with the HDF5 signature was read as FITS or accepted: %v", err)
	}
	if c.Stats().Bytes != 0 {
		t.Fatalf("%d bytes charged after a failed open", c.Stats().Bytes)
	}
}
