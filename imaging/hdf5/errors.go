package hdf5

import "errors"

var (
	// ErrNotHDF5: the file has no HDF5 superblock signature.
	ErrNotHDF5 = errors.New("not an HDF5 file")
	// ErrCorrupt: a structure is malformed or points outside the file.
	ErrCorrupt = errors.New("corrupt HDF5 file")
	// ErrUnsupported: valid HDF5 this package does not read.
	ErrUnsupported = errors.New("unsupported HDF5 feature")
	// ErrNotFound: no object at that path.
	ErrNotFound = errors.New("no such HDF5 object")
	// ErrOutOfRange: a read outside a dataset's shape.
	ErrOutOfRange = errors.New("index out of range")
	// ErrClosed: the File was closed.
	ErrClosed = errors.New("HDF5 file closed")
)
