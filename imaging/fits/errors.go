package fits

import "errors"

// These errors are returned by Open and ParseHeader, wrapped with the
// file name, the HDU and a description of the problem.
var (
	// ErrNotFITS: the input does not start with SIMPLE = T (or, for
	// extensions, XTENSION).
	ErrNotFITS = errors.New("not a FITS file")
	// ErrTruncated: the file ends inside a header or a data unit,
	// including when NAXISn claim more data than the file holds.
	ErrTruncated = errors.New("truncated FITS file")
	// ErrBadHeader: a header violates the standard (missing END,
	// missing or invalid BITPIX/NAXIS/NAXISn, non-ASCII bytes, ...).
	ErrBadHeader = errors.New("bad FITS header")
	// ErrUnsupported: valid FITS this package cannot read, such as an
	// image with more than four non-degenerate axes.
	ErrUnsupported = errors.New("unsupported FITS content")
	// ErrTooLarge: a gzip file decompresses to more than the limit.
	ErrTooLarge = errors.New("FITS file too large")
	// ErrNotRegular: the path names a FIFO, device, socket or directory.
	// Such files are refused before reading: a FIFO blocks its reader
	// and a device may never end.
	ErrNotRegular = errors.New("not a regular file")
)

// These errors are returned when looking up HDUs and reading data.
var (
	// ErrNoHDU: the HDU key does not name an HDU of the file.
	ErrNoHDU = errors.New("no such HDU")
	// ErrNotImage: the HDU exists but is not a readable image.
	ErrNotImage = errors.New("HDU is not an image")
	// ErrOutOfRange: a channel, Stokes index or pixel is outside the image.
	ErrOutOfRange = errors.New("index out of range")
	// ErrClosed: the File was closed.
	ErrClosed = errors.New("FITS file closed")
)

// These errors are returned by the Encoder.
var (
	// ErrBadCard: a card cannot be written (bad keyword, non-ASCII text,
	// reserved keyword, NaN value, ...).
	ErrBadCard = errors.New("bad FITS card")
	// ErrBadData: data does not match the HDU's BITPIX or NAXISn.
	ErrBadData = errors.New("bad FITS data")
)
