package hdf5

import (
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
)

// Signature starts every HDF5 superblock.
const Signature = "\x89HDF\r\n\x1a\n"

// Limits on what a file may make us do.
const (
	maxMeta     = 64 << 20 // one metadata structure (object header block, heap, B-tree node)
	maxDepth    = 32       // nesting of B-trees, heaps and groups
	maxObjects  = 1 << 20  // links, attributes or chunk entries of one object
	maxHeaderCh = 4096     // continuation blocks of one object header
	// maxChunkBytes bounds one decoded chunk (fits2idia's are 1 MiB;
	// h5py's automatic chunks at most 1 MiB).
	maxChunkBytes = 64 << 20
)

// File is an open HDF5 file. It is safe for concurrent use.
type File struct {
	path     string
	osf      *os.File
	size     int64
	info     os.FileInfo
	offSize  int
	lenSize  int
	base     uint64 // base address: addresses are relative to it
	rootAddr uint64
	chunks   *chunkCache

	mu     sync.RWMutex
	closed bool
}

// Open opens path and reads its superblock. It may block on a FIFO:
// a server opens with fits.OpenRegular (non-blocking, regular files
// only) and hands the file to OpenFile.
func Open(path string) (*File, error) {
	osf, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("hdf5: %w", err)
	}
	return OpenFile(osf)
}

// OpenFile reads the superblock of an open file, which it then owns
// (closed by Close, or at once on error).
func OpenFile(osf *os.File) (*File, error) {
	path := osf.Name()
	st, err := osf.Stat()
	if err != nil {
		osf.Close()
		return nil, fmt.Errorf("hdf5: %w", err)
	}
	if !st.Mode().IsRegular() {
		osf.Close()
		return nil, fmt.Errorf("hdf5: %s: not a regular file", path)
	}
	f := &File{path: path, osf: osf, size: st.Size(), info: st, chunks: newChunkCache(ChunkCacheBytes)}
	if err := f.readSuperblock(); err != nil {
		osf.Close()
		return nil, fmt.Errorf("hdf5: %s: %w", path, err)
	}
	return f, nil
}

// IsHDF5 reports whether the first bytes of a file are the signature
// of a superblock at offset 0 (where h5py and fits2idia put it).
func IsHDF5(head []byte) bool {
	return len(head) >= len(Signature) && string(head[:len(Signature)]) == Signature
}

// Close closes the file; later reads fail with ErrClosed.
func (f *File) Close() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed {
		return nil
	}
	f.closed = true
	f.chunks.clear()
	return f.osf.Close()
}

// Path returns the path the file was opened with.
func (f *File) Path() string { return f.path }

// Info returns the file's stat result at open.
func (f *File) Info() os.FileInfo { return f.info }

// Size returns the file's length at open.
func (f *File) Size() int64 { return f.size }

// readAt reads n bytes at address addr (relative to the base address),
// checked against the file's length.
func (f *File) readAt(addr uint64, n int) ([]byte, error) {
	if addr == undef {
		return nil, fmt.Errorf("%w: undefined address", ErrCorrupt)
	}
	abs := addr + f.base
	if n < 0 || abs < addr || abs > uint64(f.size) || uint64(n) > uint64(f.size)-abs {
		return nil, fmt.Errorf("%w: %d bytes at %#x outside the file (%d bytes)", ErrCorrupt, n, abs, f.size)
	}
	out := make([]byte, n)
	if err := f.readInto(out, int64(abs)); err != nil {
		return nil, err
	}
	return out, nil
}

// readInto fills dst from absolute offset off.
func (f *File) readInto(dst []byte, off int64) error {
	f.mu.RLock()
	defer f.mu.RUnlock()
	if f.closed {
		return ErrClosed
	}
	_, err := f.osf.ReadAt(dst, off)
	if errors.Is(err, io.EOF) {
		return fmt.Errorf("%w: file shorter than at open", ErrCorrupt)
	}
	return err
}

// readMeta reads a metadata structure of n bytes, n capped.
func (f *File) readMeta(addr uint64, n uint64) ([]byte, error) {
	if n > maxMeta {
		return nil, fmt.Errorf("%w: structure of %d bytes", ErrCorrupt, n)
	}
	return f.readAt(addr, int(n))
}

// readUpTo reads at most n bytes at addr, fewer at the end of the file:
// for structures whose length is known only after parsing them.
func (f *File) readUpTo(addr uint64, n int) ([]byte, error) {
	abs := addr + f.base
	if addr == undef || abs < addr || abs >= uint64(f.size) {
		return nil, fmt.Errorf("%w: address %#x outside the file (%d bytes)", ErrCorrupt, addr, f.size)
	}
	if rest := uint64(f.size) - abs; uint64(n) > rest {
		n = int(rest)
	}
	return f.readAt(addr, n)
}

// readSuperblock finds and parses the superblock (at 0, 512, 1024, ...).
func (f *File) readSuperblock() error {
	for off := int64(0); off+8 <= f.size; off = max(512, off*2) {
		head := make([]byte, 8)
		if err := f.readInto(head, off); err != nil {
			return err
		}
		if IsHDF5(head) {
			return f.parseSuperblock(off)
		}
	}
	return ErrNotHDF5
}

func (f *File) parseSuperblock(at int64) error {
	raw := make([]byte, min(256, f.size-at))
	if err := f.readInto(raw, at); err != nil {
		return err
	}
	b := &buf{b: raw, p: 8}
	version := b.u8()
	switch version {
	case 0, 1:
		b.skip(4) // free-space, root symbol table, reserved, shared header versions
		f.offSize, f.lenSize = int(b.u8()), int(b.u8())
		b.skip(1 + 4 + 4) // reserved, group K values, consistency flags
		if version == 1 {
			b.skip(4)
		}
	case 2, 3:
		f.offSize, f.lenSize = int(b.u8()), int(b.u8())
		b.skip(1) // consistency flags
	default:
		return fmt.Errorf("%w: superblock version %d", ErrUnsupported, version)
	}
	if b.err != nil {
		return b.err
	}
	if !validSize(f.offSize) || !validSize(f.lenSize) {
		return fmt.Errorf("%w: offset size %d, length size %d", ErrCorrupt, f.offSize, f.lenSize)
	}
	b.offSize, b.lenSize = f.offSize, f.lenSize
	f.base = b.addr()
	if version <= 1 {
		b.addr() // free-space info
		b.addr() // end of file
		b.addr() // driver info
		b.addr() // root entry: link name offset
		f.rootAddr = b.addr()
	} else {
		b.addr() // superblock extension
		b.addr() // end of file
		f.rootAddr = b.addr()
	}
	if b.err != nil {
		return b.err
	}
	if f.base == undef || f.base > uint64(f.size) {
		f.base = 0
	}
	if f.base != uint64(at) && f.base != 0 {
		return fmt.Errorf("%w: base address %#x", ErrCorrupt, f.base)
	}
	return nil
}

func validSize(n int) bool { return n == 2 || n == 4 || n == 8 }
