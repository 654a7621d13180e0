package regionfile

import (
	"errors"

	"cartago/imaging/region"
)

// Format is a region file format.
type Format int

const (
	CRTF Format = iota + 1
	DS9
)

func (f Format) String() string {
	switch f {
	case CRTF:
		return "CRTF"
	case DS9:
		return "DS9"
	}
	return "unknown region format"
}

// Errors that callers may test for.
var (
	ErrFormat      = errors.New("unknown region file format")
	ErrNoRegions   = errors.New("no regions")
	ErrNoSky       = errors.New("the image has no celestial coordinates")
	ErrUnsupported = errors.New("not supported")
)

// Region is one region or annotation in 0-based pixel coordinates of the
// image, with the control points of the protocol's RegionInfo
// (see region.Desc for each kind's points).
type Region struct {
	Kind     region.Kind
	Points   []region.Point
	Rotation float64 // degrees, counter-clockwise
	Style    Style
}

// Style is the protocol's RegionStyle.
type Style struct {
	Name      string
	Color     string // "#rrggbb" or a colour name
	LineWidth int32
	Dash      []int32
	Ann       *Annotation // nil when the region has no annotation style
}

// Annotation is the protocol's AnnotationStyle; enum fields hold the
// protocol's numbers (PointAnnotationShape, TextAnnotationPosition).
type Annotation struct {
	PointShape       int32
	PointWidth       int32
	TextLabel0       string
	TextLabel1       string
	CoordinateSystem string
	IsNorthArrow     bool
	IsEastArrow      bool
	TextPosition     int32
	FontStyle        string
	Font             string
	FontSize         int32
}

// Point annotation shapes, as the protocol numbers them.
const (
	shapeSquare int32 = iota
	shapeBox
	shapeCircle
	shapeCircleLined
	shapeDiamond
	shapeDiamondLined
	shapeCross
	shapeX
)

// Sky maps 0-based pixels of an image to sky coordinates in degrees, in
// the image's frame, and back.
type Sky interface {
	PixelToWorld(x, y float64) (lon, lat float64, ok bool)
	WorldToPixel(lon, lat float64) (x, y float64, ok bool)
}

// Image is what converting coordinates needs to know about an image.
type Image struct {
	Sky   Sky   // nil: the image has pixel coordinates only
	Frame Frame // the frame of Sky's coordinates
}

// Frame is a sky frame this package converts between.
type Frame int

const (
	FrameNone Frame = iota
	FrameICRS
	FrameFK5 // J2000
	FrameFK4 // B1950; only when the image is FK4 too
	FrameGalactic
	FrameEcliptic // J2000
	FrameSupergalactic
)

func (f Frame) String() string {
	return [...]string{"none", "ICRS", "FK5", "FK4", "GALACTIC", "ECLIPTIC", "SUPERGALACTIC"}[f]
}

// equatorial reports whether f is an RA/Dec frame (written in
// sexagesimal hours and degrees).
func (f Frame) equatorial() bool { return f == FrameICRS || f == FrameFK5 || f == FrameFK4 }
