package session

import (
	"os"
	"path/filepath"
	"testing"

	"cartago/imaging/fits"
	"cartago/imaging/sample"
)

// File information fixtures: the small sample set (2-D, 3-D, 4-D and a
// multi-HDU file written by imaging/sample) and headers it does not
// write. scripts/fileinfo-check writes the same extra headers for its
// astropy comparison; the expected entries in fileinfo_test.go are that
// script's output (scripts/fileinfo-check.py print FILE).

func infoStr(k, v string) fits.Card         { return fits.NewStringCard(k, v, "") }
func infoNum(k string, v float64) fits.Card { return fits.NewFloatCard(k, v, "") }

// infoFolder returns a folder with the sample set and the extra files.
func infoFolder(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	must(t, sample.Generate(t.Context(), dir, sample.Options{Small: true}))
	// The celestial header of the reference's multi-HDU test file
	// (spire500_ext.fits, CARTAvis/carta-backend-ICD-test
	// src/test/FILEINFO_FITS_MULTIHDU.test.ts), whose entries the
	// reference publishes there.
	spire := []fits.Card{
		infoStr("BUNIT", "MJy/sr"),
		infoNum("CRPIX1", 371), infoNum("CRPIX2", 421),
		infoNum("CRVAL1", 107.30461727023817), infoNum("CRVAL2", -10.610720896516849),
		infoNum("CDELT1", -0.003888888888889), infoNum("CDELT2", 0.003888888888889),
		infoStr("CTYPE1", "RA---TAN"), infoStr("CTYPE2", "DEC--TAN"),
		infoNum("EQUINOX", 2000), infoNum("CROTA2", 0),
	}
	writeInfoFile(t, filepath.Join(dir, "spire-ext.fits"),
		fits.WriteHDU{Bitpix: 8},
		fits.WriteHDU{Bitpix: -64, Naxis: []int{830, 870}, ExtName: "image", Cards: spire})
	writeInfoFile(t, filepath.Join(dir, "galactic-car.fits"), fits.WriteHDU{Bitpix: -32, Naxis: []int{50, 40}, Cards: []fits.Card{
		infoStr("BUNIT", "K"),
		infoStr("CTYPE1", "GLON-CAR"), infoNum("CRVAL1", 120.5), infoNum("CDELT1", -0.01), infoNum("CRPIX1", 25.5), infoStr("CUNIT1", "deg"),
		infoStr("CTYPE2", "GLAT-CAR"), infoNum("CRVAL2", 0), infoNum("CDELT2", 0.01), infoNum("CRPIX2", 20.5), infoStr("CUNIT2", "deg"),
	}})
	writeInfoFile(t, filepath.Join(dir, "vrad-cube.fits"), fits.WriteHDU{Bitpix: -32, Naxis: []int{24, 20, 6, 1}, Cards: []fits.Card{
		infoStr("BUNIT", "Jy/beam"), infoNum("BMAJ", 0.0005725136068132), infoNum("BMIN", 0.0004142385721207), infoNum("BPA", -74.62673187256),
		infoStr("RADESYS", "ICRS"),
		infoStr("CTYPE1", "RA---SIN"), infoNum("CRVAL1", 275.0875), infoNum("CDELT1", -0.0001111111111111), infoNum("CRPIX1", 12), infoStr("CUNIT1", "deg"),
		infoStr("CTYPE2", "DEC--SIN"), infoNum("CRVAL2", -16.20277777779), infoNum("CDELT2", 0.0001111111111111), infoNum("CRPIX2", 10), infoStr("CUNIT2", "deg"),
		infoStr("CTYPE3", "VRAD"), infoNum("CRVAL3", 20000), infoNum("CDELT3", -500), infoNum("CRPIX3", 1), infoStr("CUNIT3", "m/s"),
		infoStr("CTYPE4", "STOKES"), infoNum("CRVAL4", 1), infoNum("CDELT4", 1), infoNum("CRPIX4", 1),
		infoNum("RESTFRQ", 1.15271202e11), infoStr("SPECSYS", "BARYCENT"),
	}})
	writeInfoFile(t, filepath.Join(dir, "nowcs-3d.fits"), fits.WriteHDU{Bitpix: 16, Naxis: []int{20, 10, 5}})
	return dir
}

// writeInfoFile writes HDUs whose data are zeros (the entries do not
// depend on pixels).
func writeInfoFile(t *testing.T, path string, hdus ...fits.WriteHDU) {
	t.Helper()
	for i, h := range hdus {
		n := 1
		for _, v := range h.Naxis {
			n *= v
		}
		switch {
		case len(h.Naxis) == 0:
		case h.Bitpix == 16:
			hdus[i].Data = make([]int16, n)
		case h.Bitpix == -64:
			hdus[i].Data = make([]float64, n)
		default:
			hdus[i].Data = make([]float32, n)
		}
	}
	f, err := os.Create(path)
	must(t, err)
	defer f.Close()
	must(t, fits.Write(f, hdus...))
}
