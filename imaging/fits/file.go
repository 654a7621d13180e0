package fits

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
)

// Options tune Open. The zero value gives the defaults.
type Options struct {
	// MaxGunzipBytes bounds the decompressed size of a gzip-compressed
	// file, which is held in memory. Default DefaultMaxGunzipBytes (2 GiB).
	MaxGunzipBytes int64
}

// File is an open FITS file. Its methods and the Images obtained from it
// are safe for concurrent use; Close waits for reads in progress.
type File struct {
	// Immutable after Open.
	path       string
	size       int64       // on-disk size
	info       os.FileInfo // of the file opened, for its identity
	compressed bool
	hdus       []*HDU

	mu     sync.RWMutex // guards data against Close
	data   []byte       // mapped file or decompressed bytes; nil after Close
	unmap  func() error
	closed bool
}

// Open opens a FITS file with default Options; see OpenOptions.
func Open(path string) (*File, error) { return OpenOptions(path, Options{}) }

// OpenOptions opens a FITS file and parses every header. An uncompressed
// file is memory-mapped read-only and its data units are not read; a
// gzip file is decompressed into memory. Anything but a regular file is
// refused with ErrNotRegular without waiting (see OpenRegular). Errors
// name the file and wrap ErrNotFITS, ErrNotRegular, ErrTruncated,
// ErrBadHeader, ErrTooLarge or an os error.
func OpenOptions(path string, opts Options) (*File, error) {
	if opts.MaxGunzipBytes <= 0 {
		opts.MaxGunzipBytes = DefaultMaxGunzipBytes
	}
	f, err := load(path, opts)
	if err != nil {
		return nil, fmt.Errorf("fits: open %s: %w", path, err)
	}
	if err := f.parse(); err != nil {
		f.release()
		return nil, fmt.Errorf("fits: open %s: %w", path, err)
	}
	return f, nil
}

// load maps or decompresses the file.
func load(path string, opts Options) (*File, error) {
	osf, err := OpenRegular(path)
	if err != nil {
		return nil, err
	}
	defer func() {
		if osf != nil {
			osf.Close()
		}
	}()
	st, err := osf.Stat()
	if err != nil {
		return nil, err
	}
	f := &File{path: path, size: st.Size(), info: st, unmap: func() error { return nil }}
	if f.compressed, err = isGzip(osf); err != nil {
		return nil, err
	}
	switch {
	case f.compressed:
		f.data, err = gunzip(osf, f.size, opts.MaxGunzipBytes)
	case f.size < BlockLen:
		err = tooShort(osf, f.size)
	default:
		f.data, f.unmap, err = mapFile(osf, f.size)
	}
	if err != nil {
		return nil, err
	}
	return f, nil
}

// tooShort explains why a file under one block cannot be FITS.
func tooShort(osf *os.File, size int64) error {
	head := make([]byte, min(size, 9))
	n, _ := osf.ReadAt(head, 0)
	if n >= 6 && string(head[:6]) == "SIMPLE" {
		return fmt.Errorf("%w: %d bytes, less than one %d-byte block", ErrTruncated, size, BlockLen)
	}
	return fmt.Errorf("%w: %d bytes, less than one %d-byte block", ErrNotFITS, size, BlockLen)
}

// parse reads every HDU header. Bytes after the last HDU that do not
// start an extension (FITS "special records", zero fill) are ignored.
func (f *File) parse() error {
	if len(f.data) < BlockLen {
		return fmt.Errorf("%w: %d bytes, less than one %d-byte block", ErrNotFITS, len(f.data), BlockLen)
	}
	if !strings.HasPrefix(string(f.data[:8]), "SIMPLE  ") {
		return fmt.Errorf("%w: first card is not SIMPLE = T", ErrNotFITS)
	}
	off := int64(0)
	for off < int64(len(f.data)) {
		if off > 0 && !strings.HasPrefix(string(f.data[off:min(off+8, int64(len(f.data)))]), "XTENSION") {
			break
		}
		h, next, err := parseHDU(f.data, off, len(f.hdus))
		if err != nil {
			return fmt.Errorf("HDU %d: %w", len(f.hdus), err)
		}
		f.hdus = append(f.hdus, h)
		off = next
	}
	return nil
}

