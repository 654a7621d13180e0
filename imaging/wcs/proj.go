package wcs

import "math"

// Degrees and radians; r0 is the radius of the generating sphere in
// degrees (Paper II, 180/π), so intermediate coordinates are degrees.
const (
	d2r = math.Pi / 180
	r2d = 180 / math.Pi
	r0  = r2d
	tol = 1e-10
)

// projection maps intermediate coordinates (x, y in degrees) to native
// spherical coordinates (φ, θ in degrees) and back (Paper II, sec. 5).
// ok is false for points the projection does not cover.
type projection interface {
	toNative(x, y float64) (phi, theta float64, ok bool)
	fromNative(phi, theta float64) (x, y float64, ok bool)
	// theta0 is the native latitude of the reference point: 90 for
	// zenithal projections, 0 for CAR and AIT.
	theta0() float64
}

// zenithal projections share φ = arg(-y, x) and a radius R(θ).
type zenithal struct {
	radius func(theta float64) (float64, bool) // R(θ) in degrees
	theta  func(r float64) (float64, bool)     // its inverse
}

func (z zenithal) theta0() float64 { return 90 }

func (z zenithal) toNative(x, y float64) (float64, float64, bool) {
	r := math.Hypot(x, y)
	phi := 0.0
	if r != 0 {
		phi = math.Atan2(x, -y) * r2d
	}
	theta, ok := z.theta(r)
	return phi, theta, ok
}

func (z zenithal) fromNative(phi, theta float64) (float64, float64, bool) {
	r, ok := z.radius(theta)
	if !ok {
		return 0, 0, false
	}
	s, c := math.Sincos(phi * d2r)
	return r * s, -r * c, true
}

// tan is the gnomonic projection: the near hemisphere only.
var tan = zenithal{
	radius: func(t float64) (float64, bool) {
		s := math.Sin(t * d2r)
		if s <= 0 {
			return 0, false
		}
		return r0 * math.Cos(t*d2r) / s, true
	},
	theta: func(r float64) (float64, bool) { return math.Atan2(r0, r) * r2d, true },
}

// arc is the zenithal equidistant projection.
var arc = zenithal{
	radius: func(t float64) (float64, bool) { return 90 - t, true },
	theta: func(r float64) (float64, bool) {
		if r > 180+tol {
			return 0, false
		}
		return 90 - math.Min(r, 180), true
	},
}

// stg is the stereographic projection: everything but the far pole.
var stg = zenithal{
	radius: func(t float64) (float64, bool) {
		c := math.Cos((90 - t) * d2r / 2)
		if c <= 0 {
			return 0, false
		}
		return 2 * r0 * math.Sin((90-t)*d2r/2) / c, true
	},
	theta: func(r float64) (float64, bool) { return 90 - 2*math.Atan(r/(2*r0))*r2d, true },
}

// zea is the zenithal equal-area projection.
var zea = zenithal{
	radius: func(t float64) (float64, bool) { return 2 * r0 * math.Sin((90-t)*d2r/2), true },
	theta: func(r float64) (float64, bool) {
		s := r / (2 * r0)
		if s > 1+tol {
			return 0, false
		}
		return 90 - 2*math.Asin(math.Min(s, 1))*r2d, true
	},
}
