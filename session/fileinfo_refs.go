package session

import "math"

// angleUnits are the angle units the entries convert, in degrees.
var angleUnits = map[string]float64{
	"deg": 1, "rad": 180 / math.Pi, "arcmin": 1.0 / 60, "arcsec": 1.0 / 3600, "mas": 1.0 / 3.6e6,
}

// isAngle reports whether the axis unit is an angle.
func (ax infoAxis) isAngle() bool {
	_, ok := angleUnits[ax.unit]
	return ok
}

// angleText is the reference value as the reference writes it:
// "07:09:13.1081" for a right ascension, "-010.36.38.5952" for a
// declination, longitude or latitude, else the number and its unit.
func (ax infoAxis) angleText() string {
	if ax.unit == "" {
		return cFloat(ax.crval)
	}
	scale, isAngle := angleUnits[ax.unit]
	var st angleStyle
	switch ax.name {
	case "Right Ascension":
		st.hours = true
	case "Declination", "Longitude", "Latitude":
	default:
		return cFloat(ax.crval) + " " + ax.unit
	}
	if !isAngle {
		return cFloat(ax.crval) + " " + ax.unit
	}
	deg := ax.crval * scale
	if ax.name == "Longitude" && deg < 0 {
		deg += 360
	}
	return sexagesimal(deg, st, 10)
}

// degText is the reference value in degrees ("107.305 deg"); values in
// other units keep them.
func (ax infoAxis) degText() string {
	scale, ok := angleUnits[ax.unit]
	if !ok {
		return cFloat(ax.crval) + " " + ax.unit
	}
	deg := ax.crval * scale
	if ax.name == "Longitude" && deg < 0 {
		deg += 360
	}
	return cFloat(deg) + " deg"
}

// incrementText is CDELT in arcseconds (`-14"`), or with its own unit
// when that is not an angle. The reference always uses arcseconds.
func (ax infoAxis) incrementText() string {
	scale, ok := angleUnits[ax.unit]
	if !ok {
		return cFloat(ax.cdelt) + " " + ax.unit
	}
	return cFloat(ax.cdelt*scale*3600) + `"`
}