// release unmaps the data and closes the file.
func (f *File) release() error {
	err := f.unmap()
	f.data, f.unmap = nil, func() error { return nil }
	return err
}

// Close releases the mapping (or the decompressed bytes). Reads that
// start after Close fail with ErrClosed. Close is idempotent.
func (f *File) Close() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed {
		return nil
	}
	f.closed = true
	if err := f.release(); err != nil {
		return fmt.Errorf("fits: close %s: %w", f.path, err)
	}
	return nil
}

// Path returns the path given to Open.
func (f *File) Path() string { return f.path }

// Size returns the size of the file on disk.
func (f *File) Size() int64 { return f.size }

// Info returns what stat said of the file that was opened (not of
// whatever the path names now): its identity for caches.
func (f *File) Info() os.FileInfo { return f.info }

// Compressed reports whether the file was gzip-compressed.
func (f *File) Compressed() bool { return f.compressed }

// HDUs returns every HDU in file order, tables included. The slice must
// not be modified.
func (f *File) HDUs() []*HDU { return f.hdus }

// ImageNames returns the names (HDU.Name: "N" or "N: EXTNAME") of the
// image HDUs, in file order: the reference backend's hdu_list.
func (f *File) ImageNames() []string {
	var names []string
	for _, h := range f.hdus {
		if h.IsImage() {
			names = append(names, h.Name())
		}
	}
	return names
}

// HDU looks up an HDU by key. "" selects the first image HDU (the
// primary HDU if it holds an image, else the first image extension).
// Otherwise the key is an HDU number, optionally followed by ":" and
// anything (as in "1: SCI", the form HDU.Name produces; like the
// reference, only the number counts), or an EXTNAME (case-insensitive).
// It fails with ErrNoHDU.
func (f *File) HDU(key string) (*HDU, error) {
	if h := f.lookup(key); h != nil {
		return h, nil
	}
	if key == "" {
		return nil, fmt.Errorf("fits: %s: %w: no image HDU", f.path, ErrNoHDU)
	}
	return nil, fmt.Errorf("fits: %s: %w %q", f.path, ErrNoHDU, key)
}

// lookup implements HDU; nil when not found.
func (f *File) lookup(key string) *HDU {
	key = strings.TrimSpace(key)
	if key == "" {
		for _, h := range f.hdus {
			if h.IsImage() {
				return h
			}
		}
		return nil
	}
	num, _, _ := strings.Cut(key, ":")
	if i, err := strconv.Atoi(strings.TrimSpace(num)); err == nil {
		if i >= 0 && i < len(f.hdus) {
			return f.hdus[i]
		}
		return nil
	}
	for _, h := range f.hdus {
		if h.ExtName != "" && strings.EqualFold(h.ExtName, key) {
			return h
		}
	}
	return nil
}

// Image returns the readable image for an HDU key (see HDU). It fails
// with ErrNoHDU, or ErrNotImage (wrapping the reason) for HDUs that are
// tables, have fewer than two axes or an unsupported layout.
func (f *File) Image(key string) (*Image, error) {
	h, err := f.HDU(key)
	if err != nil {
		return nil, err
	}
	if !h.IsImage() {
		if h.imageErr != nil {
			return nil, fmt.Errorf("fits: %s: HDU %s: %w: %w", f.path, h.Key(), ErrNotImage, h.imageErr)
		}
		return nil, fmt.Errorf("fits: %s: HDU %s: %w: %s HDU with NAXIS = %d",
			f.path, h.Key(), ErrNotImage, h.Kind, len(h.Naxis))
	}
	return newImage(f, h), nil
}
