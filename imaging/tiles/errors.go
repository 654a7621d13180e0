package tiles

import "errors"

// Errors returned by Locate and Render.
var (
	// ErrInvalidTile means the tile cannot be encoded: a negative
	// coordinate, a layer above MaxLayer, or x or y ≥ 2^layer.
	ErrInvalidTile = errors.New("tiles: invalid tile coordinate")
	// ErrOutsideImage means the tile's layer does not exist for this
	// image size or the tile starts beyond the image edge.
	ErrOutsideImage = errors.New("tiles: tile outside image")
)

// ErrBadRect is returned by Downsample for a rectangle that is empty or
// not inside the plane, or a mip below 1.
var ErrBadRect = errors.New("tiles: rectangle outside plane or bad mip")
