package casa_test

import (
	"context"
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"cartago/imaging/casa"
	"cartago/imaging/casa/casatest"
	"cartago/imaging/fits"
	"cartago/imaging/sample"
)

// variant is one CASA fixture made from a sample FITS file.
type variant struct {
	name, fits string
	opts       []string
	mask       bool    // the image must have a default mask
	tol        float64 // absolute difference allowed; 0: equal
}

var variants = []variant{
	{"image-le", "image-4096.fits", nil, true, 0},
	{"image-be-zeroed", "image-4096.fits", []string{"--endian", "big", "--tile", "5,7", "--zero-masked"}, true, 0},
	// casacore scales the integers in float32 (FITSImage), we in float64.
	{"int16-scaled", "int16-scaled.fits", []string{"--endian", "big"}, true, 1e-8},
	{"cube-nomask", "cube-512x512x200.fits", []string{"--no-mask", "--tile", "7,5,3"}, false, 0},
	{"cube-be", "cube-512x512x200.fits", []string{"--endian", "big"}, false, 0},
	{"stokes-be", "cube-stokes.fits", []string{"--endian", "big", "--tile", "5,7,3,1"}, false, 0},
	{"stokes-le", "cube-stokes.fits", []string{"--no-mask"}, false, 0},
}

// Fixtures are made once for the package's tests (python-casacore
// takes a second per image), in a folder TestMain removes.
var (
	fixtureOnce sync.Once
	fixtureDir  string
	fixtureErr  string
)

func TestMain(m *testing.M) {
	code := m.Run()
	if fixtureDir != "" {
		os.RemoveAll(fixtureDir)
	}
	os.Exit(code)
}

// fixtures writes the small samples and converts them; it returns the
// sample folder and the folder of the CASA images.
func fixtures(t *testing.T) (string, string) {
	t.Helper()
	casatest.Require(t)
	fixtureOnce.Do(func() {
		dir, err := os.MkdirTemp("", "casa-fixtures")
		if err != nil {
			fixtureErr = err.Error()
			return
		}
		fixtureDir = dir
		if err := sample.Generate(context.Background(), filepath.Join(dir, "fits"), sample.Options{Small: true}); err != nil {
			fixtureErr = err.Error()
			return
		}
		for _, v := range variants {
			casatest.Convert(t, filepath.Join(dir, "fits", v.fits), filepath.Join(dir, "casa", v.name+".im"), v.opts...)
		}
	})
	if fixtureErr != "" {
		t.Fatal(fixtureErr)
	}
	return filepath.Join(fixtureDir, "fits"), filepath.Join(fixtureDir, "casa")
}

// TestPixelsMatchFITS reads every plane and a few odd boxes of every
// fixture and compares them with the FITS file it was made from.
func TestPixelsMatchFITS(t *testing.T) {
	src, out := fixtures(t)
	for _, v := range variants {
		t.Run(v.name, func(t *testing.T) {
			f, err := fits.Open(filepath.Join(src, v.fits))
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			want, err := f.Image("0")
			if err != nil {
				t.Fatal(err)
			}
			im, err := casa.Open(filepath.Join(out, v.name+".im"))
			if err != nil {
				t.Fatal(err)
			}
			defer im.Close()
			if im.HasMask() != v.mask && v.mask {
				t.Fatalf("mask %v, want %v", im.HasMask(), v.mask)
			}
			comparePlanes(t, want, im, v.tol)
			compareBoxes(t, want, im)
		})
	}
}

func planeBox(im *casa.Image, c, s int) ([]int, []int) {
	start, count := make([]int, len(im.Shape)), make([]int, len(im.Shape))
	for i := range count {
		count[i] = 1
	}
	count[0], count[1] = im.Shape[0], im.Shape[1]
	if len(im.Shape) > 2 {
		start[2] = c
	}
	if len(im.Shape) > 3 {
		start[3] = s
	}
	return start, count
}

