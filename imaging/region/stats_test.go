package region

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"runtime"
	"testing"

	"cartago/imaging"
	"cartago/imaging/stats"
)

// testPlane is Gaussian noise around mean with a few NaN and ±Inf
// pixels and a NaN band.
func testPlane(w, h int, mean float64, seed uint64) imaging.Plane {
	r := rand.New(rand.NewPCG(seed, 7))
	p := imaging.Plane{Width: w, Height: h, Data: make([]float32, w*h)}
	for i := range p.Data {
		p.Data[i] = float32(mean + r.NormFloat64())
		switch {
		case (i/w)%17 == 3:
			p.Data[i] = float32(math.NaN())
		case r.IntN(200) == 0:
			p.Data[i] = float32(math.NaN())
		case r.IntN(5000) == 0:
			p.Data[i] = float32(math.Inf(1 - 2*r.IntN(2)))
		}
	}
	return p
}

// naive is the float64 reference: plain loops over every pixel of the
// image, two passes for sigma.
type naive struct {
	n, nan         int64
	sum, sumSq     float64
	min, max       float64
	minIdx, maxIdx int
	sigma          float64
}

func naiveStats(p imaging.Plane, m *Mask) naive {
	r := naive{minIdx: -1, maxIdx: -1}
	for y := range p.Height {
		for x := range p.Width {
			if !m.Contains(x, y) {
				continue
			}
			v := float64(p.At(x, y))
			if math.IsNaN(v) || math.IsInf(v, 0) {
				r.nan++
				continue
			}
			if r.n == 0 || v < r.min {
				r.min, r.minIdx = v, y*p.Width+x
			}
			if r.n == 0 || v > r.max {
				r.max, r.maxIdx = v, y*p.Width+x
			}
			r.n++
			r.sum += v
			r.sumSq += v * v
		}
	}
	mean := r.sum / float64(r.n)
	var d2 float64
	for y := range p.Height {
		for x := range p.Width {
			if v := float64(p.At(x, y)); m.Contains(x, y) && !math.IsNaN(v) && !math.IsInf(v, 0) {
				d2 += (v - mean) * (v - mean)
			}
		}
	}
	r.sigma = math.Sqrt(d2 / float64(r.n-1))
	return r
}

func relClose(a, b, tol float64) bool {
	if math.IsNaN(a) || math.IsNaN(b) {
		return math.IsNaN(a) && math.IsNaN(b)
	}
	return math.Abs(a-b) <= tol*math.Max(math.Abs(b), 1e-300)
}

var testRegions = map[string]Desc{
	"box":         rect(100, 80, 120, 90, 0),
	"rotated box": rect(130, 100, 150, 60, 33),
	"ellipse":     ellipseDesc(90, 120, 70, 40, 20),
	"polygon":     polygon(Point{10, 10}, Point{250, 30}, Point{200, 180}, Point{120, 90}, Point{30, 170}),
	"edge":        rect(0, 0, 60, 60, 10),
	"point":       {Kind: KindPoint, Points: []Point{{17, 33}}},
}

func TestComputeAgainstNaive(t *testing.T) {
	for _, mean := range []float64{0, 1000} {
		p := testPlane(257, 211, mean, uint64(mean)+1)
		for name, d := range testRegions {
			m := mustMask(t, d, p.Width, p.Height)
			s, err := Compute(context.Background(), p, m)
			if err != nil {
				t.Fatal(err)
			}
			r := naiveStats(p, m)
			if s.Count != r.n || s.NaNCount != r.nan || float64(s.Min) != r.min || float64(s.Max) != r.max ||
				s.MinIndex != r.minIdx || s.MaxIndex != r.maxIdx {
				t.Errorf("%s mean %g: got n=%d nan=%d min=%g@%d max=%g@%d, want %d %d %g@%d %g@%d", name, mean,
					s.Count, s.NaNCount, s.Min, s.MinIndex, s.Max, s.MaxIndex, r.n, r.nan, r.min, r.minIdx, r.max, r.maxIdx)
			}
			for _, c := range []struct {
				what      string
				got, want float64
			}{
				{"sum", s.Sum, r.sum}, {"sumsq", s.SumSq, r.sumSq},
				{"mean", Value(s, Mean, Brightness{}), r.sum / float64(r.n)},
				{"rms", Value(s, RMS, Brightness{}), math.Sqrt(r.sumSq / float64(r.n))},
				{"sigma", Value(s, Sigma, Brightness{}), map[bool]float64{true: 0, false: r.sigma}[r.n == 1]},
				{"extrema", Value(s, Extrema, Brightness{}), map[bool]float64{true: r.min, false: r.max}[math.Abs(r.min) > math.Abs(r.max)]},
			} {
				if !relClose(c.got, c.want, 1e-11) {
					t.Errorf("%s mean %g: %s %v, want %v", name, mean, c.what, c.got, c.want)
				}
			}
		}
	}
}

// TestComputeDeterministic checks that the result does not depend on
// the number of goroutines, bit for bit.
func TestComputeDeterministic(t *testing.T) {
	p := testPlane(1500, 900, 3, 9)
	m := mustMask(t, ellipseDesc(700, 450, 440, 700, 10), p.Width, p.Height)
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	one, _ := Compute(context.Background(), p, m)
	runtime.GOMAXPROCS(4)
	four, _ := Compute(context.Background(), p, m)
	if one != four {
		t.Errorf("GOMAXPROCS 1: %+v\nGOMAXPROCS 4: %+v", one, four)
	}
}

