package zfp

import "errors"

var (
	// ErrShortStream means a stream ended before every block of the array
	// was decoded: it is truncated, or was coded with other dimensions or
	// a higher precision.
	ErrShortStream = errors.New("zfp: stream too short for the array")
	// ErrBadSize means a width or height is negative.
	ErrBadSize = errors.New("zfp: negative array dimension")
)
