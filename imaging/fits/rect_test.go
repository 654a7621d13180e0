package fits

import (
	"errors"
	"os"
	"runtime"
	"testing"
)

// Whole planes (large ones split over cores) and bands of a mapped file
// give the file's values, and the band of a plane equals its rows.
func TestPlanesAndRows(t *testing.T) {
	const w, h, d = 1024, parallelDecode/1024 + 3, 2 // a plane above parallelDecode, and a partial chunk
	im := mustImage(t, mustOpen(t, writeTemp(t, "cube.fits", cubeBytes(w, h, d, 1))), "")
	plane := make([]float32, w*h)
	for c := range d {
		if err := im.ReadPlane(plane, c, 0); err != nil {
			t.Fatal(err)
		}
		for _, i := range []int{0, 1, w*h/2 + 7, w*h - 1} {
			if x, y := i%w, i/w; plane[i] != cubeValue(x, y, c, 0) {
				t.Fatalf("channel %d pixel (%d, %d) = %v, want %v", c, x, y, plane[i], cubeValue(x, y, c, 0))
			}
		}
		band := make([]float32, w*5)
		if err := im.ReadRows(band, c, 0, h-5, 5); err != nil {
			t.Fatal(err)
		}
		if !sameFloats(band, plane[(h-5)*w:]) {
			t.Errorf("channel %d: the last 5 rows differ from the plane's", c)
		}
	}
}

// Close leaves no descriptor open: opening and closing a file
// many times leaves no descriptor behind.
func TestCloseReleasesDescriptor(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("counts descriptors in /proc/self/fd")
	}
	path := writeTemp(t, "cube.fits", cubeBytes(8, 8, 2, 1))
	before := openFDs(t)
	for range 50 {
		f, err := Open(path)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := mustImage(t, f, "").Plane(1, 0); err != nil {
			t.Fatal(err)
		}
		if err := f.Close(); err != nil {
			t.Fatal(err)
		}
	}
	if after := openFDs(t); after > before+2 {
		t.Errorf("%d descriptors open after 50 opens and closes, %d before", after, before)
	}
}

func openFDs(t *testing.T) int {
	t.Helper()
	fds, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	return len(fds)
}

// ReadRect gives a rectangle's values, from a mapped file and from
// memory for gzip; a rectangle outside the plane is refused.
func TestReadRect(t *testing.T) {
	const w, h, d = 3000, 200, 2 // 12 kB rows: 21 of them per 256 KiB chunk
	raw := cubeBytes(w, h, d, 1)
	for _, name := range []string{"cube.fits", "cube.fits.gz"} {
		b := raw
		if name == "cube.fits.gz" {
			b = gzipBytes(raw)
		}
		im := mustImage(t, mustOpen(t, writeTemp(t, name, b)), "")
		for _, r := range [][4]int{{0, 0, w, h}, {17, 5, 400, 150}, {w - 1, h - 1, 1, 1}, {5, 7, 0, 3}} {
			x0, y0, rw, rows := r[0], r[1], r[2], r[3]
			dst := make([]float32, rw*rows)
			if err := im.ReadRect(dst, 1, 0, x0, y0, rw, rows); err != nil {
				t.Fatalf("%s %v: %v", name, r, err)
			}
			for i, v := range dst {
				if x, y := x0+i%rw, y0+i/rw; v != cubeValue(x, y, 1, 0) {
					t.Fatalf("%s %v: pixel (%d, %d) = %v, want %v", name, r, x, y, v, cubeValue(x, y, 1, 0))
				}
			}
		}
		if err := im.ReadRect(make([]float32, 4), 0, 0, w-1, 0, 2, 2); !errors.Is(err, ErrOutOfRange) {
			t.Errorf("%s: rectangle past the right edge: %v", name, err)
		}
	}
}
