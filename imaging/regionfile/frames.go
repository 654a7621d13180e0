package regionfile

import (
	"fmt"
	"math"
)

// Rotation matrices from equatorial J2000 (ICRS and FK5 J2000 are taken
// as the same frame: they differ by tens of milliarcseconds).
var (
	// toGalactic is the IAU 1958 galactic pole and origin in FK5 J2000
	// (the Hipparcos introduction, vol. 1, sec. 1.5.3).
	toGalactic = [3][3]float64{
		{-0.0548755604162154, -0.8734370902348850, -0.4838350155487132},
		{+0.4941094278755837, -0.4448296299600112, +0.7469822444972189},
		{-0.8676661490190047, -0.1980763734312015, +0.4559837761750669},
	}
	// toEcliptic turns by the J2000 obliquity, 23.4392911 degrees.
	toEcliptic = obliquity(23.4392911)
)

func obliquity(deg float64) [3][3]float64 {
	s, c := math.Sincos(deg * math.Pi / 180)
	return [3][3]float64{{1, 0, 0}, {0, c, s}, {0, -s, c}}
}

// convertFrame returns (lon, lat) of frame from in frame to, degrees.
func convertFrame(lon, lat float64, from, to Frame) (float64, float64, error) {
	if from == to || (from == FrameICRS && to == FrameFK5) || (from == FrameFK5 && to == FrameICRS) {
		return lon, lat, nil
	}
	v := unitVector(lon, lat)
	switch from {
	case FrameICRS, FrameFK5:
	case FrameGalactic:
		v = mulT(toGalactic, v)
	case FrameEcliptic:
		v = mulT(toEcliptic, v)
	default:
		return 0, 0, fmt.Errorf("converting %v coordinates to %v is %w", from, to, ErrUnsupported)
	}
	switch to {
	case FrameICRS, FrameFK5:
	case FrameGalactic:
		v = mul(toGalactic, v)
	case FrameEcliptic:
		v = mul(toEcliptic, v)
	default:
		return 0, 0, fmt.Errorf("converting %v coordinates to %v is %w", from, to, ErrUnsupported)
	}
	lon, lat = angles(v)
	return lon, lat, nil
}

func unitVector(lon, lat float64) [3]float64 {
	sl, cl := math.Sincos(lon * math.Pi / 180)
	sb, cb := math.Sincos(lat * math.Pi / 180)
	return [3]float64{cb * cl, cb * sl, sb}
}

func angles(v [3]float64) (lon, lat float64) {
	lon = math.Atan2(v[1], v[0]) * 180 / math.Pi
	if lon < 0 {
		lon += 360
	}
	lat = math.Atan2(v[2], math.Hypot(v[0], v[1])) * 180 / math.Pi
	return lon, lat
}

func mul(m [3][3]float64, v [3]float64) (r [3]float64) {
	for i := range 3 {
		r[i] = m[i][0]*v[0] + m[i][1]*v[1] + m[i][2]*v[2]
	}
	return r
}

// mulT multiplies by the transpose, the inverse of a rotation.
func mulT(m [3][3]float64, v [3]float64) (r [3]float64) {
	for i := range 3 {
		r[i] = m[0][i]*v[0] + m[1][i]*v[1] + m[2][i]*v[2]
	}
	return r
}

// angularDistance is the angle between two directions, degrees.
func angularDistance(lon1, lat1, lon2, lat2 float64) float64 {
	a, b := unitVector(lon1, lat1), unitVector(lon2, lat2)
	cross := [3]float64{a[1]*b[2] - a[2]*b[1], a[2]*b[0] - a[0]*b[2], a[0]*b[1] - a[1]*b[0]}
	dot := a[0]*b[0] + a[1]*b[1] + a[2]*b[2]
	return math.Atan2(math.Sqrt(cross[0]*cross[0]+cross[1]*cross[1]+cross[2]*cross[2]), dot) * 180 / math.Pi
}
