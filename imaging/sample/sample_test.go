package sample

import (
	"context"
	"crypto/sha256"
	"errors"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"cartago/imaging/fits"
)

// expected describes one generated file in Small mode.
type expected struct {
	name     string
	images   []string // ImageNames
	dims     []int    // NAXISn of the first image
	axes     fits.AxisNumbers
	stokes   []int
	spectral bool
	blank    bool // integer BLANK present
	nan      bool // NaN pixels expected in plane 0
}

var smallFiles = []expected{
	{name: "image-4096.fits", images: []string{"0"}, dims: []int{64, 64}, axes: fits.AxisNumbers{SpatialX: 1, SpatialY: 2}, nan: true},
	{name: "cube-512x512x200.fits", images: []string{"0"}, dims: []int{32, 32, 8},
		axes: fits.AxisNumbers{SpatialX: 1, SpatialY: 2, Spectral: 3, Depth: 3}, spectral: true},
	{name: "cube-stokes.fits", images: []string{"0"}, dims: []int{16, 16, 4, 4},
		axes: fits.AxisNumbers{SpatialX: 1, SpatialY: 2, Spectral: 3, Stokes: 4, Depth: 3}, stokes: []int{1, 2, 3, 4}, spectral: true},
	{name: "int16-scaled.fits", images: []string{"0"}, dims: []int{64, 64}, axes: fits.AxisNumbers{SpatialX: 1, SpatialY: 2}, blank: true, nan: true},
	{name: "multi-hdu.fits", images: []string{"1: SCI", "2: ERR"}, dims: []int{32, 32}, axes: fits.AxisNumbers{SpatialX: 1, SpatialY: 2}},
	{name: "image-small.fits.gz", images: []string{"0"}, dims: []int{32, 32}, axes: fits.AxisNumbers{SpatialX: 1, SpatialY: 2}},
	{name: "more/image-more.fits", images: []string{"0"}, dims: []int{16, 16}, axes: fits.AxisNumbers{SpatialX: 1, SpatialY: 2}},
}

