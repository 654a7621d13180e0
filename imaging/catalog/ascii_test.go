package catalog

import (
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"
)

// asciiFITS builds a FITS file with an empty primary HDU and one ASCII
// table extension of the given cards and rows.
func asciiFITS(cards []string, rows ...string) []byte {
	var b strings.Builder
	block := func(cs []string) {
		n := 0
		for _, c := range append(cs, "END") {
			b.WriteString(c + strings.Repeat(" ", 80-len(c)))
			n += 80
		}
		b.WriteString(strings.Repeat(" ", (2880-n%2880)%2880))
	}
	block([]string{Card("SIMPLE", "T"), Card("BITPIX", "8"), Card("NAXIS", "0"), Card("EXTEND", "T")})
	block(cards)
	data := strings.Join(rows, "")
	b.WriteString(data + strings.Repeat(" ", (2880-len(data)%2880)%2880))
	return []byte(b.String())
}

// sourcesASCII: a name, an integer id, RA as F11.6, a flux as E10.3,
// a Fortran double D14.7 and a scaled integer with a TNULL.
func sourcesASCII(rows ...string) []byte {
	return asciiFITS([]string{
		Card("XTENSION", "'TABLE   '"), Card("BITPIX", "8"), Card("NAXIS", "2"),
		Card("NAXIS1", "58"), Card("NAXIS2", "3"), Card("PCOUNT", "0"), Card("GCOUNT", "1"),
		Card("TFIELDS", "6"), Card("EXTNAME", "'SOURCES'"),
		Card("TTYPE1", "'NAME'"), Card("TBCOL1", "1"), Card("TFORM1", "'A8'"),
		Card("TTYPE2", "'ID'"), Card("TBCOL2", "10"), Card("TFORM2", "'I5'"),
		Card("TTYPE3", "'RA'"), Card("TBCOL3", "16"), Card("TFORM3", "'F11.6'"), Card("TUNIT3", "'deg'"),
		Card("TTYPE4", "'FLUX'"), Card("TBCOL4", "28"), Card("TFORM4", "'E10.3'"), Card("TUNIT4", "'Jy'"),
		Card("TTYPE5", "'Z'"), Card("TBCOL5", "39"), Card("TFORM5", "'D14.7'"),
		Card("TTYPE6", "'Q'"), Card("TBCOL6", "54"), Card("TFORM6", "'I5'"),
		Card("TSCAL6", "0.5"), Card("TNULL6", "'-99'"),
	}, rows...)
}

// sourceRows are laid out as the TBCOLs say: fields at columns 1, 10,
// 16, 28, 39 and 54, one blank between them.
var sourceRows = []string{
	asciiRow("M31", "12", "10.684708", "1.250E+00", "0.1234567D+01", "4"),
	asciiRow("NGC 253", "7", "11.888002", "-3.000E-02", "2.5000000D-03", "-99"),
	asciiRow("", "-3", "359.999999", "", "8.0000000E+00", ""),
}

func asciiRow(name, id, ra, flux, z, q string) string {
	return fmt.Sprintf("%-8s %5s %11s %10s %14s %5s", name, id, ra, flux, z, q)
}

func TestASCIITable(t *testing.T) {
	for i, r := range sourceRows {
		if len(r) != 58 {
			t.Fatalf("row %d is %d characters", i, len(r))
		}
	}
	tab, err := Read(sourcesASCII(sourceRows...), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if tab.Rows != 3 || tab.Description != "SOURCES" || len(tab.Columns) != 6 {
		t.Fatalf("rows %d descr %q cols %d", tab.Rows, tab.Description, len(tab.Columns))
	}
	wantTypes := []Type{String, Int32, Double, Float, Double, Double}
	for i, c := range tab.Columns {
		if c.Type != wantTypes[i] {
			t.Errorf("column %s type %v, want %v", c.Name, c.Type, wantTypes[i])
		}
	}
	if u := tab.Columns[2].Unit; u != "deg" {
		t.Errorf("RA unit %q", u)
	}
	all, _ := tab.Select(t.Context(), Query{})
	if got := tab.Columns[0].Strings(all, 0, -1); strings.Join(got, "|") != "M31|NGC 253|" {
		t.Errorf("names %q", got)
	}
	want := [][]float64{
		{12, 7, -3},
		{10.684708, 11.888002, 359.999999},
		{1.25, -0.03, math.NaN()},
		{1.234567, 0.0025, 8},
		{2, math.NaN(), math.NaN()},
	}
	for k, col := range tab.Columns[1:] {
		for r, w := range want[k] {
			g := col.Float(r)
			if math.IsNaN(w) != math.IsNaN(g) || (!math.IsNaN(w) && math.Abs(g-w) > 1e-6*math.Max(1, math.Abs(w))) {
				t.Errorf("%s row %d = %v, want %v", col.Name, r, g, w)
			}
		}
	}
}

// A field placed beyond the row, or a binary TFORM in an ASCII table,
// is a clear error.
func TestASCIITableErrors(t *testing.T) {
	good := string(sourcesASCII(sourceRows...))
	for name, bad := range map[string]string{
		"TBCOL past the row": strings.Replace(good, Card("TBCOL6", "54"), Card("TBCOL6", "55"), 1),
		"binary TFORM":       strings.Replace(good, Card("TFORM2", "'I5'"), Card("TFORM2", "'1J'"), 1),
		"rows beyond file":   strings.Replace(good, Card("NAXIS2", "3"), Card("NAXIS2", "300"), 1),
	} {
		if _, err := Read([]byte(bad), Options{}); !errors.Is(err, ErrBadFile) {
			t.Errorf("%s: err %v, want ErrBadFile", name, err)
		}
	}
}

// A gzip-compressed FITS catalogue (listed by the catalog dialog as
// *.fits.gz) is sniffed, opened and read like the plain file; one that
// inflates beyond the per-catalog limit is refused.
func TestGzipCatalog(t *testing.T) {
	s := sampleSpec()
	var z bytes.Buffer
	zw := gzip.NewWriter(&z)
	zw.Write(writeFITS(t, s))
	zw.Close()
	path := writeFile(t, "cat.fits.gz", z.Bytes())
	if got := SniffFile(path); got != FITSTable {
		t.Fatalf("sniffed %v", got)
	}
	tab, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer tab.Close()
	checkSpec(t, tab, s)
	head, err := ReadHeader(path)
	if err != nil || head.Rows != 5 || len(head.Columns) != len(s.Columns) {
		t.Fatalf("header: %v %v", head, err)
	}
	if _, err := Open(path, Options{MaxBytes: 1000}); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("small limit: %v, want ErrTooLarge", err)
	}
}
