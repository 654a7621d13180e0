package regionfile

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// value is a coordinate or length read from a file: pixels, or an angle
// in degrees.
type value struct {
	v   float64
	pix bool
}

// units are the suffixes both formats use, with the factor to degrees
// (0 for pixels). Longer suffixes come first so "arcsec" wins over "c".
var units = []struct {
	suffix string
	deg    float64
}{
	{"arcsec", 1.0 / 3600}, {"arcmin", 1.0 / 60}, {"pix", 0}, {"deg", 1}, {"rad", 180 / math.Pi},
	{"\"", 1.0 / 3600}, {"'", 1.0 / 60},
}

// ds9Units are DS9's one-letter suffixes: d degrees, r radians, p
// physical and i image pixels.
var ds9Units = map[byte]float64{'d': 1, 'r': 180 / math.Pi, 'p': 0, 'i': 0}

// parseValue reads one number with an optional unit. hours says a
// sexagesimal value is in hours (a right ascension); bare numbers are
// pixels when barePix is set, degrees otherwise.
func parseValue(s string, hours, barePix, ds9 bool) (value, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return value{}, fmt.Errorf("empty coordinate")
	}
	if v, ok, err := parseSexagesimal(s, hours); ok {
		return value{v: v}, err
	}
	for _, u := range units {
		if num, ok := strings.CutSuffix(s, u.suffix); ok {
			return scaled(num, u.deg)
		}
	}
	if ds9 {
		if f, ok := ds9Units[s[len(s)-1]]; ok && len(s) > 1 {
			return scaled(s[:len(s)-1], f)
		}
	}
	v, err := parseFloat(s)
	return value{v: v, pix: barePix}, err
}

func scaled(num string, deg float64) (value, error) {
	v, err := parseFloat(num)
	if deg == 0 {
		return value{v: v, pix: true}, err
	}
	return value{v: v * deg}, err
}

func parseFloat(s string) (float64, error) {
	v, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, fmt.Errorf("%q is not a number", s)
	}
	return v, nil
}

// parseSexagesimal reads "12:34:56.7", "12h34m56.7s", "-45d30m00s" and
// CASA's "+45.30.00.5" (degrees, minutes, seconds with dots). ok is
// false when s is not sexagesimal.
func parseSexagesimal(s string, hours bool) (v float64, ok bool, err error) {
	var parts []string
	scale := 1.0
	switch {
	case strings.Contains(s, ":"):
		parts = strings.Split(s, ":")
		if hours {
			scale = 15
		}
	case strings.ContainsAny(s, "hH") && strings.ContainsAny(s, "mM"):
		parts, scale = strings.FieldsFunc(strings.TrimRight(s, "sS"), func(r rune) bool { return strings.ContainsRune("hHmM", r) }), 15
	case strings.ContainsAny(s, "dD") && strings.ContainsAny(s, "mM") && !strings.HasSuffix(s, "m"):
		parts = strings.FieldsFunc(strings.TrimRight(s, "sS"), func(r rune) bool { return strings.ContainsRune("dDmM", r) })
	case strings.Count(s, ".") >= 2:
		parts = strings.SplitN(s, ".", 3)
	default:
		return 0, false, nil
	}
	if len(parts) < 2 || len(parts) > 3 {
		return 0, true, fmt.Errorf("%q is not a sexagesimal angle", s)
	}
	neg := strings.HasPrefix(strings.TrimSpace(parts[0]), "-")
	total := 0.0
	for i, p := range parts {
		f, err := parseFloat(strings.TrimLeft(strings.TrimSpace(p), "+-"))
		if err != nil || f < 0 {
			return 0, true, fmt.Errorf("%q is not a sexagesimal angle", s)
		}
		total += f / math.Pow(60, float64(i))
	}
	if neg {
		total = -total
	}
	return total * scale, true, nil
}

// formatHours writes a right ascension in degrees as hh:mm:ss.ssssss.
func formatHours(deg float64) string {
	deg = math.Mod(deg, 360)
	if deg < 0 {
		deg += 360
	}
	h, m, s := sexagesimal(deg/15, 6)
	if h == 24 {
		h = 0
	}
	return fmt.Sprintf("%02d:%02d:%09.6f", h, m, s)
}

// formatDegrees writes a declination as +dd.mm.ss.sssss (CASA's form)
// or, with sep ':', as +dd:mm:ss.sssss.
func formatDegrees(deg float64, sep string) string {
	sign := "+"
	if deg < 0 {
		sign, deg = "-", -deg
	}
	d, m, s := sexagesimal(deg, 5)
	return fmt.Sprintf("%s%02d%s%02d%s%08.5f", sign, d, sep, m, sep, s)
}

// sexagesimal splits v into whole units, minutes and seconds rounded to
// digits decimals, carrying so that seconds stay below 60.
func sexagesimal(v float64, digits int) (int, int, float64) {
	p := math.Pow(10, float64(digits))
	total := math.Round(v*3600*p) / p
	whole := int(total / 3600)
	total -= float64(whole) * 3600
	minutes := int(total / 60)
	return whole, minutes, math.Max(0, total-float64(minutes)*60)
}

// fmtPix writes a pixel value so that reading it back as float32 gives
// the same float32.
func fmtPix(v float64) string {
	return strconv.FormatFloat(float64(float32(v)), 'f', -1, 32)
}

// fmtNum writes a float64 exactly (shortest form that reads back).
func fmtNum(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }
