package session

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"

	"cartago/icd"
)

// The computed entries of the File Information dialog, in the
// reference's names, order and formats (CARTAvis/carta-backend
// src/FileList/FileExtInfoLoader.cc: HDU and Extension name 382-397,
// Data type 724, Shape and the channel and polarization counts only for
// such axes 738-828, the render axes' entries from the header 970-1300,
// beam 1303, RA/DEC, frequency, velocity and Stokes ranges 1456-1591;
// axes guessed for cubes without CTYPEs: src/ImageData/FileLoader.cc
// 264-290). The expected values are astropy's
// (scripts/fileinfo-check.py print FILE): sexagesimal text from
// astropy.coordinates.Angle, corners through astropy.wcs, channels
// through astropy's spectral WCS and Doppler equivalencies. The spire
// case reproduces the values the reference itself publishes for
// spire500_ext.fits (carta-backend-ICD-test
// src/test/FILEINFO_FITS_MULTIHDU.test.ts:47-63).
func TestFileInfoComputedEntries(t *testing.T) {
	c := folderPipe(t, infoFolder(t))
	for i, tc := range fileInfoCases {
		t.Run(tc.file, func(t *testing.T) {
			resp := requestInfo(t, c, uint32(10+i), tc.file, "")
			ext := resp.FileInfoExtended[tc.hdu]
			if ext == nil {
				t.Fatalf("no HDU %q in %v", tc.hdu, slices.Collect(maps.Keys(resp.FileInfoExtended)))
			}
			var want strings.Builder
			for i, e := range tc.want {
				fmt.Fprintf(&want, "%2d %s = %s\n", i, e[0], e[1])
			}
			if got := entryText(ext.ComputedEntries); got != want.String() {
				t.Errorf("computed entries:\n%s\nwant:\n%s", got, want.String())
			}
			for _, e := range ext.ComputedEntries {
				isCount := strings.HasPrefix(e.Name, "Number of")
				if isCount != (e.EntryType == icd.EntryType_INT) || (isCount && fmt.Sprint(e.NumericValue) != e.Value) {
					t.Errorf("%s: type %s, numeric %v", e.Name, e.EntryType, e.NumericValue)
				}
			}
		})
	}
}

