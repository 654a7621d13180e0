package region

import (
	"errors"
	"math"
)

// ErrNotConverted means a region cannot be carried to another image: a
// control point or outline point has no sky position on the region's
// image, or that position is not on the other image's projection.
var ErrNotConverted = errors.New("region: cannot be transformed to the other image")

// PixelMap takes a pixel of a region's own image to the pixel of another
// image that shows the same sky position; ok is false where there is
// none.
type PixelMap func(x, y float64) (float64, float64, bool)

// ConvertVertices is the number of outline points of a region that is
// distorted on the other image (the reference's DEFAULT_VERTEX_COUNT).
const ConvertVertices = 1000

// Convert returns d as it lies on another image, the way the reference
// backend applies a region to a spatially matched image
// (RegionConverter::GetImageRegion):
//
//   - A point is the mapped point.
//   - A rectangle or ellipse whose shape the mapping keeps (the ratio of
//     its half-axes within 1e-4 and their images orthogonal within 1e-2
//     px², tested on the mapped side midpoints or axis ends) is the
//     polygon of its four mapped corners, or the ellipse with mapped
//     centre and axis ends. A rotated rectangle is the same polygon.
//   - Otherwise, and for every polygon, the outline is cut into about
//     ConvertVertices pieces of equal length per edge, each point is
//     mapped, and points on near-horizontal runs are dropped as the
//     reference does (RemoveHorizontalPolygonPoints) to keep casacore's
//     polygon fill from kinks.
//   - Lines and polylines are their mapped control points.
//
// We differ from the reference in two places: a point region is mapped
// (the reference's converter finds no outline for points and answers
// with an empty region), and an undistorted ellipse takes its rotation
// from the mapped axis, so it stays right when the images are rotated
// against each other. It returns d's Validate errors, ErrNoMask for
// annotations, and ErrNotConverted when a point cannot be mapped.
func Convert(d Desc, m PixelMap) (Desc, error) {
	if err := d.Validate(); err != nil {
		return Desc{}, err
	}
	switch d.Kind {
	case KindPoint, KindLine, KindPolyline:
		pts, ok := mapPoints(d.Points, m)
		if !ok {
			return Desc{}, ErrNotConverted
		}
		return Desc{Kind: d.Kind, Points: pts}, nil
	case KindRectangle:
		return convertRectangle(d, m)
	case KindEllipse:
		return convertEllipse(d, m)
	case KindPolygon:
		return outlinePolygon(d.Points, m)
	}
	return Desc{}, ErrNoMask
}

// mapPoints maps every point; ok is false if one fails.
func mapPoints(pts []Point, m PixelMap) ([]Point, bool) {
	out := make([]Point, len(pts))
	for i, p := range pts {
		x, y, ok := m(p.X, p.Y)
		if !ok || !isFinite(x) || !isFinite(y) {
			return nil, false
		}
		out[i] = Point{x, y}
	}
	return out, true
}

func convertRectangle(d Desc, m PixelMap) (Desc, error) {
	xs, ys := rectangleCorners(d)
	corners := make([]Point, 4)
	for i := range corners {
		corners[i] = Point{float64(xs[i]), float64(ys[i])}
	}
	mid := func(i, j int) Point {
		return Point{(corners[i].X + corners[j].X) / 2, (corners[i].Y + corners[j].Y) / 2}
	}
	// Right and top side midpoints, as RegionConverter::GetRectangleMidpoints.
	probe := []Point{mid(1, 2), mid(2, 3), mid(3, 0), mid(0, 1), d.Points[0]}
	ratio := float64(float32(d.Points[1].Y)) / float64(float32(d.Points[1].X))
	if keepsShape(probe, ratio, m) {
		if pts, ok := mapPoints(corners, m); ok {
			return Desc{Kind: KindPolygon, Points: pts}, nil
		}
	}
	return outlinePolygon(corners, m)
}

func convertEllipse(d Desc, m PixelMap) (Desc, error) {
	ring := ellipsePoints(d, 4)
	a, b := float64(float32(d.Points[1].X)), float64(float32(d.Points[1].Y))
	if keepsShape(append(ring, d.Points[0]), a/b, m) {
		if pts, ok := mapPoints([]Point{d.Points[0], ring[0], ring[1]}, m); ok {
			c, vb, va := pts[0], sub(pts[1], pts[0]), sub(pts[2], pts[0])
			rot := math.Atan2(-va.X, va.Y) * 180 / math.Pi // a lies along (−sin r, cos r)
			return Desc{Kind: KindEllipse, Points: []Point{c, {math.Hypot(va.X, va.Y), math.Hypot(vb.X, vb.Y)}}, Rotation: rot}, nil
		}
	}
	pts, ok := mapPoints(ellipsePoints(d, ConvertVertices), m)
	if !ok {
		return Desc{}, ErrNotConverted
	}
	return Desc{Kind: KindPolygon, Points: dropHorizontal(pts)}, nil
}

