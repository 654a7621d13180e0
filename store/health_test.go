package store

import (
	"os"
	"testing"
)

func TestCountSizeAndReady(t *testing.T) {
	s := openTemp(t)
	if err := s.Ready(t.Context()); err != nil {
		t.Fatalf("ready: %v", err)
	}
	if err := s.Put(&Snapshot{SessionId: 1}, &Snapshot{SessionId: 2}); err != nil {
		t.Fatal(err)
	}
	if n, err := s.Count(); err != nil || n != 2 {
		t.Fatalf("count = %d, %v; want 2", n, err)
	}
	fi, err := os.Stat(s.Path())
	if err != nil {
		t.Fatal(err)
	}
	if n, err := s.Size(); err != nil || n != fi.Size() {
		t.Fatalf("size = %d, %v; the file has %d bytes", n, err, fi.Size())
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Ready(t.Context()); err == nil {
		t.Fatal("a closed store is ready")
	}
	if err := s.Ready(t.Context()); err == nil {
		t.Fatal("a second probe of a closed store is ready (the first one's slot was not given back?)")
	}
}
