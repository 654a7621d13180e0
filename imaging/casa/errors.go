package casa

import "errors"

var (
	// ErrNotImage: the directory is not a casacore table holding an image.
	ErrNotImage = errors.New("not a CASA image")
	// ErrFormat: a file of the table is truncated or malformed.
	ErrFormat = errors.New("bad CASA table")
	// ErrUnsupported: a valid table this package cannot read (a storage
	// manager or pixel type other than the ones images use).
	ErrUnsupported = errors.New("unsupported CASA image content")
	// ErrOutOfRange: a pixel box outside the image.
	ErrOutOfRange = errors.New("index out of range")
)
