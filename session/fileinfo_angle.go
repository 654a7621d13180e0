package session

import (
	"fmt"
	"math"
	"strings"
)

// The file information dialog shows angles the way the reference's
// casacore formats them (MVAngle): hours as "hh:mm:ss.sss" and degrees
// as "ddd.mm.ss.sss" with a sign, the number of digits counted over the
// whole value (precision 9 = hh:mm:ss.sss).

// angleStyle says how sexagesimal text is written.
type angleStyle struct {
	hours   bool // hh:mm:ss (time), else ±ddd.mm.ss (angle)
	twoDigs bool // degrees with two digits (±dd.mm.ss), as for latitudes
}

// sexagesimal formats an angle in degrees with prec significant digits
// (at least 7: whole seconds plus prec-6 decimals). Hours are taken
// modulo 24; angles keep their sign.
func sexagesimal(deg float64, st angleStyle, prec int) string {
	var b strings.Builder
	t := deg
	if st.hours {
		t = deg / 360
		t = (t - math.Floor(t)) * 24
	} else if t < 0 {
		b.WriteByte('-')
	} else {
		b.WriteByte('+')
	}
	// Round to the last digit shown, as the reference does: one unit is
	// 1/3600/10^(prec-6) of a degree (or hour); the 0.1 keeps the floor
	// below from losing a unit to binary rounding and is taken off again
	// when the seconds are printed.
	unit := 1.0 / 3600 / math.Pow(10, float64(prec-6))
	t = math.Abs((math.Floor(math.Abs(t)/unit+0.5) + 0.1) * unit)
	whole := int(math.Floor(t))
	switch {
	case st.hours || st.twoDigs:
		fmt.Fprintf(&b, "%02d", whole)
	default:
		fmt.Fprintf(&b, "%03d", whole)
	}
	sep := byte('.')
	if st.hours {
		sep = ':'
	}
	b.WriteByte(sep)
	t = math.Mod(t, 1) * 60
	fmt.Fprintf(&b, "%02d", int(math.Floor(t)))
	b.WriteByte(sep)
	sec := math.Abs((math.Mod(t, 1) - 6*unit) * 60)
	if sec <= 0 {
		sec = 0
	}
	fmt.Fprintf(&b, "%0*.*f", prec-3, prec-6, sec)
	return b.String()
}

// cFloat formats like C's "%.6g" (and fmt's "{:g}"), which Go's %g
// matches once a precision is given.
func cFloat(v float64) string { return fmt.Sprintf("%.6g", v) }

// shortest formats like fmt's "{}" for a double: the shortest text that
// reads back exactly.
func shortest(v float64) string {
	if v == math.Trunc(v) && math.Abs(v) < 1e16 {
		return fmt.Sprintf("%.0f", v)
	}
	return fmt.Sprint(v)
}
