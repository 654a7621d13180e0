package catalog

import (
	"bytes"
	"math"
	"os"
	"path/filepath"
	"testing"
)

// sampleSpec is a small table with every VOTable type, NaN, an escaped
// string and a unit/UCD/description on each column.
func sampleSpec() *Spec {
	return &Spec{
		Description: "test sources",
		Coosys:      Coosys{System: "ICRS", Equinox: "J2000", Epoch: "J2000"},
		Columns: []SpecColumn{
			{Name: "RA", Unit: "deg", UCD: "pos.eq.ra", Description: "right ascension", Type: Double, Values: []float64{10.5, 10.25, 11, math.NaN(), 9.75}},
			{Name: "DEC", Unit: "deg", UCD: "pos.eq.dec", Type: Double, Values: []float64{-30, -30.5, -29.5, -31, -30.25}},
			{Name: "flux", Unit: "Jy", Type: Float, Values: []float64{0.1, 2.5, 0.1, 7, math.NaN()}},
			{Name: "id", Type: Int32, Values: []float64{5, 3, 4, 1, 2}},
			{Name: "big", Type: Int64, Values: []float64{1 << 40, -7, 0, 3, 9}},
			{Name: "small", Type: Int16, Values: []float64{-1, 2, -3, 4, -5}},
			{Name: "byte", Type: Uint8, Values: []float64{255, 0, 1, 2, 3}},
			{Name: "flag", Type: Bool, Values: []float64{1, 0, 1, 0, 1}},
			{Name: "name", Description: "source <name>", Type: String, Strings: []string{"NGC 1 & co", "m31", "M31b", "", "Abell <2>"}},
		},
	}
}

func writeVO(t testing.TB, s *Spec, enc Encoding) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := WriteVOTable(&b, s, enc); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func writeFITS(t testing.TB, s *Spec, extra ...string) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := WriteFITSTable(&b, s, extra...); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func writeFile(t testing.TB, name string, b []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// checkSpec compares a table read back with the spec written.
func checkSpec(t *testing.T, tab *Table, s *Spec) {
	t.Helper()
	if tab.Rows != s.rows() || len(tab.Columns) != len(s.Columns) {
		t.Fatalf("rows %d cols %d, want %d %d", tab.Rows, len(tab.Columns), s.rows(), len(s.Columns))
	}
	all, _ := tab.Select(t.Context(), Query{})
	for i, sc := range s.Columns {
		c := tab.Columns[i]
		if c.Name != sc.Name || c.Type != sc.Type || c.Unit != sc.Unit {
			t.Errorf("column %d: %q %v %q, want %q %v %q", i, c.Name, c.Type, c.Unit, sc.Name, sc.Type, sc.Unit)
			continue
		}
		if c.Type == String {
			got := c.Strings(all, 0, -1)
			for r, want := range sc.Strings {
				if got[r] != want {
					t.Errorf("%s row %d = %q, want %q", c.Name, r, got[r], want)
				}
			}
			continue
		}
		for r, want := range sc.Values {
			if c.Type == Float {
				want = float64(float32(want))
			}
			if got := c.Float(r); got != want && !(math.IsNaN(got) && math.IsNaN(want)) {
				t.Errorf("%s row %d = %v, want %v", c.Name, r, got, want)
			}
		}
	}
}
