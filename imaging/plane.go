// Package imaging is pure computation on image data: no sockets, no
// protobuf. Subpackages read files (fits), cut tiles, and compute
// histograms, statistics and profiles.
package imaging

// Plane is one 2-D slice of an image (one channel of one Stokes).
// Data is row-major with x fastest and the first row at the lowest y
// (FITS order); blank pixels are NaN.
type Plane struct {
	Width, Height int
	Data          []float32
}

// At returns the value at pixel (x, y); the caller checks bounds.
func (p Plane) At(x, y int) float32 { return p.Data[y*p.Width+x] }
