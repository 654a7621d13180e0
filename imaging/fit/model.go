package fit

import "math"

// fwhmPerSigma is 2√(2 ln 2).
var fwhmPerSigma = math.Sqrt(8 * math.Ln2)

// maxExponent is where a component's contribution is taken as zero:
// exp(-50) ≈ 2e-22 of its amplitude, below float32 data precision.
const maxExponent = 50

// minSigma keeps a collapsing width from dividing by zero.
const minSigma = 1e-6

// shape is one component prepared for evaluation: the same Gaussian as
// the reference's ImageFitter::FuncF, whose axes are rotated by
// θ = PA − 90° (PA counter-clockwise from +y).
type shape struct {
	amp, x0, y0    float64
	cos, sin       float64
	ix, iy         float64 // 1/σ² along the major and minor axes
	fwhmX, fwhmY   float64
	dPA            float64 // dθ/dPA: radians per degree
	skipX0, skipX1 float64 // a bounding box beyond which exp < e^-50
	skipY0, skipY1 float64
}

func shapeOf(g Gaussian) shape {
	sx := math.Max(math.Abs(g.FWHMX)/fwhmPerSigma, minSigma)
	sy := math.Max(math.Abs(g.FWHMY)/fwhmPerSigma, minSigma)
	theta := (g.PA - 90) * math.Pi / 180
	s := shape{amp: g.Amp, x0: g.X, y0: g.Y, cos: math.Cos(theta), sin: math.Sin(theta),
		ix: 1 / (sx * sx), iy: 1 / (sy * sy), fwhmX: math.Max(math.Abs(g.FWHMX), minSigma),
		fwhmY: math.Max(math.Abs(g.FWHMY), minSigma), dPA: math.Pi / 180}
	// Beyond r = √(2·50)·max σ every pixel's exponent exceeds 50.
	r := math.Sqrt(2*maxExponent) * math.Max(sx, sy)
	s.skipX0, s.skipX1, s.skipY0, s.skipY1 = g.X-r, g.X+r, g.Y-r, g.Y+r
	return s
}

// at evaluates the component at (x, y): its value and, when d is not
// nil, the derivatives of the value by X, Y, Amp, FWHMX, FWHMY and PA
// into d[0:6]. ok is false where the component is negligible.
func (s *shape) at(x, y float64, d []float64) (v float64, ok bool) {
	if x < s.skipX0 || x > s.skipX1 || y < s.skipY0 || y > s.skipY1 {
		return 0, false
	}
	dx, dy := x-s.x0, y-s.y0
	u := dx*s.cos + dy*s.sin
	w := -dx*s.sin + dy*s.cos
	q := 0.5 * (u*u*s.ix + w*w*s.iy)
	if q > maxExponent {
		return 0, false
	}
	e := math.Exp(-q)
	g := s.amp * e
	if d != nil {
		d[0] = g * (u*s.cos*s.ix - w*s.sin*s.iy)
		d[1] = g * (u*s.sin*s.ix + w*s.cos*s.iy)
		d[2] = e
		d[3] = g * u * u * s.ix / s.fwhmX
		d[4] = g * w * w * s.iy / s.fwhmY
		d[5] = -g * u * w * (s.ix - s.iy) * s.dPA
	}
	return g, true
}

// modelAt is the whole model at (x, y).
func modelAt(shapes []shape, offset, x, y float64) float64 {
	m := offset
	for k := range shapes {
		if v, ok := shapes[k].at(x, y, nil); ok {
			m += v
		}
	}
	return m
}
