// Package contour computes the contour lines CARTA draws over an image:
// it smooths a plane (Smooth), traces the polylines of each contour level
// (Trace, Stream) and encodes their vertices the way CONTOUR_IMAGE_DATA
// carries them and the frontend decodes them (Encode, Decode).
//
// Everything follows the reference backend (CARTAvis/carta-backend,
// src/DataStream/Smoothing.cc, Contouring.cc, Compression.cc and
// Session::SendContourData) so that the frontend sees the same data;
// the few deliberate differences are named where they occur. The package
// is pure computation: no protobuf, no sockets. Its functions are safe for
// concurrent use and do not retain the slices they are given.
package contour

import "cartago/imaging"

// Mode is a smoothing mode, numbered as CARTA.SmoothingMode on the wire.
type Mode int32

// Smoothing modes.
const (
	// NoSmoothing traces the plane as it is.
	NoSmoothing Mode = 0
	// BlockAverage traces the factor×factor block means of the plane.
	BlockAverage Mode = 1
	// GaussianBlur traces the plane convolved with a Gaussian.
	GaussianBlur Mode = 2
)

// Field is a plane ready for tracing, with the map from its pixel indices
// to the pixel coordinates of the image it came from: a vertex found at
// (x, y) in Field is sent as Scale·(x+0.5)+Offset, Scale·(y+0.5)+Offset.
// (The +0.5 is the reference's shift from pixel centres to corners.)
type Field struct {
	imaging.Plane
	Scale, Offset float64
}

func checkPlane(p imaging.Plane) error {
	if p.Width < 0 || p.Height < 0 || len(p.Data) < p.Width*p.Height {
		return ErrBadPlane
	}
	return nil
}