// fileInfoCases: 3-D (frequency axis, rest frequency, LSRK, VELREF),
// 4-D (Stokes), 2-D RA/DEC (SIN and TAN), galactic CAR, a 4-D radio
// velocity cube in ICRS, a named extension and an image without WCS.
var fileInfoCases = []struct {
	file, hdu string
	want      [][2]string
}{
	{"cube-512x512x200.fits", "0", [][2]string{
		{"Name", "cube-512x512x200.fits"},
		{"HDU", "0"},
		{"Data type", "float"},
		{"Shape", "[32, 32, 8] (RA, DEC, FREQ)"},
		{"Number of channels", "8"},
		{"Coordinate type", "Right Ascension, Declination"},
		{"Projection", "SIN"},
		{"Image reference pixels", "[17, 17]"},
		{"Image reference coords", "[05:35:17.3040, -005.23.27.9600]"},
		{"Image ref coords (deg)", "[83.8221 deg, -5.3911 deg]"},
		{"Pixel increment", `-1.6", 1.6"`},
		{"Pixel unit", "Jy/beam"},
		{"Celestial frame", "FK5, J2000"},
		{"Spectral frame", "LSRK"},
		{"Velocity definition", "RADIO"},
		{"Restoring beam", `6.72" X 4.8", 25 deg`},
		{"RA range", "[05:35:15.697, 05:35:19.018]"},
		{"DEC range", "[-05.23.53.560, -05.23.03.960]"},
		{"Frequency range", "[230.3701, 230.6906] (GHz)"},
		{"Velocity range", "[218.3874, -198.3874] (km/s)"},
	}},
	{"cube-stokes.fits", "0", [][2]string{
		{"Name", "cube-stokes.fits"},
		{"HDU", "0"},
		{"Data type", "float"},
		{"Shape", "[16, 16, 4, 4] (RA, DEC, FREQ, STOKES)"},
		{"Number of channels", "4"},
		{"Number of polarizations", "4"},
		{"Coordinate type", "Right Ascension, Declination"},
		{"Projection", "SIN"},
		{"Image reference pixels", "[9, 9]"},
		{"Image reference coords", "[05:35:17.3040, -005.23.27.9600]"},
		{"Image ref coords (deg)", "[83.8221 deg, -5.3911 deg]"},
		{"Pixel increment", `-3.2", 3.2"`},
		{"Pixel unit", "Jy/beam"},
		{"Celestial frame", "FK5, J2000"},
		{"Spectral frame", "LSRK"},
		{"Velocity definition", "RADIO"},
		{"Restoring beam", `13.44" X 9.6", 25 deg`},
		{"RA range", "[05:35:15.804, 05:35:19.018]"},
		{"DEC range", "[-05.23.53.560, -05.23.05.560]"},
		{"Frequency range", "[230.3930, 230.6677] (GHz)"},
		{"Velocity range", "[188.6177, -168.6177] (km/s)"},
		{"Stokes coverage", "[I, Q, U, V]"},
	}},
	{"int16-scaled.fits", "0", [][2]string{
		{"Name", "int16-scaled.fits"},
		{"HDU", "0"},
		{"Data type", "Short (rescaled to float)"},
		{"Shape", "[64, 64] (RA, DEC)"},
		{"Coordinate type", "Right Ascension, Declination"},
		{"Projection", "SIN"},
		{"Image reference pixels", "[33, 33]"},
		{"Image reference coords", "[05:35:17.3040, -005.23.27.9600]"},
		{"Image ref coords (deg)", "[83.8221 deg, -5.3911 deg]"},
		{"Pixel increment", `-0.8", 0.8"`},
		{"Pixel unit", "Jy/beam"},
		{"Celestial frame", "FK5, J2000"},
		{"Restoring beam", `3.36" X 2.4", 25 deg`},
		{"RA range", "[05:35:15.643, 05:35:19.018]"},
		{"DEC range", "[-05.23.53.560, -05.23.03.160]"},
	}},
	{"spire-ext.fits", "1", [][2]string{
		{"Name", "spire-ext.fits"},
		{"HDU", "1"},
		{"Extension name", "image"},
		{"Data type", "double"},
		{"Shape", "[830, 870] (RA, DEC)"},
		{"Coordinate type", "Right Ascension, Declination"},
		{"Projection", "TAN"},
		{"Image reference pixels", "[371, 421]"},
		{"Image reference coords", "[07:09:13.1081, -010.36.38.5952]"},
		{"Image ref coords (deg)", "[107.305 deg, -10.6107 deg]"},
		{"Pixel increment", `-14", 14"`},
		{"Pixel unit", "MJy/sr"},
		{"Celestial frame", "FK5, J2000"},
		{"RA range", "[07:01:55.064, 07:15:06.258]"},
		{"DEC range", "[-12.14.22.907, -08.51.38.954]"},
	}},
	{"galactic-car.fits", "0", [][2]string{
		{"Name", "galactic-car.fits"},
		{"HDU", "0"},
		{"Data type", "float"},
		{"Shape", "[50, 40] (GLON, GLAT)"},
		{"Coordinate type", "Longitude, Latitude"},
		{"Projection", "CAR"},
		{"Image reference pixels", "[25.5, 20.5]"},
		{"Image reference coords", "[+120.30.00.0000, +000.00.00.0000]"},
		{"Image ref coords (deg)", "[120.5 deg, 0 deg]"},
		{"Pixel increment", `-36", 36"`},
		{"Pixel unit", "K"},
		{"Celestial frame", "GALACTIC"},
		{"LON range", "[120.255000, 120.745000]"},
		{"LAT range", "[-0.195000, 0.195000]"},
	}},
	{"vrad-cube.fits", "0", [][2]string{
		{"Name", "vrad-cube.fits"},
		{"HDU", "0"},
		{"Data type", "float"},
		{"Shape", "[24, 20, 6, 1] (RA, DEC, VRAD, STOKES)"},
		{"Number of channels", "6"},
		{"Number of polarizations", "1"},
		{"Coordinate type", "Right Ascension, Declination"},
		{"Projection", "SIN"},
		{"Image reference pixels", "[12, 10]"},
		{"Image reference coords", "[18:20:21.0000, -016.12.10.0000]"},
		{"Image ref coords (deg)", "[275.087 deg, -16.2028 deg]"},
		{"Pixel increment", `-0.4", 0.4"`},
		{"Pixel unit", "Jy/beam"},
		{"Celestial frame", "ICRS"},
		{"Spectral frame", "BARYCENT"},
		{"Restoring beam", `2.06105" X 1.49126", -74.6267 deg`},
		{"RA range", "[18:20:20.667, 18:20:21.305]"},
		{"DEC range", "[-16.12.13.600, -16.12.06.000]"},
		{"Frequency range", "[115.2635, 115.2645] (GHz)"},
		{"Velocity range", "[20.0000, 17.5000] (km/s)"},
		{"Stokes coverage", "[I]"},
	}},
	{"multi-hdu.fits", "2", [][2]string{
		{"Name", "multi-hdu.fits"},
		{"HDU", "2"},
		{"Extension name", "ERR"},
		{"Data type", "float"},
		{"Shape", "[32, 32] (RA, DEC)"},
		{"Coordinate type", "Right Ascension, Declination"},
		{"Projection", "SIN"},
		{"Image reference pixels", "[17, 17]"},
		{"Image reference coords", "[05:35:17.3040, -005.23.27.9600]"},
		{"Image ref coords (deg)", "[83.8221 deg, -5.3911 deg]"},
		{"Pixel increment", `-1.6", 1.6"`},
		{"Pixel unit", "Jy/beam"},
		{"Celestial frame", "FK5, J2000"},
		{"Restoring beam", `6.72" X 4.8", 25 deg`},
		{"RA range", "[05:35:15.697, 05:35:19.018]"},
		{"DEC range", "[-05.23.53.560, -05.23.03.960]"},
	}},
	{"nowcs-3d.fits", "0", [][2]string{
		{"Name", "nowcs-3d.fits"},
		{"HDU", "0"},
		{"Data type", "Short (rescaled to float)"},
		{"Shape", "[20, 10, 5] (NA, NA, NA)"},
		{"Number of channels", "5"},
	}},
}
