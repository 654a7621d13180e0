package region

import "errors"

// Errors returned when a region description is checked or turned into a
// pixel mask.
var (
	// ErrInvalid means the control points do not describe a region of
	// their kind: wrong number of points, a coordinate that is NaN or
	// ±Inf, or a rectangle or ellipse size that is not positive (the
	// reference backend's Region::CheckPoints).
	ErrInvalid = errors.New("region: invalid control points")
	// ErrTooLarge means a coordinate, size or rotation is beyond
	// MaxCoordinate in magnitude. Such regions are refused before any
	// work so that no client can make the server loop or allocate
	// without bound.
	ErrTooLarge = errors.New("region: coordinates too large")
	// ErrNoMask means the region is valid but encloses no area: lines,
	// polylines and annotations have profiles or drawings, never a pixel
	// mask (as in the reference backend, which gives them no LCRegion).
	ErrNoMask = errors.New("region: line, polyline and annotation regions have no pixel mask")
	// ErrUnsupported means a region kind the reference backend does not
	// implement (ANNULUS, unknown values).
	ErrUnsupported = errors.New("region: unsupported region type")
	// ErrNoPixels means the region lies wholly outside the image or its
	// mask holds no pixel centre ("region does not contain any pixel").
	ErrNoPixels = errors.New("region: region does not contain any pixel")
	// ErrMismatch means a plane or cube does not have the size the mask
	// was made for.
	ErrMismatch = errors.New("region: image size does not match the mask")
)
