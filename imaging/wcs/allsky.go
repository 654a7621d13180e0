package wcs

import "math"

// car is the plate carrée projection: x = φ, y = θ.
type car struct{}

func (car) theta0() float64 { return 0 }

func (car) toNative(x, y float64) (float64, float64, bool) {
	if math.Abs(y) > 90+tol {
		return 0, 0, false
	}
	return x, math.Max(-90, math.Min(90, y)), true
}

func (car) fromNative(phi, theta float64) (float64, float64, bool) {
	return phi, theta, true
}

// ait is Hammer-Aitoff's equal-area all-sky projection (Paper II,
// eq. 107-111).
type ait struct{}

func (ait) theta0() float64 { return 0 }

func (ait) fromNative(phi, theta float64) (float64, float64, bool) {
	sp, cp := math.Sincos(phi * d2r / 2)
	st, ct := math.Sincos(theta * d2r)
	g := r0 * math.Sqrt(2/(1+ct*cp))
	return 2 * g * ct * sp, g * st, true
}

func (ait) toNative(x, y float64) (float64, float64, bool) {
	u, v := x*d2r/4, y*d2r/2
	z2 := 1 - u*u - v*v
	if z2 < 0.5-tol {
		return 0, 0, false
	}
	z := math.Sqrt(math.Max(z2, 0.5))
	phi := 2 * math.Atan2(z*x*d2r/2, 2*z*z-1) * r2d
	s := y * d2r * z
	if math.Abs(s) > 1+tol {
		return 0, 0, false
	}
	return phi, math.Asin(math.Max(-1, math.Min(1, s))) * r2d, true
}
