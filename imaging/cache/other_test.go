package cache

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
)

// closer counts its closes.
type closer struct{ closed *atomic.Int32 }

func (c closer) Close() error { c.closed.Add(1); return nil }

// TestOpenOtherShares: users of one identity share one opened value,
// closed once with the last reference (Ref's included); a failed open is
// not remembered.
func TestOpenOtherShares(t *testing.T) {
	c := New(Options{Size: 1 << 20})
	path := filepath.Join(t.TempDir(), "data")
	if err := os.WriteFile(path, []byte("pixels"), 0o644); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	var opens, closes atomic.Int32
	opener := func() (io.Closer, error) { opens.Add(1); return closer{&closes}, nil }
	a, err := c.OpenOther(t.Context(), path, fi, opener)
	if err != nil {
		t.Fatal(err)
	}
	b, err := c.OpenOther(t.Context(), path, fi, opener)
	if err != nil {
		t.Fatal(err)
	}
	r := a.Ref()
	if opens.Load() != 1 || a.ID() != b.ID() || r.Other() != a.Other() || a.Path() != path || a.FITS() != nil {
		t.Fatalf("opens %d, ids %v %v", opens.Load(), a.ID(), b.ID())
	}
	a.Close()
	a.Close() // a second close of one reference does nothing
	b.Close()
	if closes.Load() != 0 {
		t.Fatal("closed while a reference is left")
	}
	r.Close()
	if closes.Load() != 1 {
		t.Fatalf("%d closes after the last reference", closes.Load())
	}
	boom := errors.New("boom")
	if _, err := c.OpenOther(t.Context(), path, fi, func() (io.Closer, error) { return nil, boom }); !errors.Is(err, boom) {
		t.Fatalf("failed open: %v", err)
	}
	d, err := c.OpenOther(t.Context(), path, fi, opener)
	if err != nil || opens.Load() != 2 {
		t.Fatalf("open after a failure: %v, %d opens", err, opens.Load())
	}
	d.Close()
}
