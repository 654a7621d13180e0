package wcs

import "math"

// sinProj is the slant orthographic projection with parameters ξ, η
// (PVi_1, PVi_2 of the latitude axis; both 0 for plain SIN, ξ = 0 and
// η = cot δ0 for the old NCP). Paper II, eq. 43-46.
type sinProj struct{ xi, eta float64 }

func (p sinProj) theta0() float64 { return 90 }

func (p sinProj) fromNative(phi, theta float64) (float64, float64, bool) {
	sp, cp := math.Sincos(phi * d2r)
	st, ct := math.Sincos(theta * d2r)
	// The point must be on the visible side: θ ≥ -atan(ξ sinφ − η cosφ).
	if theta < -math.Atan(p.xi*sp-p.eta*cp)*r2d-tol {
		return 0, 0, false
	}
	z := 1 - st
	return r0 * (ct*sp + p.xi*z), -r0 * (ct*cp - p.eta*z), true
}

func (p sinProj) toNative(x, y float64) (float64, float64, bool) {
	x, y = x/r0, y/r0
	if p.xi == 0 && p.eta == 0 {
		r := math.Hypot(x, y)
		if r > 1+tol {
			return 0, 0, false
		}
		phi := 0.0
		if r != 0 {
			phi = math.Atan2(x, -y) * r2d
		}
		return phi, math.Acos(math.Min(r, 1)) * r2d, true
	}
	s, ok := p.sinTheta(x, y)
	if !ok {
		return 0, 0, false
	}
	z := 1 - s
	xp, yp := x-p.xi*z, -(y - p.eta*z)
	phi := 0.0
	if xp != 0 || yp != 0 {
		phi = math.Atan2(xp, yp) * r2d
	}
	return phi, math.Asin(s) * r2d, true
}

// sinTheta solves a s² + 2b s + c = 0 for s = sin θ, where u = x − ξ
// and v = y − η, taking the root nearer the native pole.
func (p sinProj) sinTheta(x, y float64) (float64, bool) {
	u, v := x-p.xi, y-p.eta
	a := 1 + p.xi*p.xi + p.eta*p.eta
	b := u*p.xi + v*p.eta
	c := u*u + v*v - 1
	d := b*b - a*c
	if d < 0 {
		if d < -tol {
			return 0, false
		}
		d = 0
	}
	d = math.Sqrt(d)
	s1, s2 := (-b+d)/a, (-b-d)/a
	s := math.Max(s1, s2)
	if s > 1 {
		if s-1 < tol {
			return 1, true
		}
		s = math.Min(s1, s2)
	}
	if s < -1-tol || s > 1 {
		return 0, false
	}
	return math.Max(s, -1), true
}
