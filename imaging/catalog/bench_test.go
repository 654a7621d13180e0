package catalog

import (
	"fmt"
	"math/rand"
	"os"
	"path/filepath"
	"testing"
)

// BigSpec is a catalogue of n rows like a survey extract: position,
// flux, an integer id, a flag and a name.
func BigSpec(n int) *Spec {
	rng := rand.New(rand.NewSource(1))
	cols := []SpecColumn{
		{Name: "RA", Unit: "deg", UCD: "pos.eq.ra;meta.main", Type: Double},
		{Name: "DEC", Unit: "deg", UCD: "pos.eq.dec;meta.main", Type: Double},
		{Name: "flux", Unit: "mJy", Type: Float},
		{Name: "id", Type: Int32},
		{Name: "flag", Type: Bool},
		{Name: "name", Type: String},
	}
	for i := range cols {
		if cols[i].Type == String {
			cols[i].Strings = make([]string, n)
		} else {
			cols[i].Values = make([]float64, n)
		}
	}
	for r := range n {
		cols[0].Values[r] = 150 + rng.Float64()
		cols[1].Values[r] = 2 + rng.Float64()
		cols[2].Values[r] = rng.ExpFloat64() * 10
		cols[3].Values[r] = float64(r)
		cols[4].Values[r] = float64(rng.Intn(2))
		cols[5].Strings[r] = fmt.Sprintf("SRC J%07d", rng.Intn(10000000))
	}
	return &Spec{Description: "benchmark catalogue", Coosys: Coosys{System: "ICRS", Equinox: "J2000"}, Columns: cols}
}

// benchFile writes (once per process) a catalogue of n rows.
func benchFile(b *testing.B, name string, n int, write func(*os.File, *Spec) error) string {
	p := filepath.Join(os.TempDir(), fmt.Sprintf("cartago-bench-%d-%s", n, name))
	if _, err := os.Stat(p); err == nil {
		return p
	}
	f, err := os.Create(p)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	if err := write(f, BigSpec(n)); err != nil {
		b.Fatal(err)
	}
	return p
}

func BenchmarkOpenVOTable1M(b *testing.B) {
	p := benchFile(b, "td.vot", 1_000_000, func(f *os.File, s *Spec) error { return WriteVOTable(f, s, TableData) })
	for b.Loop() {
		t, err := Open(p, Options{})
		if err != nil {
			b.Fatal(err)
		}
		t.Close()
	}
}

func BenchmarkOpenFITS1M(b *testing.B) {
	p := benchFile(b, "t.fits", 1_000_000, func(f *os.File, s *Spec) error { return WriteFITSTable(f, s) })
	for b.Loop() {
		t, err := Open(p, Options{})
		if err != nil {
			b.Fatal(err)
		}
		t.Close()
	}
}

func BenchmarkFilterSort1M(b *testing.B) {
	p := benchFile(b, "t.fits", 1_000_000, func(f *os.File, s *Spec) error { return WriteFITSTable(f, s) })
	t, err := Open(p, Options{})
	if err != nil {
		b.Fatal(err)
	}
	q := Query{Filters: []Filter{{Column: "flux", Op: Greater, Value: 5}}, SortColumn: "RA"}
	for b.Loop() {
		if _, err := t.Select(b.Context(), q); err != nil {
			b.Fatal(err)
		}
	}
}
