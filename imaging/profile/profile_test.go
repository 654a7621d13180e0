package profile

import (
	"math"
	"slices"
	"testing"

	"cartago/imaging"
)

var nan = float32(math.NaN())

func TestRowColumn(t *testing.T) {
	p := imaging.Plane{Width: 3, Height: 2, Data: []float32{0, 1, 2, 10, 11, 12}}
	if got := Row(p, 1, 1, 3); !slices.Equal(got, []float32{11, 12}) {
		t.Errorf("Row = %v", got)
	}
	if got := Column(p, 2, 0, 2); !slices.Equal(got, []float32{2, 12}) {
		t.Errorf("Column = %v", got)
	}
}

func TestRange(t *testing.T) {
	tests := []struct{ start, end, n, ws, we int }{
		{0, 0, 10, 0, 10}, {2, 5, 10, 2, 5}, {-3, 50, 10, 0, 10}, {8, 4, 10, 4, 4},
	}
	for _, tc := range tests {
		if s, e := Range(tc.start, tc.end, tc.n); s != tc.ws || e != tc.we {
			t.Errorf("Range(%d,%d,%d) = %d,%d want %d,%d", tc.start, tc.end, tc.n, s, e, tc.ws, tc.we)
		}
	}
}

func TestDecimate(t *testing.T) {
	in := []float32{5, 1, 9, 3, 2, 8, 7, 4, nan, nan, nan, nan, 6}
	got := Decimate(in, 2) // windows of 4
	want := []float32{1, 9, 2, 8, nan, nan, 6, 6}
	if len(got) != len(want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	for i := range want {
		if !(got[i] == want[i] || (got[i] != got[i] && want[i] != want[i])) {
			t.Fatalf("got %v, want %v", got, want)
		}
	}
	if got := Decimate([]float32{9, 1, 0, 5}, 2); !slices.Equal(got, []float32{9, 0}) {
		t.Errorf("max before min: got %v, want [9 0]", got)
	}
	if got := Decimate(in, 1); len(got) != len(in) {
		t.Errorf("mip 1 changed the profile")
	}
}