func sub(p, q Point) Point { return Point{p.X - q.X, p.Y - q.Y} }

// keepsShape is RegionConverter::UseApproximatePolygon inverted: probe
// holds two points on perpendicular half-axes (more may follow) and the
// centre last; ratio is |axis 1| / |axis 0| on this image.
func keepsShape(probe []Point, ratio float64, m PixelMap) bool {
	pts, ok := mapPoints(probe, m)
	if !ok {
		return false
	}
	c := pts[len(pts)-1]
	v0, v1 := sub(pts[0], c), sub(pts[1], c)
	got := math.Hypot(v1.X, v1.Y) / math.Hypot(v0.X, v0.Y)
	return math.Abs(ratio-got) <= 1e-4 && math.Abs(v0.X*v1.X+v0.Y*v1.Y) <= 1e-2
}

// ellipsePoints returns n points on d's outline, from the end of the b
// axis counter-clockwise (RegionConverter::GetApproximateEllipsePoints).
func ellipsePoints(d Desc, n int) []Point {
	cx, cy := float64(float32(d.Points[0].X)), float64(float32(d.Points[0].Y))
	a, b := float64(float32(d.Points[1].X)), float64(float32(d.Points[1].Y))
	sr, cr := math.Sincos(float64(float32(d.Rotation)) * math.Pi / 180)
	out := make([]Point, n)
	for i := range out {
		st, ct := math.Sincos(float64(i) * 2 * math.Pi / float64(n))
		rb, ra := b*ct, a*st
		out[i] = Point{cx + cr*rb - sr*ra, cy + sr*rb + cr*ra}
	}
	return out
}

// outlinePolygon maps the closed outline through vertices, cut into
// pieces of about 1/ConvertVertices of its length (at least 0.1 px) per
// edge (RegionConverter::GetApproximatePolygonPoints), dropping points
// on near-horizontal runs edge by edge.
func outlinePolygon(vertices []Point, m PixelMap) (Desc, error) {
	vs := append(append([]Point(nil), vertices...), vertices[0])
	total := 0.0
	for i := 1; i < len(vs); i++ {
		total += math.Hypot(vs[i].X-vs[i-1].X, vs[i].Y-vs[i-1].Y)
	}
	step := math.Max(total/ConvertVertices, 0.1)
	var out []Point
	for i := 1; i < len(vs); i++ {
		seg, ok := mapPoints(edgePoints(vs[i-1], vs[i], step), m)
		if !ok {
			return Desc{}, ErrNotConverted
		}
		if len(seg) > 1 {
			seg = dropHorizontal(seg)
		}
		out = append(out, seg...)
	}
	if len(out) < 3 {
		return Desc{}, ErrNotConverted
	}
	return Desc{Kind: KindPolygon, Points: out}, nil
}

// edgePoints returns p and the points cutting the edge p→q into pieces
// of about step (q excluded: it starts the next edge).
func edgePoints(p, q Point, step float64) []Point {
	dx, dy := q.X-p.X, q.Y-p.Y
	length := math.Hypot(dx, dy)
	n := math.Round(length / step)
	out := []Point{p}
	if n < 2 || n > 10*ConvertVertices { // the bound only guards against a NaN step
		return out
	}
	piece := length / n
	ux, uy := dx/length, dy/length
	for j := 1; j < int(n); j++ {
		out = append(out, Point{p.X + ux*float64(j)*piece, p.Y + uy*float64(j)*piece})
	}
	return out
}

// dropHorizontal keeps the first point and each following point whose
// row differs (casacore's near, in float32) from the next point's, as
// the reference's RemoveHorizontalPolygonPoints; like it, it never keeps
// the last two points, so a run of two points vanishes.
func dropHorizontal(pts []Point) []Point {
	var out []Point
	for i := 0; i < len(pts)-2; i++ {
		if i == 0 || !isNear(float32(pts[i].Y), float32(pts[i+1].Y)) {
			out = append(out, pts[i])
		}
	}
	return out
}