func comparePlanes(t *testing.T, want *fits.Image, im *casa.Image, tol float64) {
	t.Helper()
	l := want.Layout
	if im.Shape[0] != l.Width || im.Shape[1] != l.Height {
		t.Fatalf("shape %v, FITS %d×%d", im.Shape, l.Width, l.Height)
	}
	exp, got := make([]float32, l.Width*l.Height), make([]float32, l.Width*l.Height)
	nan := 0
	for c := 0; c < l.Depth; c++ {
		for s := 0; s < l.Stokes; s++ {
			if err := want.ReadPlane(exp, c, s); err != nil {
				t.Fatal(err)
			}
			start, count := planeBox(im, c, s)
			if err := im.ReadBox(got, start, count); err != nil {
				t.Fatal(err)
			}
			for i := range exp {
				if !same(exp[i], got[i]) && !(math.Abs(float64(exp[i]-got[i])) <= tol) {
					t.Fatalf("channel %d Stokes %d pixel %d: %v, FITS %v", c, s, i, got[i], exp[i])
				}
				if math.IsNaN(float64(exp[i])) {
					nan++
				}
			}
		}
	}
	t.Logf("%d planes equal, %d NaN pixels", l.Depth*l.Stokes, nan)
}

// compareBoxes reads spectra and a box crossing tile edges.
func compareBoxes(t *testing.T, want *fits.Image, im *casa.Image) {
	t.Helper()
	l := want.Layout
	if l.Depth < 2 {
		return
	}
	spec := make([]float32, l.Depth)
	got := make([]float32, l.Depth)
	for _, xy := range [][2]int{{0, 0}, {3, 11}, {l.Width - 1, l.Height - 1}} {
		if err := want.ReadSpectrum(spec, xy[0], xy[1], 0, 0); err != nil {
			t.Fatal(err)
		}
		start, count := make([]int, len(im.Shape)), make([]int, len(im.Shape))
		for i := range count {
			count[i] = 1
		}
		start[0], start[1], count[2] = xy[0], xy[1], l.Depth
		if err := im.ReadBox(got, start, count); err != nil {
			t.Fatal(err)
		}
		for i := range spec {
			if !same(spec[i], got[i]) {
				t.Fatalf("spectrum at %v channel %d: %v, FITS %v", xy, i, got[i], spec[i])
			}
		}
	}
}

func same(a, b float32) bool {
	return a == b || (math.IsNaN(float64(a)) && math.IsNaN(float64(b)))
}

// TestHeaderMatchesFITS: the cards made of the coordinate record agree
// with the FITS original's (numbers to float64 rounding).
func TestHeaderMatchesFITS(t *testing.T) {
	src, out := fixtures(t)
	keys := []string{"OBJECT", "TELESCOP", "OBSERVER", "DATE-OBS", "BUNIT", "BMAJ", "BMIN", "BPA", "EQUINOX", "RADESYS",
		"RESTFRQ", "SPECSYS", "VELREF"}
	for n := 1; n <= 4; n++ {
		for _, k := range []string{"CTYPE", "CRVAL", "CDELT", "CRPIX", "CUNIT"} {
			keys = append(keys, k+string(rune('0'+n)))
		}
	}
	for _, v := range variants {
		t.Run(v.name, func(t *testing.T) {
			f, err := fits.Open(filepath.Join(src, v.fits))
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			want, _ := f.Image("0")
			im, err := casa.Open(filepath.Join(out, v.name+".im"))
			if err != nil {
				t.Fatal(err)
			}
			defer im.Close()
			cards, err := im.Header()
			if err != nil {
				t.Fatal(err)
			}
			got := map[string]fits.Card{}
			for _, c := range cards {
				got[c.Name] = c
			}
			checked := 0
			for _, k := range keys {
				w, ok := want.HDU.Header.Get(k)
				if !ok {
					continue
				}
				g, ok := got[k]
				if !ok {
					t.Errorf("%s missing; FITS has %s", k, w.Value)
					continue
				}
				checked++
				if w.Type == fits.TypeFloat || w.Type == fits.TypeInt {
					if math.Abs(g.Number-w.Number) > 1e-12*math.Abs(w.Number) {
						t.Errorf("%s = %v, FITS %v", k, g.Number, w.Number)
					}
				} else if strings.TrimSpace(g.Value) != strings.TrimSpace(w.Value) {
					t.Errorf("%s = %q, FITS %q", k, g.Value, w.Value)
				}
			}
			if checked < 15 {
				t.Fatalf("only %d keys compared", checked)
			}
		})
	}
}

