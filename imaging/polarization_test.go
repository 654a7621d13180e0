package imaging

import (
	"math"
	"testing"
)

func TestPolarizationDerive(t *testing.T) {
	nan := float32(math.NaN())
	// Q=3, U=4, V=12: |P_lin| = 5, |P_tot| = 13; I = 26.
	iquv := [4][]float32{{26, 1, nan}, {3, 0, 1}, {4, 0, 1}, {12, 0, 1}}
	cases := []struct {
		p    Polarization
		want float32
	}{
		{PolarizedTotal, 13}, {PolarizedLinear, 5}, {FractionTotal, 50}, {FractionLinear, float32(500.0 / 26)},
		{PolarizationAngle, float32(math.Atan2(4, 3) * 90 / math.Pi)},
	}
	for _, c := range cases {
		dst := make([]float32, 3)
		c.p.Derive(dst, iquv)
		if math.Abs(float64(dst[0]-c.want)) > 1e-6*math.Abs(float64(c.want)) {
			t.Errorf("%d: %v, want %v", c.p, dst[0], c.want)
		}
		needsI := c.p.Needs()[0]
		// NaN in a component it reads gives NaN; components it does not
		// read do not matter.
		if got := math.IsNaN(float64(dst[2])); got != needsI {
			t.Errorf("%d with I NaN: %v", c.p, dst[2])
		}
	}
	// The angle of Q = U = 0 is 0, as atan2 gives.
	dst := make([]float32, 3)
	PolarizationAngle.Derive(dst, iquv)
	if dst[1] != 0 {
		t.Errorf("Pangle of Q = U = 0: %v", dst[1])
	}
	if p, ok := PolarizationNamed("PFlinear"); !ok || p != FractionLinear || !IsPolarization(int(p)) || IsPolarization(12) || IsPolarization(18) {
		t.Errorf("names and numbers")
	}
	if _, ok := PolarizationNamed("I"); ok {
		t.Errorf("I is not derived")
	}
}
