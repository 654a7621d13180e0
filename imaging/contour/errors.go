package contour

import "errors"

// Errors returned by this package.
var (
	// ErrBadMode is returned by Smooth for a mode it does not know.
	ErrBadMode = errors.New("contour: unknown smoothing mode")
	// ErrBadPlane is returned when a plane's Data is shorter than
	// Width×Height or a dimension is negative.
	ErrBadPlane = errors.New("contour: plane data does not match its size")
	// ErrCorrupt is returned by Decode for coordinates that cannot be
	// decoded: a raw length that is not a whole number of floats, a zstd
	// frame that does not decompress, or one whose size differs from the
	// uncompressed size it was sent with.
	ErrCorrupt = errors.New("contour: corrupt coordinate data")
)
