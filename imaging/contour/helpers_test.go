package contour

import (
	"context"
	"math"
	"math/rand/v2"
	"testing"

	"cartago/imaging"
)

// makePlane returns a w×h plane with pixel (x, y) = f(x, y).
func makePlane(w, h int, f func(x, y int) float64) imaging.Plane {
	p := imaging.Plane{Width: w, Height: h, Data: make([]float32, w*h)}
	for y := range h {
		for x := range w {
			p.Data[y*w+x] = float32(f(x, y))
		}
	}
	return p
}

// bump is a Gaussian of peak 1 and width s centred on (cx, cy).
func bump(cx, cy, s float64) func(x, y int) float64 {
	return func(x, y int) float64 {
		dx, dy := float64(x)-cx, float64(y)-cy
		return math.Exp(-(dx*dx + dy*dy) / (2 * s * s))
	}
}

// waves is a field with many closed contours of period about 2π/k.
func waves(k float64) func(x, y int) float64 {
	return func(x, y int) float64 {
		return math.Sin(k*float64(x))*math.Cos(0.9*k*float64(y)) + 0.001*float64(x)
	}
}

// noisy is a smooth field plus seeded noise, with some NaN pixels.
func noisy(seed uint64, nanFrac float64) func(x, y int) float64 {
	r := rand.New(rand.NewPCG(seed, 1))
	return func(x, y int) float64 {
		if r.Float64() < nanFrac {
			return math.NaN()
		}
		return math.Sin(float64(x)/7) + math.Cos(float64(y)/5) + 0.3*r.NormFloat64()
	}
}

// field wraps a plane as an unsmoothed Field.
func field(p imaging.Plane) Field { return Field{Plane: p, Scale: 1} }

func mustTrace(t testing.TB, f Field, levels ...float64) []Polylines {
	t.Helper()
	got, err := Trace(context.Background(), f, levels)
	if err != nil {
		t.Fatal(err)
	}
	return got
}

// polylines splits a level's vertices into one []float32 per polyline.
func (p Polylines) split() [][]float32 {
	var out [][]float32
	for k, s := range p.Starts {
		end := int32(len(p.Vertices))
		if k+1 < len(p.Starts) {
			end = p.Starts[k+1]
		}
		out = append(out, p.Vertices[s:end])
	}
	return out
}

func closed(v []float32) bool {
	n := len(v)
	return n >= 4 && v[0] == v[n-2] && v[1] == v[n-1]
}
