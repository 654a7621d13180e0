package fits

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// A box copied as stored reads back as the decoded values; scaled
// images are left to the caller.
func TestWriteImageRowsCopiesTheStoredBox(t *testing.T) {
	dir := t.TempDir()
	data := make([]float32, 6*5*2)
	for i := range data {
		data[i] = float32(i) + 0.5
	}
	path := filepath.Join(dir, "src.fits")
	var buf bytes.Buffer
	if err := Write(&buf, WriteHDU{Bitpix: -32, Naxis: []int{6, 5, 2}, Data: data}); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	im, err := f.Image("0")
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	e := NewEncoder(&out)
	if err := e.WriteHeader(WriteHDU{Bitpix: -32, Naxis: []int{3, 2}}); err != nil {
		t.Fatal(err)
	}
	if ok, err := e.WriteImageRows(im, 1, 0, 2, 1, 3, 2); !ok || err != nil {
		t.Fatalf("copy: %v %v", ok, err)
	}
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	cut := filepath.Join(dir, "cut.fits")
	if err := os.WriteFile(cut, out.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	g, err := Open(cut)
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	gi, _ := g.Image("0")
	p, err := gi.Plane(0, 0)
	if err != nil {
		t.Fatal(err)
	}
	for y := range 2 {
		for x := range 3 {
			if got, want := p.Data[y*3+x], data[30+(1+y)*6+2+x]; got != want {
				t.Fatalf("(%d,%d) = %v, want %v", x, y, got, want)
			}
		}
	}

	// Full rows come from the file itself (copy_file_range into a file).
	whole, err := os.Create(filepath.Join(dir, "whole.fits"))
	if err != nil {
		t.Fatal(err)
	}
	defer whole.Close()
	e = NewEncoder(whole)
	_ = e.WriteHeader(WriteHDU{Bitpix: -32, Naxis: []int{6, 5}})
	if ok, err := e.WriteImageRows(im, 1, 0, 0, 0, 6, 5); !ok || err != nil {
		t.Fatalf("full rows: %v %v", ok, err)
	}
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	h, err := Open(whole.Name())
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	hi, _ := h.Image("0")
	hp, err := hi.Plane(0, 0)
	if err != nil {
		t.Fatal(err)
	}
	for i, v := range hp.Data {
		if v != data[30+i] {
			t.Fatalf("full rows: value %d = %v, want %v", i, v, data[30+i])
		}
	}

	e = NewEncoder(&out)
	_ = e.WriteHeader(WriteHDU{Bitpix: -64, Naxis: []int{3, 2}})
	if ok, err := e.WriteImageRows(im, 0, 0, 0, 0, 3, 2); ok || err != nil {
		t.Fatalf("other BITPIX: %v %v, want not applicable", ok, err)
	}
}