// TestOpenErrors: what is not a CASA image, or is a damaged one, gets a
// clear error.
func TestOpenErrors(t *testing.T) {
	_, out := fixtures(t)
	good := filepath.Join(out, "cube-be.im")
	if _, err := casa.Open(t.TempDir()); !errors.Is(err, casa.ErrNotImage) {
		t.Errorf("empty directory: %v", err)
	}
	if casa.IsImage(t.TempDir()) || !casa.IsImage(good) || casa.IsImage(filepath.Join(good, "mask0")) {
		t.Error("IsImage wrong")
	}
	damage := func(name string, fn func(path string)) string {
		dir := filepath.Join(t.TempDir(), name)
		copyDir(t, good, dir)
		fn(dir)
		return dir
	}
	truncate := func(file string, n int64) func(string) {
		return func(dir string) {
			if err := os.Truncate(filepath.Join(dir, file), n); err != nil {
				t.Fatal(err)
			}
		}
	}
	for _, c := range []struct {
		name string
		fn   func(string)
		want error
	}{
		{"table.dat", truncate("table.dat", 300), casa.ErrFormat},
		{"header", truncate("table.f0", 100), casa.ErrFormat},
		{"data", truncate("table.f0_TSM0", 1000), casa.ErrFormat},
	} {
		_, err := casa.Open(damage(c.name, c.fn))
		if !errors.Is(err, c.want) {
			t.Errorf("%s truncated: %v, want %v", c.name, err, c.want)
		}
	}
}

