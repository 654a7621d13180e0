package catalog

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

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
	if err := write(f, SurveySpec(n)); err != nil {
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