func TestComputeErrors(t *testing.T) {
	p := testPlane(100, 100, 0, 1)
	m := mustMask(t, rect(50, 50, 20, 20, 0), 100, 100)
	if _, err := Compute(context.Background(), imaging.Plane{Width: 100, Height: 99, Data: p.Data}, m); !errors.Is(err, ErrMismatch) {
		t.Errorf("wrong size: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Compute(ctx, p, m); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v", err)
	}
}

func TestValueRules(t *testing.T) {
	nan := float32(math.NaN())
	p := imaging.Plane{Width: 4, Height: 4, Data: []float32{
		nan, nan, 0, 0,
		nan, nan, 0, 0,
		-3, 2, 0, 0,
		3, 1, 0, 0,
	}}
	b := Brightness{}
	// All NaN: every statistic NaN, NumPixels included; NanCount counts.
	s, _ := Compute(context.Background(), p, mustMask(t, rect(0.5, 0.5, 1, 1, 0), 4, 4))
	for _, st := range DefaultStatsTypes {
		if v := Value(s, st, b); !math.IsNaN(v) {
			t.Errorf("all-NaN region: stat %d = %v, want NaN", st, v)
		}
	}
	if v := Value(s, NanCount, b); v != 4 {
		t.Errorf("NanCount %v, want 4", v)
	}
	// One pixel: sigma 0 (casacore's variance is 0 for n ≤ 1).
	s, _ = Compute(context.Background(), p, mustMask(t, Desc{Kind: KindPoint, Points: []Point{{1, 3}}}, 4, 4))
	if Value(s, Sigma, b) != 0 || Value(s, NumPixels, b) != 1 || Value(s, Sum, b) != 1 {
		t.Errorf("one pixel: sigma %v n %v sum %v", Value(s, Sigma, b), Value(s, NumPixels, b), Value(s, Sum, b))
	}
	// A zero sum with pixels stays 0.
	s, _ = Compute(context.Background(), p, mustMask(t, rect(2.5, 2.5, 1, 1, 0), 4, 4))
	if Value(s, Sum, b) != 0 || Value(s, Extrema, b) != 0 {
		t.Errorf("zero region: sum %v extrema %v", Value(s, Sum, b), Value(s, Extrema, b))
	}
	// Extrema: larger magnitude, Max on a tie.
	s, _ = Compute(context.Background(), p, mustMask(t, rect(0.5, 0.5, 1, 1, 0).withCentre(0.5, 2.5), 4, 4))
	if v := Value(s, Extrema, b); v != 3 {
		t.Errorf("extrema of {-3, 2, 3, 1} = %v, want 3", v)
	}
	s, _ = Compute(context.Background(), p, mustMask(t, rect(0.5, 2, 1, 0.5, 0), 4, 4))
	if v := Value(s, Extrema, b); v != -3 {
		t.Errorf("extrema of {-3, 2} = %v, want -3", v)
	}
}

func (d Desc) withCentre(x, y float64) Desc {
	d = d.clone()
	d.Points[0] = Point{x, y}
	return d
}

func TestFluxDensity(t *testing.T) {
	const cdelt = 1.0 / 3600 // 1″ pixels
	beam := Brightness{Unit: "Jy/beam", BeamMajor: 3 * cdelt, BeamMinor: 2 * cdelt, CDelt1: -cdelt, CDelt2: cdelt}
	area := math.Pi / (4 * math.Ln2) * 6 // pixels
	if !relClose(beam.BeamArea(), area, 1e-14) {
		t.Fatalf("beam area %v, want %v", beam.BeamArea(), area)
	}
	for _, c := range []struct {
		name string
		b    Brightness
		want float64
	}{
		{"Jy/beam", beam, 10 / area},
		{"FITS spelling", Brightness{"JY/BEAM", beam.BeamMajor, beam.BeamMinor, beam.CDelt1, beam.CDelt2}, 10 / area},
		{"moment map", Brightness{"JY/BEAM.KM/S", beam.BeamMajor, beam.BeamMinor, beam.CDelt1, beam.CDelt2}, 10 / area},
		{"per beam without a beam", Brightness{Unit: "Jy/beam", CDelt1: cdelt, CDelt2: cdelt}, math.NaN()},
		{"kelvin", Brightness{Unit: "K", CDelt1: -2 * cdelt, CDelt2: 3 * cdelt}, 10 * 6},
		{"Jy/pixel", Brightness{Unit: "Jy/pixel", CDelt1: cdelt, CDelt2: cdelt}, math.NaN()},
		{"no unit", Brightness{BeamMajor: 1, BeamMinor: 1, CDelt1: cdelt, CDelt2: cdelt}, math.NaN()},
		{"no direction axes", Brightness{Unit: "Jy/beam", BeamMajor: 1, BeamMinor: 1}, math.NaN()},
	} {
		if got := c.b.FluxDensity(10); !relClose(got, c.want, 1e-12) {
			t.Errorf("%s: flux density %v, want %v", c.name, got, c.want)
		}
	}
	s := stats.Compute([]float32{4, 6})
	if got := Value(s, FluxDensity, beam); !relClose(got, 10/area, 1e-12) {
		t.Errorf("Value(FluxDensity) = %v", got)
	}
}
