package pv

import (
	"context"
	"math"
	"testing"

	"cartago/imaging/region"
)

// FuzzCompute feeds arbitrary lines, widths and channel ranges: Compute
// answers with an image of the promised size or an error, never a panic.
func FuzzCompute(f *testing.F) {
	f.Add(10.0, 10.0, 20.0, 10.0, 0.0, 0.0, 3, 0, 3, false, false)
	f.Add(3.0, 4.0, 17.0, 12.0, 20.0, 1.0, 2, 1, 2, true, true)
	f.Add(-5.0, -5.0, 40.0, 40.0, 0.0, 0.0, 20, 0, 0, false, false)
	f.Add(5.0, 5.0, 5.0, 5.0, 5.0, 5.0, 1, 0, 3, false, true)
	cube := newCube(24, 20, 4, linear)
	f.Fuzz(func(t *testing.T, x0, y0, x1, y1, x2, y2 float64, width, from, to int, reverse, poly bool) {
		for _, v := range []float64{x0, y0, x1, y1, x2, y2} {
			if math.Abs(v) > 1e5 {
				return // the line's length bounds the work, not our concern here
			}
		}
		d := line(x0, y0, x1, y1)
		if poly {
			d = region.Desc{Kind: region.KindPolyline, Points: append(d.Points, region.Point{X: x2, Y: y2})}
		}
		img, err := Compute(context.Background(), cube, Request{Line: d, Width: width, From: from, To: to, Reverse: reverse}, nil)
		if err != nil {
			return
		}
		if img.Width*img.Height != len(img.Data) || img.Positions <= 0 {
			t.Fatalf("image %d×%d with %d values, %d positions", img.Width, img.Height, len(img.Data), img.Positions)
		}
	})
}
