package session

import (
	"math"
	"os"
	"path/filepath"
	"testing"

	"cartago/icd"
	"cartago/imaging/fits"
	"cartago/imaging/region"
)

func TestSkyStepOf(t *testing.T) {
	cases := []struct {
		cards []fits.Card
		want  skyStep
	}{
		{[]fits.Card{fits.NewStringCard("CTYPE1", "RA---SIN", ""), fits.NewStringCard("CTYPE2", "DEC--SIN", ""),
			fits.NewFloatCard("CDELT1", -1e-4, ""), fits.NewFloatCard("CDELT2", 2e-4, "")}, skyStep{0.36, 0.72, true}},
		{[]fits.Card{fits.NewStringCard("CTYPE1", "GLON-CAR", ""), fits.NewStringCard("CTYPE2", "GLAT-CAR", ""),
			fits.NewFloatCard("CDELT1", 0.5, ""), fits.NewFloatCard("CDELT2", 0.5, ""),
			fits.NewStringCard("CUNIT1", "arcsec", ""), fits.NewStringCard("CUNIT2", "arcsec", "")}, skyStep{0.5, 0.5, true}},
		// Not a sky: linear axes, or no increments.
		{[]fits.Card{fits.NewStringCard("CTYPE1", "X", ""), fits.NewStringCard("CTYPE2", "Y", ""),
			fits.NewFloatCard("CDELT1", 1, ""), fits.NewFloatCard("CDELT2", 1, "")}, skyStep{}},
		{[]fits.Card{fits.NewStringCard("CTYPE1", "RA---SIN", ""), fits.NewStringCard("CTYPE2", "DEC--SIN", "")}, skyStep{}},
		{[]fits.Card{fits.NewStringCard("CTYPE1", "RADIUS", ""), fits.NewStringCard("CTYPE2", "DEC--SIN", ""),
			fits.NewFloatCard("CDELT1", 1, ""), fits.NewFloatCard("CDELT2", 1, "")}, skyStep{}},
	}
	for i, c := range cases {
		path := filepath.Join(t.TempDir(), "sky.fits")
		f, err := os.Create(path)
		must(t, err)
		must(t, fits.Write(f, fits.WriteHDU{Bitpix: -32, Naxis: []int{2, 2}, Data: make([]float32, 4), Cards: c.cards}))
		f.Close()
		file, err := fits.Open(path)
		must(t, err)
		img, err := file.Image("0")
		must(t, err)
		got := skyStepOf(img.HDU)
		file.Close()
		if got.ok != c.want.ok || math.Abs(got.x-c.want.x) > 1e-9 || math.Abs(got.y-c.want.y) > 1e-9 {
			t.Errorf("case %d: %+v, want %+v", i, got, c.want)
		}
	}
}

// The unit grows with the profile's length, as the reference picks it.
func TestLineAxisUnits(t *testing.T) {
	s := skyStep{x: 0.36, y: 0.36, ok: true}
	cases := []struct {
		n    int
		unit string
		step float32
	}{
		{100, "arcsec", 0.36}, {400, "arcmin", 0.006}, {30000, "deg", 0.0001},
	}
	for _, c := range cases {
		a := s.lineAxis(region.KindLine, 3, 4, c.n)
		if a.Unit != c.unit || math.Abs(float64(a.Cdelt-c.step)) > 1e-6*float64(c.step) || a.Crpix != float32(c.n/2) || a.Crval != 0 {
			t.Errorf("%d samples: %+v, want %g %s", c.n, a, c.step, c.unit)
		}
	}
	if a := (skyStep{x: 1e-6, y: 1e-6, ok: true}).lineAxis(region.KindLine, 1, 0, 10); a.Unit != "marcsec" || math.Abs(float64(a.Cdelt)-1e-3) > 1e-9 {
		t.Errorf("tiny pixels: %+v", a)
	}
	// Rectangular pixels: the step along the segment's direction.
	a := (skyStep{x: 0.3, y: 0.4, ok: true}).lineAxis(region.KindPolyline, 3, 4, 11)
	want := math.Hypot(0.6*0.3, 0.8*0.4)
	if a.AxisType != icd.ProfileAxisType_Distance || math.Abs(float64(a.Cdelt)-want) > 1e-6 || a.Crval != 5*a.Cdelt {
		t.Errorf("polyline over rectangular pixels: %+v, want step %g", a, want)
	}
	if a := (skyStep{}).lineAxis(region.KindLine, 0, 0, 1); a.Unit != "pixel" || a.Cdelt != 1 {
		t.Errorf("no sky: %+v", a)
	}
}
