package catalog

import "errors"

var (
	// ErrNotCatalog: the file is neither a VOTable nor a FITS file
	// holding a table.
	ErrNotCatalog = errors.New("not a catalog file")
	// ErrBadFile: the file claims to be a catalogue but is malformed
	// (bad XML, truncated data, bad TFORM, ...).
	ErrBadFile = errors.New("malformed catalog file")
	// ErrUnsupported: a valid file this package cannot read (VOTable
	// data in an external stream or FITS serialisation).
	ErrUnsupported = errors.New("unsupported catalog content")
	// ErrTooLarge: the table needs more memory than Options.MaxBytes or
	// the memory budget allows.
	ErrTooLarge = errors.New("catalog too large")
)