func copyDir(t *testing.T, from, to string) {
	t.Helper()
	err := filepath.Walk(from, func(p string, fi os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(from, p)
		if fi.IsDir() {
			return os.MkdirAll(filepath.Join(to, rel), 0o755)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(to, rel), b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestVelocityAxis: a radio-velocity axis, which casacore keeps in
// frequency, comes back as the FITS original's VRAD axis.
func TestVelocityAxis(t *testing.T) {
	src, _ := fixtures(t)
	dir := t.TempDir()
	in, out := filepath.Join(dir, "vrad.fits"), filepath.Join(dir, "vrad.im")
	axis := map[string]fits.Card{"CTYPE3": fits.NewStringCard("CTYPE3", "VRAD", ""), "CRVAL3": fits.NewFloatCard("CRVAL3", 1500, ""),
		"CDELT3": fits.NewFloatCard("CDELT3", -2500, ""), "CRPIX3": fits.NewFloatCard("CRPIX3", 1, ""), "CUNIT3": fits.NewStringCard("CUNIT3", "m/s", "")}
	casatest.Variant(t, filepath.Join(src, "cube-512x512x200.fits"), in, func(im *casatest.Image) {
		for i, c := range im.Cards {
			if a, ok := axis[c.Name]; ok {
				im.Cards[i] = a
			}
		}
	})
	casatest.Convert(t, in, out)
	im, err := casa.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer im.Close()
	got, err := im.Header()
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range got {
		if a, ok := axis[c.Name]; ok {
			if c.Value != a.Value && math.Abs(c.Number-a.Number) > 1e-6*math.Abs(a.Number) {
				t.Errorf("%s = %s, FITS %s", c.Name, c.Value, a.Value)
			}
			delete(axis, c.Name)
		}
	}
	if len(axis) > 0 {
		t.Errorf("missing %v", axis)
	}
}

// TestPixelTypes: Double images are read (rounded to float32); Complex
// ones are refused when opened, with the type named.
func TestPixelTypes(t *testing.T) {
	dir := t.TempDir()
	casatest.Run(t, dir, `
a = np.arange(2*3*5*7, dtype=np.float64).reshape(2, 3, 5, 7) / 7.0
im = ci.image('double.im', values=a); del im
im = ci.image('complex.im', values=(a + 1j*a).astype(np.complex64)); del im
`)
	im, err := casa.Open(filepath.Join(dir, "double.im"))
	if err != nil {
		t.Fatal(err)
	}
	defer im.Close()
	got := make([]float32, 2*3*5*7)
	if err := im.ReadBox(got, []int{0, 0, 0, 0}, []int{7, 5, 3, 2}); err != nil {
		t.Fatal(err)
	}
	for i, v := range got {
		if v != float32(float64(i)/7) {
			t.Fatalf("pixel %d: %v, want %v", i, v, float32(float64(i)/7))
		}
	}
	if _, err := casa.Open(filepath.Join(dir, "complex.im")); !errors.Is(err, casa.ErrUnsupported) || !strings.Contains(err.Error(), "Complex") {
		t.Fatalf("complex image: %v", err)
	}
}

// TestOtherStorageManagers: pixels in a storage manager other than the
// tiled ones are refused with its name.
func TestOtherStorageManagers(t *testing.T) {
	dir := t.TempDir()
	casatest.Run(t, dir, `
import casacore.tables as ct
desc = ct.maketabdesc(ct.makearrcoldesc('map', 0.0, ndim=2, shape=[3, 4], datamanagertype='StandardStMan'))
t = ct.table('plain.im', desc, nrow=1, ack=False)
t.putcell('map', 0, np.ones((3, 4)))
t.putinfo({'type': 'Image', 'subType': ''})
t.close()
`)
	if !casa.IsImage(filepath.Join(dir, "plain.im")) {
		t.Fatal("not recognised by table.info")
	}
	_, err := casa.Open(filepath.Join(dir, "plain.im"))
	if !errors.Is(err, casa.ErrUnsupported) || !strings.Contains(err.Error(), "StandardStMan") {
		t.Fatalf("StandardStMan image: %v", err)
	}
}

// TestTiledShapeStMan: pixels in a TiledShapeStMan (cubes with a row
// axis, tiled over room for many rows, behind a row map) read as the
// same image in a TiledCellStMan.
func TestTiledShapeStMan(t *testing.T) {
	_, out := fixtures(t)
	dir := t.TempDir()
	casatest.Run(t, dir, `
import casacore.tables as ct
src = '`+filepath.Join(out, "cube-nomask.im")+`'
kw = ct.table(src, ack=False).getkeywords()
data = ci.image(src).getdata()
desc = ct.maketabdesc(ct.makearrcoldesc('map', 0.0, ndim=3, valuetype='float', datamanagertype='TiledShapeStMan', datamanagergroup='map'))
dminfo = {'*1': {'TYPE': 'TiledShapeStMan', 'NAME': 'map', 'SPEC': {'DEFAULTTILESHAPE': np.array([4, 5, 6], dtype=np.int32)}, 'COLUMNS': ['map']}}
t = ct.table('shape.im', desc, nrow=1, dminfo=dminfo, ack=False)
t.putcell('map', 0, data.astype(np.float32))
for k in ('coords', 'imageinfo', 'units'):
    t.putkeyword(k, kw[k])
t.putinfo({'type': 'Image', 'subType': ''})
t.close()
`)
	read := func(path string) []float32 {
		im, err := casa.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		defer im.Close()
		n := 1
		for _, s := range im.Shape {
			n *= s
		}
		v := make([]float32, n)
		if err := im.ReadBox(v, make([]int, len(im.Shape)), im.Shape); err != nil {
			t.Fatal(err)
		}
		return v
	}
	want, got := read(filepath.Join(out, "cube-nomask.im")), read(filepath.Join(dir, "shape.im"))
	if len(got) != len(want) {
		t.Fatalf("%d pixels, want %d", len(got), len(want))
	}
	for i := range want {
		if !same(want[i], got[i]) {
			t.Fatalf("pixel %d: %v, want %v", i, got[i], want[i])
		}
	}
}
