package session

import "testing"

// Sexagesimal text as the reference's casacore writes it (MVAngle::print:
// hours hh:mm:ss, degrees with a sign and three digits, or two for the
// ranges' latitudes; the last digit rounded, carries included). The
// expected texts are astropy's (Angle.to_string, see
// scripts/fileinfo-check.py sexagesimal), including where rounding
// carries into the next minute, degree or day.
func TestSexagesimal(t *testing.T) {
	for _, tc := range []struct {
		deg               float64
		hours10, deg10    string // precision 10: the reference coordinates
		hours9, latitude9 string // precision 9: the ranges
	}{
		{10.99999999, "00:44:00.0000", "+011.00.00.0000", "00:44:00.000", "+11.00.00.000"},
		{-10.99999999, "23:16:00.0000", "-011.00.00.0000", "23:16:00.000", "-11.00.00.000"},
		{1e-09, "00:00:00.0000", "+000.00.00.0000", "00:00:00.000", "+00.00.00.000"},
		{-1e-09, "24:00:00.0000", "-000.00.00.0000", "24:00:00.000", "-00.00.00.000"},
		{89.9999999999, "06:00:00.0000", "+090.00.00.0000", "06:00:00.000", "+90.00.00.000"},
		{-45.25, "20:59:00.0000", "-045.15.00.0000", "20:59:00.000", "-45.15.00.000"},
		{83.8221, "05:35:17.3040", "+083.49.19.5600", "05:35:17.304", "+83.49.19.560"},
		{123.456789, "08:13:49.6294", "+123.27.24.4404", "08:13:49.629", "+123.27.24.440"},
		// spire500_ext.fits, as the reference shows it
		// (carta-backend-ICD-test src/test/FILEINFO_FITS_MULTIHDU.test.ts:55).
		{107.30461727023817, "07:09:13.1081", "+107.18.16.6222", "07:09:13.108", "+107.18.16.622"},
		{-10.610720896516849, "23:17:33.4270", "-010.36.38.5952", "23:17:33.427", "-10.36.38.595"},
	} {
		for _, c := range []struct {
			st   angleStyle
			prec int
			want string
		}{
			{angleStyle{hours: true}, 10, tc.hours10},
			{angleStyle{}, 10, tc.deg10},
			{angleStyle{hours: true}, 9, tc.hours9},
			{angleStyle{twoDigs: true}, 9, tc.latitude9},
		} {
			if got := sexagesimal(tc.deg, c.st, c.prec); got != c.want {
				t.Errorf("sexagesimal(%v, %+v, %d) = %s, want %s", tc.deg, c.st, c.prec, got, c.want)
			}
		}
	}
}
