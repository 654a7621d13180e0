package main

import (
	"context"
	"os"
	"path/filepath"

	"cartago/imaging/fits"
	"cartago/imaging/sample"
)

// fixture is one extra FITS file beside the sample set: headers the
// sample generator does not write (another projection, galactic axes, a
// velocity axis, no WCS at all, several named extensions).
type fixture struct {
	name string
	hdus []fits.WriteHDU
}

// writeFixtures writes the small sample set and the extra fixtures.
func writeFixtures(ctx context.Context, dir string) error {
	if err := sample.Generate(ctx, dir, sample.Options{Small: true}); err != nil {
		return err
	}
	for _, f := range fixtures() {
		if err := writeFile(filepath.Join(dir, f.name), f.hdus); err != nil {
			return err
		}
	}
	return nil
}

func writeFile(path string, hdus []fits.WriteHDU) error {
	for i := range hdus {
		hdus[i].Data = zeros(hdus[i].Bitpix, hdus[i].Naxis)
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := fits.Write(f, hdus...); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// zeros is a data unit of zeros (the entries do not look at pixels).
func zeros(bitpix int, naxis []int) any {
	if len(naxis) == 0 {
		return nil
	}
	n := 1
	for _, v := range naxis {
		n *= v
	}
	switch bitpix {
	case 8:
		return make([]uint8, n)
	case 16:
		return make([]int16, n)
	case 32:
		return make([]int32, n)
	case 64:
		return make([]int64, n)
	case -64:
		return make([]float64, n)
	}
	return make([]float32, n)
}

func str(k, v string) fits.Card         { return fits.NewStringCard(k, v, "") }
func num(k string, v float64) fits.Card { return fits.NewFloatCard(k, v, "") }

// spireWCS is the celestial header of the reference's multi-HDU test file
// (spire500_ext.fits in CARTAvis/carta-backend-ICD-test
// src/test/FILEINFO_FITS_MULTIHDU.test.ts), whose entries the reference
// publishes there.
func spireWCS(bunit string) []fits.Card {
	return []fits.Card{
		str("BUNIT", bunit),
		num("CRPIX1", 371), num("CRPIX2", 421),
		num("CRVAL1", 107.30461727023817), num("CRVAL2", -10.610720896516849),
		num("CDELT1", -0.003888888888889), num("CDELT2", 0.003888888888889),
		str("CTYPE1", "RA---TAN"), str("CTYPE2", "DEC--TAN"),
		num("EQUINOX", 2000), num("CROTA2", 0),
	}
}

func fixtures() []fixture {
	spire := []int{830, 870}
	return []fixture{
		{"spire-ext.fits", []fits.WriteHDU{
			{Bitpix: 8},
			{Bitpix: -64, Naxis: spire, ExtName: "image", Cards: spireWCS("MJy/sr")},
			{Bitpix: -64, Naxis: spire, ExtName: "error", Cards: spireWCS("MJy/sr")},
			{Bitpix: -64, Naxis: spire, ExtName: "coverage", Cards: spireWCS("1")},
		}},
		{"galactic-car.fits", []fits.WriteHDU{{Bitpix: -32, Naxis: []int{50, 40}, Cards: []fits.Card{
			str("BUNIT", "K"),
			str("CTYPE1", "GLON-CAR"), num("CRVAL1", 120.5), num("CDELT1", -0.01), num("CRPIX1", 25.5), str("CUNIT1", "deg"),
			str("CTYPE2", "GLAT-CAR"), num("CRVAL2", 0), num("CDELT2", 0.01), num("CRPIX2", 20.5), str("CUNIT2", "deg"),
		}}}},
		{"vrad-cube.fits", []fits.WriteHDU{{Bitpix: -32, Naxis: []int{24, 20, 6, 1}, Cards: []fits.Card{
			str("BUNIT", "Jy/beam"), num("BMAJ", 0.0005725136068132), num("BMIN", 0.0004142385721207), num("BPA", -74.62673187256),
			str("RADESYS", "ICRS"),
			str("CTYPE1", "RA---SIN"), num("CRVAL1", 275.0875), num("CDELT1", -0.0001111111111111), num("CRPIX1", 12), str("CUNIT1", "deg"),
			str("CTYPE2", "DEC--SIN"), num("CRVAL2", -16.20277777779), num("CDELT2", 0.0001111111111111), num("CRPIX2", 10), str("CUNIT2", "deg"),
			str("CTYPE3", "VRAD"), num("CRVAL3", 20000), num("CDELT3", -500), num("CRPIX3", 1), str("CUNIT3", "m/s"),
			str("CTYPE4", "STOKES"), num("CRVAL4", 1), num("CDELT4", 1), num("CRPIX4", 1),
			num("RESTFRQ", 1.15271202e11), str("SPECSYS", "BARYCENT"),
		}}}},
		{"nowcs-2d.fits", []fits.WriteHDU{{Bitpix: -32, Naxis: []int{40, 30}}}},
		{"nowcs-3d.fits", []fits.WriteHDU{{Bitpix: 16, Naxis: []int{20, 10, 5}}}},
	}
}
