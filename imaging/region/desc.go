package region

import "math"

// Kind is the shape of a region. The values are the protocol's
// RegionType numbers.
type Kind int32

// Region kinds. Kinds above KindPolygon are annotations, which are drawn
// but never analysed.
const (
	KindPoint        Kind = 0
	KindLine         Kind = 1
	KindPolyline     Kind = 2
	KindRectangle    Kind = 3
	KindEllipse      Kind = 4
	KindAnnulus      Kind = 5 // in the protocol, but neither the frontend nor the reference implements it
	KindPolygon      Kind = 6
	KindAnnPoint     Kind = 7
	KindAnnLine      Kind = 8
	KindAnnPolyline  Kind = 9
	KindAnnRectangle Kind = 10
	KindAnnEllipse   Kind = 11
	KindAnnPolygon   Kind = 12
	KindAnnVector    Kind = 13
	KindAnnRuler     Kind = 14
	KindAnnText      Kind = 15
	KindAnnCompass   Kind = 16
)

// IsAnnotation reports whether k is an annotation kind.
func (k Kind) IsAnnotation() bool { return k > KindPolygon && k <= KindAnnCompass }

// IsLine reports whether k is an open shape (line, polyline, and their
// annotation forms, vector and ruler): it has profiles, never a mask.
func (k Kind) IsLine() bool {
	switch k {
	case KindLine, KindPolyline, KindAnnLine, KindAnnPolyline, KindAnnVector, KindAnnRuler:
		return true
	}
	return false
}

// MaxCoordinate bounds the magnitude of every control point coordinate
// and size. Pixel coordinates beyond it cannot come from a real image;
// refusing them keeps all integer conversions of casacore's algorithms
// within 32 bits.
const MaxCoordinate = 1e9

// Point is a position (or, for the second control point of rectangles
// and ellipses, a size) in image pixel coordinates.
type Point struct{ X, Y float64 }

// Desc describes a region as SET_REGION does.
//
// Control points by kind (the reference backend's conventions):
//
//	KindPoint:     [(x, y)]
//	KindRectangle: [centre, (width, height)]; Rotation turns the box
//	               counter-clockwise (x towards y) about its centre
//	KindEllipse:   [centre, (a, b)], two semi-axes; with Rotation 0, a
//	               lies along y and b along x, and Rotation turns the
//	               ellipse counter-clockwise from there
//	KindPolygon:   the vertices, at least 3; the shape is closed
//	KindLine:      [p1, p2]; KindPolyline: at least 3 points
//
// Coordinates and Rotation are rounded to float32 before use, as the
// protocol carries them (protobuf float), so the masks reproduce the
// reference's float32 arithmetic.
type Desc struct {
	Kind     Kind
	Points   []Point
	Rotation float64 // degrees
}

// Validate checks d as the reference backend does before accepting a
// region (Region::CheckPoints), and also refuses coordinates beyond
// MaxCoordinate and a non-finite rotation. It returns ErrInvalid,
// ErrTooLarge or ErrUnsupported (ANNULUS and unknown kinds, which the
// reference refuses too).
func (d Desc) Validate() error {
	n := len(d.Points)
	var ok bool
	switch d.Kind {
	case KindPoint, KindAnnPoint:
		ok = n == 1
	case KindLine, KindAnnLine, KindAnnVector, KindAnnRuler:
		ok = n == 2
	case KindPolyline, KindPolygon, KindAnnPolyline, KindAnnPolygon:
		ok = n > 2
	case KindRectangle, KindAnnRectangle, KindEllipse, KindAnnEllipse, KindAnnCompass:
		ok = n == 2 && float32(d.Points[1].X) > 0 && float32(d.Points[1].Y) > 0
	case KindAnnText:
		ok = n == 2 // its size may be 0 until the frontend sizes the text
	default:
		return ErrUnsupported
	}
	if !ok {
		return ErrInvalid
	}
	if !isFinite(d.Rotation) {
		return ErrInvalid
	}
	for _, p := range d.Points {
		if !isFinite(p.X) || !isFinite(p.Y) {
			return ErrInvalid
		}
		if math.Abs(p.X) > MaxCoordinate || math.Abs(p.Y) > MaxCoordinate {
			return ErrTooLarge
		}
	}
	if math.Abs(d.Rotation) > MaxCoordinate {
		return ErrTooLarge
	}
	return nil
}

func isFinite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

// Equal reports whether d and o describe the same region: same kind and,
// after rounding to float32, the same points and rotation (the
// reference's RegionState comparison). A mask made for one is the mask
// of the other.
func (d Desc) Equal(o Desc) bool {
	if d.Kind != o.Kind || float32(d.Rotation) != float32(o.Rotation) || len(d.Points) != len(o.Points) {
		return false
	}
	for i, p := range d.Points {
		q := o.Points[i]
		if float32(p.X) != float32(q.X) || float32(p.Y) != float32(q.Y) {
			return false
		}
	}
	return true
}

// clone returns a copy of d that shares no memory with it.
func (d Desc) clone() Desc {
	d.Points = append([]Point(nil), d.Points...)
	return d
}