func generateSmall(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if err := Generate(context.Background(), dir, Options{Small: true}); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestGenerateSmall(t *testing.T) {
	dir := generateSmall(t)
	for _, want := range smallFiles {
		t.Run(want.name, func(t *testing.T) {
			f, err := fits.Open(filepath.Join(dir, filepath.FromSlash(want.name)))
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			if got := f.ImageNames(); !reflect.DeepEqual(got, want.images) {
				t.Fatalf("ImageNames %q, want %q", got, want.images)
			}
			im, err := f.Image("")
			if err != nil {
				t.Fatal(err)
			}
			checkShape(t, im, want)
			checkWCS(t, im.Header, want)
			checkData(t, im, want)
		})
	}
}

func checkShape(t *testing.T, im *fits.Image, want expected) {
	t.Helper()
	if !reflect.DeepEqual(im.Naxis, want.dims) {
		t.Errorf("NAXISn %v, want %v", im.Naxis, want.dims)
	}
	if im.Layout.Axes != want.axes {
		t.Errorf("axes %+v, want %+v", im.Layout.Axes, want.axes)
	}
	if !reflect.DeepEqual(im.Layout.StokesValues, want.stokes) {
		t.Errorf("Stokes values %v, want %v", im.Layout.StokesValues, want.stokes)
	}
	if b, ok := im.Beam(); !ok || b.Major <= b.Minor || b.PA != 25 {
		t.Errorf("beam %+v, %v", b, ok)
	}
}

func checkWCS(t *testing.T, h *fits.Header, want expected) {
	t.Helper()
	strs := map[string]string{"CTYPE1": "RA---SIN", "CTYPE2": "DEC--SIN", "CUNIT1": "deg", "CUNIT2": "deg",
		"BUNIT": "Jy/beam", "RADESYS": "FK5", "TELESCOP": "ALMA", "DATE-OBS": "2024-03-14T03:21:09.000", "SIMDESC": description}
	if want.spectral {
		strs["CTYPE3"], strs["SPECSYS"], strs["CUNIT3"] = "FREQ", "LSRK", "Hz"
	}
	for k, v := range strs {
		if got, _ := h.String(k); got != v {
			t.Errorf("%s = %q, want %q", k, got, v)
		}
	}
	for _, k := range []string{"CRVAL1", "CRVAL2", "CDELT1", "CDELT2", "CRPIX1", "CRPIX2", "EQUINOX", "BMAJ", "BMIN", "BPA"} {
		if _, ok := h.Float(k); !ok {
			t.Errorf("%s missing", k)
		}
	}
	if v, _ := h.Float("CDELT1"); v >= 0 {
		t.Errorf("CDELT1 = %v, want negative (RA increases to the left)", v)
	}
	if f, ok := h.Float("RESTFRQ"); want.spectral && (!ok || f != restCO21) {
		t.Errorf("RESTFRQ = %v, %v", f, ok)
	}
	if _, ok := h.Int("BLANK"); ok != want.blank {
		t.Errorf("BLANK present = %v, want %v", ok, want.blank)
	}
}

// checkData reads every plane: values must be finite except where NaN
// is expected, and not all equal.
func checkData(t *testing.T, im *fits.Image, want expected) {
	t.Helper()
	nans := 0
	for s := range im.Layout.Stokes {
		for c := range im.Layout.Depth {
			p, err := im.Plane(c, s)
			if err != nil {
				t.Fatal(err)
			}
			lo, hi := math.Inf(1), math.Inf(-1)
			for _, v := range p.Data {
				if math.IsNaN(float64(v)) {
					nans++
					continue
				}
				lo, hi = min(lo, float64(v)), max(hi, float64(v))
			}
			if !(hi > lo) || math.IsInf(hi, 0) || math.IsInf(lo, 0) {
				t.Errorf("plane (%d, %d): range %v..%v", c, s, lo, hi)
			}
		}
	}
	if (nans > 0) != want.nan {
		t.Errorf("%d NaN pixels, want NaN = %v", nans, want.nan)
	}
}

// TestSpectralLineMoves: the brightest pixel of the line moves across
// the disk from the first to the last channel.
func TestSpectralLineMoves(t *testing.T) {
	f, err := fits.Open(filepath.Join(generateSmall(t), "cube-512x512x200.fits"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	im, _ := f.Image("")
	argmax := func(c int) int {
		p, err := im.Plane(c, 0)
		if err != nil {
			t.Fatal(err)
		}
		best := 0
		for i, v := range p.Data {
			if v > p.Data[best] {
				best = i
			}
		}
		return best
	}
	first, last := argmax(1), argmax(im.Layout.Depth-2)
	if first == last {
		t.Errorf("line peak at the same pixel %d in channels 1 and %d", first, im.Layout.Depth-2)
	}
}

func TestGenerateDeterministic(t *testing.T) {
	a, b := generateSmall(t), generateSmall(t)
	for _, want := range smallFiles {
		ha, hb := sha(t, filepath.Join(a, want.name)), sha(t, filepath.Join(b, want.name))
		if ha != hb {
			t.Errorf("%s differs between runs", want.name)
		}
	}
	c := t.TempDir()
	if err := Generate(context.Background(), c, Options{Small: true, Seed: 7}); err != nil {
		t.Fatal(err)
	}
	if sha(t, filepath.Join(a, "cube-stokes.fits")) == sha(t, filepath.Join(c, "cube-stokes.fits")) {
		t.Error("a different seed produced identical content")
	}
}

func sha(t *testing.T, path string) [32]byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return sha256.Sum256(b)
}

// TestGenerateIdempotent: a second run rewrites nothing; a file with the
// wrong size is regenerated.
func TestGenerateIdempotent(t *testing.T) {
	dir := generateSmall(t)
	old := time.Unix(1_000_000_000, 0)
	for _, f := range smallFiles {
		if err := os.Chtimes(filepath.Join(dir, f.name), old, old); err != nil {
			t.Fatal(err)
		}
	}
	broken := filepath.Join(dir, "cube-stokes.fits")
	if err := os.Truncate(broken, 100); err != nil {
		t.Fatal(err)
	}
	if err := Generate(context.Background(), dir, Options{Small: true}); err != nil {
		t.Fatal(err)
	}
	for _, f := range smallFiles {
		st, err := os.Stat(filepath.Join(dir, f.name))
		if err != nil {
			t.Fatal(err)
		}
		if rewritten := !st.ModTime().Equal(old); rewritten != (f.name == "cube-stokes.fits") {
			t.Errorf("%s rewritten = %v", f.name, rewritten)
		}
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != len(smallFiles) { // six files and more/
		names := []string{}
		for _, e := range entries {
			names = append(names, e.Name())
		}
		t.Errorf("directory holds %v (temporary files left?)", names)
	}
}

func TestGenerateCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := Generate(ctx, t.TempDir(), Options{Small: true}); !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want context.Canceled", err)
	}
}

// TestGenerateFull writes the full set into $CARTAGO_SAMPLE_DIR; it is
// skipped unless that variable is set (it writes about 300 MB).
func TestGenerateFull(t *testing.T) {
	dir := os.Getenv("CARTAGO_SAMPLE_DIR")
	if dir == "" {
		t.Skip("set CARTAGO_SAMPLE_DIR to write the full sample set")
	}
	start := time.Now()
	if err := Generate(context.Background(), dir, Options{}); err != nil {
		t.Fatal(err)
	}
	t.Logf("full sample set in %v", time.Since(start))
}
