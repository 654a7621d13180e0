package session

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"cartago/imaging/fits"
)

// FuzzComputedEntries: the File Information entries of any header an
// image can have (axis types, units, reference values, frames, rest
// frequency, axis lengths) are computed without panicking; every entry
// has a name.
func FuzzComputedEntries(f *testing.F) {
	f.Add("RA---SIN", "DEC--SIN", "FREQ", "STOKES", "deg", "Hz", 83.8, -5.4, 2.3e11, -1e-4, 1.5e11, 2000.0, uint8(3), uint8(4))
	f.Add("GLON-CAR", "GLAT-CAR", "VRAD", "", "deg", "m/s", 120.5, 0.0, 2e4, -0.01, 0.0, 0.0, uint8(6), uint8(1))
	f.Add("STOKES", "RA---TAN", "DEC--TAN", "VOPT", "arcsec", "km/s", 1.0, 300.0, -89.9, 1e9, 1e11, 1950.0, uint8(1), uint8(2))
	f.Add("", "", "", "", "", "", 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, uint8(2), uint8(2))
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, ct1, ct2, ct3, ct4, unit, specUnit string, crval1, crval2, crval3, cdelt, rest, equinox float64, n3, n4 uint8) {
		cards := []fits.Card{
			fits.NewStringCard("CTYPE1", ct1, ""), fits.NewStringCard("CTYPE2", ct2, ""),
			fits.NewStringCard("CTYPE3", ct3, ""), fits.NewStringCard("CTYPE4", ct4, ""),
			fits.NewStringCard("CUNIT1", unit, ""), fits.NewStringCard("CUNIT2", unit, ""), fits.NewStringCard("CUNIT3", specUnit, ""),
			fits.NewFloatCard("CRVAL1", crval1, ""), fits.NewFloatCard("CRVAL2", crval2, ""), fits.NewFloatCard("CRVAL3", crval3, ""),
			fits.NewFloatCard("CRVAL4", crval2, ""),
			fits.NewFloatCard("CDELT1", cdelt, ""), fits.NewFloatCard("CDELT2", -cdelt, ""), fits.NewFloatCard("CDELT3", cdelt, ""),
			fits.NewFloatCard("CRPIX1", crval3, ""), fits.NewFloatCard("CRPIX2", 1, ""), fits.NewFloatCard("CRPIX3", crval1, ""),
			fits.NewFloatCard("RESTFRQ", rest, ""), fits.NewFloatCard("EQUINOX", equinox, ""),
			fits.NewFloatCard("BMAJ", cdelt, ""), fits.NewFloatCard("BMIN", cdelt/2, ""), fits.NewFloatCard("BPA", crval1, ""),
			fits.NewStringCard("SPECSYS", specUnit, ""), fits.NewFloatCard("VELREF", equinox, ""),
		}
		naxis := []int{3, 2, 1 + int(n3%8), 1 + int(n4%5)}
		var buf bytes.Buffer
		if err := fits.Write(&buf, fits.WriteHDU{Bitpix: -32, Naxis: naxis, Cards: cards, Data: make([]float32, 6*naxis[2]*naxis[3])}); err != nil {
			return // a value no header can hold
		}
		path := filepath.Join(dir, "f.fits")
		if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		file, err := fits.Open(path)
		if err != nil {
			return
		}
		defer file.Close()
		for _, h := range file.HDUs() {
			if !h.IsImage() {
				continue
			}
			for _, e := range computedEntries("f.fits", h) {
				if e.Name == "" {
					t.Fatalf("entry without a name: %+v", e)
				}
			}
		}
	})
}
