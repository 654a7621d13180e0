package imaging

import "math"

// Polarization is a quantity derived from the Stokes I, Q, U and V
// planes of an image, numbered as the protocol's PolarizationType (the
// frontend sends these numbers where it would send a Stokes index).
type Polarization int

// The derived polarizations, as the reference computes them.
const (
	PolarizedTotal    Polarization = 13 + iota // Ptotal: √(Q²+U²+V²)
	PolarizedLinear                            // Plinear: √(Q²+U²)
	FractionTotal                              // PFtotal: 100·Ptotal/I, in %
	FractionLinear                             // PFlinear: 100·Plinear/I, in %
	PolarizationAngle                          // Pangle: ½·atan2(U, Q), in degrees
)

// polarizationNames are the names profile coordinates use as prefixes.
var polarizationNames = map[string]Polarization{
	"Ptotal": PolarizedTotal, "Plinear": PolarizedLinear,
	"PFtotal": FractionTotal, "PFlinear": FractionLinear, "Pangle": PolarizationAngle,
}

// PolarizationNamed returns the derived polarization a profile
// coordinate's prefix names ("Ptotal", ...).
func PolarizationNamed(name string) (Polarization, bool) {
	p, ok := polarizationNames[name]
	return p, ok
}

// IsPolarization reports whether v numbers a derived polarization.
func IsPolarization(v int) bool {
	return v >= int(PolarizedTotal) && v <= int(PolarizationAngle)
}

// Needs reports which of the I, Q, U and V planes p is computed from.
func (p Polarization) Needs() [4]bool {
	switch p {
	case PolarizedTotal:
		return [4]bool{false, true, true, true}
	case PolarizedLinear, PolarizationAngle:
		return [4]bool{false, true, true, false}
	case FractionTotal:
		return [4]bool{true, true, true, true}
	case FractionLinear:
		return [4]bool{true, true, true, false}
	}
	return [4]bool{}
}

// Derive writes p computed from the component values iquv (I, Q, U, V;
// those p does not need may be nil) into dst, value by value in float64.
// NaN in a component gives NaN.
func (p Polarization) Derive(dst []float32, iquv [4][]float32) {
	i, q, u, v := iquv[0], iquv[1], iquv[2], iquv[3]
	for k := range dst {
		var r float64
		switch p {
		case PolarizedTotal:
			r = math.Sqrt(sq(q[k]) + sq(u[k]) + sq(v[k]))
		case PolarizedLinear:
			r = math.Sqrt(sq(q[k]) + sq(u[k]))
		case FractionTotal:
			r = 100 * math.Sqrt(sq(q[k])+sq(u[k])+sq(v[k])) / float64(i[k])
		case FractionLinear:
			r = 100 * math.Sqrt(sq(q[k])+sq(u[k])) / float64(i[k])
		case PolarizationAngle:
			r = math.Atan2(float64(u[k]), float64(q[k])) * 90 / math.Pi
		default:
			r = math.NaN()
		}
		dst[k] = float32(r)
	}
}

func sq(v float32) float64 { return float64(v) * float64(v) }
