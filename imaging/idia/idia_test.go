package idia

import (
	"errors"
	"os/exec"
	"path/filepath"
	"testing"

	"cartago/imaging/fits"
	"cartago/imaging/hdf5"
	"cartago/imaging/stats"
	"cartago/imaging/tooltest"
)

// h5py writes a file with script (argument: the path) and opens it.
func h5py(t *testing.T, script string) *hdf5.File {
	t.Helper()
	return h5pyArgs(t, "", script)
}

// h5pyArgs is h5py with more arguments to h5py.File (", libver='latest'").
func h5pyArgs(t *testing.T, fileArgs, script string) *hdf5.File {
	t.Helper()
	tooltest.NeedPython(t, "python3-h5py", "h5py")
	p := filepath.Join(t.TempDir(), "f.hdf5")
	if out, err := exec.Command(tooltest.Python, "-c", "import sys, h5py, numpy as np\nf = h5py.File(sys.argv[1], 'w'"+fileArgs+")\n"+script+"\nf.close()", p).CombinedOutput(); err != nil {
		t.Fatalf("h5py: %v\n%s", err, out)
	}
	f, err := hdf5.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

func TestNotIDIA(t *testing.T) {
	f := h5py(t, "f['x'] = [1.0, 2.0]")
	if _, err := Open(f, ""); !errors.Is(err, ErrSchema) {
		t.Fatalf("no group 0: %v", err)
	}
	f = h5py(t, "f.create_group('0')['DATA'] = np.zeros(5, 'f4')")
	if _, err := Open(f, "0"); !errors.Is(err, ErrSchema) {
		t.Fatalf("1-D DATA: %v", err)
	}
	f = h5py(t, "f.create_group('0')['DATA'] = np.zeros((3, 4), 'f4')")
	if _, err := Open(f, "1"); !errors.Is(err, fits.ErrNoHDU) {
		t.Fatalf("image 1: %v", err)
	}
}

// TestBareImage: a 2-D image with header attributes of every kind and
// no optional datasets reads like FITS; malformed optional datasets are
// ignored, not trusted.
func TestBareImage(t *testing.T) {
	f := h5py(t, `g = f.create_group('0')
g['DATA'] = np.arange(12, dtype='>f8').reshape(3, 4)
g.attrs['CTYPE1'] = np.bytes_(b'RA---TAN')
g.attrs['CTYPE2'] = 'DEC--TAN'
g.attrs['CRVAL1'] = 10.5
g.attrs['NAXIS'] = np.int64(2)
g.attrs['BSCALE'] = 2.0
g.attrs['LOGICAL'] = True
g['MipMaps/DATA/DATA_XY_2'] = np.zeros((5, 5), 'f4')
g['Statistics/XY/MIN'] = np.zeros(3, 'f4')`)
	im, err := Open(f, "")
	if err != nil {
		t.Fatal(err)
	}
	if l := im.Layout; l.Width != 4 || l.Height != 3 || l.Depth != 1 {
		t.Fatalf("layout %+v", l)
	}
	if v, _ := im.Header.String("CTYPE2"); v != "DEC--TAN" {
		t.Errorf("CTYPE2 %q", v)
	}
	if v, _ := im.Header.Float("CRVAL1"); v != 10.5 {
		t.Errorf("CRVAL1 %g", v)
	}
	if v, ok := im.Header.Bool("LOGICAL"); !ok || !v {
		t.Errorf("LOGICAL %v %v", v, ok)
	}
	if _, ok := im.Header.Get("BSCALE"); ok {
		t.Error("BSCALE kept: DATA holds physical values")
	}
	if len(im.Mips()) != 0 || im.HasSwizzled() {
		t.Errorf("mips %v swizzled %v from malformed datasets", im.Mips(), im.HasSwizzled())
	}
	if _, ok := im.PlaneHistogram(0, 0, stats.Config{NumBins: stats.AutoBinSize}); ok {
		t.Error("histogram from an incomplete Statistics group")
	}
	row := make([]float32, 4)
	if err := im.ReadRows(row, 0, 0, 2, 1); err != nil || row[3] != 11 {
		t.Fatalf("row 2: %v %v", row, err)
	}
	rect := make([]float32, 2)
	if err := im.ReadRect(rect, 0, 0, 1, 1, 2, 1); err != nil || rect[0] != 5 || rect[1] != 6 {
		t.Fatalf("rect: %v %v", rect, err)
	}
	for _, bad := range []func() error{
		func() error { return im.ReadRect(rect, 0, 0, 3, 0, 2, 1) },
		func() error { return im.ReadPlane(make([]float32, 12), 1, 0) },
		func() error { return im.ReadSpectrum(make([]float32, 2), 0, 0, 0, 0) },
	} {
		if err := bad(); !errors.Is(err, fits.ErrOutOfRange) {
			t.Errorf("out of range read: %v", err)
		}
	}
}

// TestResizableCube: a cube written as a resizable dataset in the
// newest format (chunks indexed by an extensible array, the channel axis
// unlimited) reads plane by plane and spectrum by spectrum like the
// values numpy wrote.
func TestResizableCube(t *testing.T) {
	const depth, height, width = 40, 20, 30
	f := h5pyArgs(t, ", libver='latest'", `g = f.create_group('0')
v = (np.arange(40 * 20 * 30, dtype=np.float64) * 0.25 - 100).astype('<f4').reshape(40, 20, 30)
g.create_dataset('DATA', data=v, chunks=(1, 8, 8), maxshape=(None, 20, 30), compression='gzip', shuffle=True)`)
	im, err := Open(f, "")
	if err != nil {
		t.Fatal(err)
	}
	if l := im.Layout; l.Width != width || l.Height != height || l.Depth != depth {
		t.Fatalf("layout %+v", l)
	}
	value := func(z, y, x int) float32 { return float32(float64((z*height+y)*width+x)*0.25 - 100) }
	plane := make([]float32, width*height)
	for z := range depth {
		if err := im.ReadPlane(plane, z, 0); err != nil {
			t.Fatalf("plane %d: %v", z, err)
		}
		for i, v := range plane {
			if want := value(z, i/width, i%width); v != want {
				t.Fatalf("plane %d pixel %d = %g, want %g", z, i, v, want)
			}
		}
	}
	spec := make([]float32, depth-3)
	for _, p := range [][2]int{{0, 0}, {29, 19}, {13, 7}} {
		if err := im.ReadSpectrum(spec, p[0], p[1], 0, 3); err != nil {
			t.Fatalf("spectrum %v: %v", p, err)
		}
		for i, v := range spec {
			if want := value(3+i, p[1], p[0]); v != want {
				t.Fatalf("spectrum %v channel %d = %g, want %g", p, 3+i, v, want)
			}
		}
	}
}
