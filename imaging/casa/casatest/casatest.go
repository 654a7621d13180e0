// Package casatest makes CASA image fixtures for tests: it converts
// FITS files written by our own generators with scripts/casa-fixture.py
// (Debian's python3-casacore).
package casatest

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"cartago/imaging/fits"
	"cartago/imaging/tooltest"
)

// Python is Debian's interpreter, which has python3-casacore.
const Python = tooltest.Python

// Require skips t when python3-casacore is missing, but fails it under
// scripts/test.sh (CARTAGO_REQUIRE_TOOLS set), which installs it.
func Require(t testing.TB) {
	t.Helper()
	tooltest.NeedPython(t, "python3-casacore", "casacore.images")
}

// Convert writes the CASA image out from the FITS file in, with the
// script's options (--endian big, --no-mask, --tile 5,7,3, --zero-masked).
func Convert(t testing.TB, in, out string, opts ...string) {
	t.Helper()
	Require(t)
	args := append([]string{Script(t), in, out}, opts...)
	cmd := exec.Command(Python, args...)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("casa-fixture.py %v: %v\n%s", opts, err, b)
	}
}

// Run runs Python code with casacore.images imported as ci and numpy
// as np, in dir.
func Run(t testing.TB, dir, code string) {
	t.Helper()
	Require(t)
	cmd := exec.Command(Python, "-c", "import casacore.images as ci\nimport numpy as np\n"+code)
	cmd.Dir = dir
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("python: %v\n%s", err, b)
	}
}

// Script is the path of scripts/casa-fixture.py, found from the test's
// directory up to the module root.
func Script(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return filepath.Join(dir, "scripts", "casa-fixture.py")
		}
		up := filepath.Dir(dir)
		if up == dir {
			t.Fatal("no go.mod above the test directory")
		}
		dir = up
	}
}

// Image is a float32 FITS image being changed: its cards without the
// structural ones, its axis lengths and its pixels in FITS order.
type Image struct {
	Cards []fits.Card
	Naxis []int
	Data  []float32
}

// Variant writes dst, a float32 FITS file with the first image of src
// changed by edit, for fixtures our samples lack.
func Variant(t testing.TB, src, dst string, edit func(im *Image)) {
	t.Helper()
	f, err := fits.Open(src)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	im, err := f.Image("0")
	if err != nil {
		t.Fatal(err)
	}
	l := im.Layout
	plane := l.Width * l.Height
	data := make([]float32, plane*l.Depth*l.Stokes)
	for s := range l.Stokes {
		for c := range l.Depth {
			k := s*l.Depth + c // FITS order when the depth axis precedes the Stokes axis, as in our samples
			if err := im.ReadPlane(data[k*plane:(k+1)*plane], c, s); err != nil {
				t.Fatal(err)
			}
		}
	}
	var cards []fits.Card
	for _, c := range im.HDU.Header.Cards {
		if fits.CheckCard(c) == nil {
			cards = append(cards, c)
		}
	}
	v := &Image{Cards: cards, Naxis: append([]int(nil), im.HDU.Naxis...), Data: data}
	edit(v)
	w, err := os.Create(dst)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	if err := fits.Write(w, fits.WriteHDU{Bitpix: -32, Naxis: v.Naxis, Cards: v.Cards, Data: v.Data}); err != nil {
		t.Fatal(err)
	}
}
