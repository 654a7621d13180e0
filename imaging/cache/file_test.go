package cache

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"cartago/imaging/fits"
)

// writeImage writes a w×h float32 image of value v.
func writeImage(t *testing.T, path string, w, h int, v float32) {
	t.Helper()
	data := make([]float32, w*h)
	for i := range data {
		data[i] = v
	}
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := fits.Write(f, fits.WriteHDU{Bitpix: -32, Naxis: []int{w, h}, Data: data}); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestOpensOfOneFileShareIt(t *testing.T) {
	c := New(Options{})
	path := filepath.Join(t.TempDir(), "a.fits")
	writeImage(t, path, 16, 16, 1)
	a, err := c.Open(t.Context(), path, fits.Options{})
	if err != nil {
		t.Fatal(err)
	}
	b, err := c.Open(t.Context(), path, fits.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if a.FITS() != b.FITS() || a.ID() != b.ID() || c.Stats().Opens != 1 {
		t.Fatalf("two opens: same file %v, opens %d", a.FITS() == b.FITS(), c.Stats().Opens)
	}
	a.Close()
	a.Close() // idempotent
	img, err := b.FITS().Image("")
	if err != nil {
		t.Fatal(err)
	}
	if p, err := img.Plane(0, 0); err != nil || p.Data[0] != 1 {
		t.Fatalf("read after the other reference closed: %v", err)
	}
	b.Close()
	if _, err := img.Plane(0, 0); err == nil || c.Stats().Files != 0 {
		t.Fatalf("the last close left the file open (files %d)", c.Stats().Files)
	}
}

func TestAFileReplacedOnDiskIsANewFile(t *testing.T) {
	c := New(Options{})
	path := filepath.Join(t.TempDir(), "a.fits")
	writeImage(t, path, 16, 16, 1)
	old, err := c.Open(t.Context(), path, fits.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer old.Close()
	writeImage(t, path+".new", 16, 16, 2)
	if err := os.Rename(path+".new", path); err != nil {
		t.Fatal(err)
	}
	rewritten := time.Now().Add(time.Minute) // in place, same size: only the time tells
	fresh, err := c.Open(t.Context(), path, fits.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer fresh.Close()
	if fresh.ID() == old.ID() || fresh.FITS() == old.FITS() {
		t.Fatal("a replaced file kept the old identity")
	}
	writeImage(t, path, 16, 16, 3)
	if err := os.Chtimes(path, rewritten, rewritten); err != nil {
		t.Fatal(err)
	}
	again, err := c.Open(t.Context(), path, fits.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer again.Close()
	if again.ID() == fresh.ID() {
		t.Fatal("a file rewritten in place kept the old identity")
	}
}
