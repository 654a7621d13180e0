// Package hdf5 reads the subset of HDF5 (File Format Specification
// version 3) that h5py and the IDIA converter fits2idia write, in pure
// Go: superblock versions 0 to 3; object header versions 1 and 2 with
// continuation blocks; groups held in a symbol table (v1 B-tree, local
// heap), in link messages or in dense storage (fractal heap indexed by
// a v2 B-tree); datasets stored compact, contiguous or chunked (v1
// B-tree, single chunk, implicit, fixed array, extensible array and v2
// B-tree indices, the last two those of resizable datasets), with the
// deflate, shuffle and Fletcher-32 filters; attributes of integer,
// float, enum (h5py's booleans) and string types, fixed or variable
// length, in the object header or in dense storage.
//
// Anything else (external storage, shared messages, other filters,
// compound types) is refused with an error wrapping ErrUnsupported.
// Metadata checksums (Jenkins lookup3) are verified in fixed and
// extensible arrays and v2 B-trees, not in other structures.
//
// A File reads with pread (no mapping: a file truncated under us yields
// an error, not a fault). Every address and size read from the file is
// checked against the file's length before use, metadata structures are
// walked with depth and count limits, and no allocation is sized by a
// number from the file before that number has been checked; a hostile
// file yields an error wrapping ErrCorrupt, never a panic.
package hdf5
