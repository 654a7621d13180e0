package wcs

import "errors"

// Errors returned by FromHeader.
var (
	// ErrNoCelestial means the header has no pair of celestial axes
	// (no CTYPEn naming a longitude and a matching latitude with a
	// projection code).
	ErrNoCelestial = errors.New("wcs: no celestial axes")
	// ErrUnsupported means celestial axes with a projection, unit or
	// frame this package does not implement.
	ErrUnsupported = errors.New("wcs: unsupported celestial coordinates")
	// ErrInvalid means keyword values that do not describe a usable
	// transformation: a singular matrix, a non-finite value, a
	// reference point the projection cannot hold.
	ErrInvalid = errors.New("wcs: invalid celestial coordinates")
)
