package wcs

import (
	"fmt"
	"math"
)

// rotation turns native spherical coordinates into celestial ones
// (Paper II, eq. 2 and 5): the celestial pole sits at native longitude
// phiP, and the native pole at celestial (alphaP, deltaP).
type rotation struct {
	alphaP, deltaP, phiP float64 // degrees
	sdp, cdp             float64 // sin and cos of deltaP
}

// newRotation finds the native pole from the reference point (crval:
// α0, δ0), the projection's (φ0, θ0) = (0, θ0), and LONPOLE and LATPOLE
// (NaN when absent), choosing defaults and solutions as wcslib does.
func newRotation(alpha0, delta0, theta0, lonpole, latpole float64) (rotation, error) {
	if math.IsNaN(lonpole) {
		lonpole = 0
		if delta0 < theta0 {
			lonpole = 180
		}
	}
	if math.IsNaN(latpole) {
		latpole = 90
	}
	if !finite(alpha0, delta0, lonpole, latpole) || math.Abs(delta0) > 90+tol {
		return rotation{}, fmt.Errorf("%w: reference point (%g, %g) LONPOLE %g LATPOLE %g",
			ErrInvalid, alpha0, delta0, lonpole, latpole)
	}
	r := rotation{alphaP: alpha0, deltaP: delta0, phiP: lonpole}
	if theta0 != 90 {
		var err error
		if r.deltaP, err = poleLatitude(delta0, theta0, lonpole, latpole); err != nil {
			return rotation{}, err
		}
		r.alphaP = poleLongitude(alpha0, delta0, theta0, lonpole, r.deltaP)
	}
	r.sdp, r.cdp = math.Sincos(r.deltaP * d2r)
	return r, nil
}

// poleLatitude solves Paper II eq. 8 for δp and picks the solution
// nearer LATPOLE that is a valid latitude.
func poleLatitude(delta0, theta0, phiP, latpole float64) (float64, error) {
	st0, ct0 := math.Sincos(theta0 * d2r)
	x := ct0 * math.Cos(phiP*d2r)
	y := st0
	z := math.Hypot(x, y)
	sd0 := math.Sin(delta0 * d2r)
	if z == 0 {
		if sd0 != 0 {
			return 0, fmt.Errorf("%w: no celestial pole for δ0 = %g", ErrInvalid, delta0)
		}
		return latpole, nil
	}
	if math.Abs(sd0/z) > 1+tol {
		return 0, fmt.Errorf("%w: no celestial pole for δ0 = %g, LONPOLE %g", ErrInvalid, delta0, phiP)
	}
	u := math.Atan2(y, x) * r2d
	v := math.Acos(math.Max(-1, math.Min(1, sd0/z))) * r2d
	p1, p2 := wrap180(u+v), wrap180(u-v)
	if math.Abs(latpole-p2) <= math.Abs(latpole-p1) {
		p1, p2 = p2, p1
	}
	lat := p1
	if math.Abs(p1) > 90+tol {
		lat = p2
	}
	if math.Abs(lat) > 90+tol {
		return 0, fmt.Errorf("%w: no valid celestial pole latitude for δ0 = %g, LONPOLE %g", ErrInvalid, delta0, phiP)
	}
	return math.Max(-90, math.Min(90, lat)), nil
}

// poleLongitude finds αp once δp is known (Paper II eq. 9–10).
func poleLongitude(alpha0, delta0, theta0, phiP, deltaP float64) float64 {
	st0, ct0 := math.Sincos(theta0 * d2r)
	sd0, cd0 := math.Sincos(delta0 * d2r)
	sdp, cdp := math.Sincos(deltaP * d2r)
	sphi := math.Sin(phiP * d2r)
	var ap float64
	if z := cdp * cd0; math.Abs(z) < tol {
		switch {
		case math.Abs(cd0) < tol:
			ap = alpha0
		case deltaP > 0:
			ap = alpha0 + phiP - 180
		default:
			ap = alpha0 - phiP
		}
	} else {
		x := (st0 - sdp*sd0) / z
		y := sphi * ct0 / cd0
		ap = alpha0 - math.Atan2(y, x)*r2d
	}
	// Keep the sign of α0, as wcslib does.
	if alpha0 >= 0 {
		if ap < 0 {
			ap += 360
		} else if ap > 360 {
			ap -= 360
		}
	} else if ap > 0 {
		ap -= 360
	} else if ap < -360 {
		ap += 360
	}
	return ap
}

// toCelestial maps native (φ, θ) to celestial (α, δ), α in [0, 360).
func (r *rotation) toCelestial(phi, theta float64) (float64, float64) {
	sd, cd := math.Sincos((phi - r.phiP) * d2r)
	st, ct := math.Sincos(theta * d2r)
	x := st*r.cdp - ct*r.sdp*cd
	y := -ct * sd
	z := st*r.sdp + ct*r.cdp*cd
	return wrap360(r.alphaP + math.Atan2(y, x)*r2d), math.Atan2(z, math.Hypot(x, y)) * r2d
}

// toNative is the inverse of toCelestial, φ in (-180, 180].
func (r *rotation) toNative(alpha, delta float64) (float64, float64) {
	sa, ca := math.Sincos((alpha - r.alphaP) * d2r)
	sd, cd := math.Sincos(delta * d2r)
	x := sd*r.cdp - cd*r.sdp*ca
	y := -cd * sa
	z := sd*r.sdp + cd*r.cdp*ca
	return wrap180(r.phiP + math.Atan2(y, x)*r2d), math.Atan2(z, math.Hypot(x, y)) * r2d
}

// wrap360 maps an angle to [0, 360).
func wrap360(a float64) float64 {
	a = math.Mod(a, 360)
	if a < 0 {
		a += 360
	}
	if a >= 360 {
		a -= 360
	}
	return a
}

// wrap180 maps an angle to (-180, 180].
func wrap180(a float64) float64 {
	a = wrap360(a)
	if a > 180 {
		a -= 360
	}
	return a
}
