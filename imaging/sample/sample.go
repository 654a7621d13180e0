// Package sample writes a deterministic set of realistic FITS files for
// demos, manual testing and benchmarks: a large 2-D image with NaN
// patches, a spectral cube with a rotating-disk line, a 4-D Stokes cube,
// a scaled 16-bit image with BLANK pixels, a multi-HDU file, a gzipped
// image and a subfolder. Content is Gaussian sources and an extended
// elliptical source on noise, generated with a fixed-seed PCG, so every
// run produces identical bytes.
package sample

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"cartago/imaging/fits"
)

// DefaultSeed seeds the generator when Options.Seed is 0.
const DefaultSeed = 0x5eed_ca27a

// Options select what Generate writes. The zero value writes the full
// set (about 300 MB).
type Options struct {
	// Small writes tiny versions (at most 64×64 pixels and 8 channels)
	// of every file under the same names, for fast tests.
	Small bool
	// Seed selects the random content; 0 means DefaultSeed.
	Seed uint64
}

// file is one output file: its HDUs and how to produce their data.
type file struct {
	name string // slash-separated path relative to the output directory
	gzip bool
	hdus []hdu
}

// hdu is a header plus a function writing its data (nil when none).
type hdu struct {
	hdr  fits.WriteHDU
	data func(ctx context.Context, e *fits.Encoder) error
}

// Generate writes the sample files into dir, creating it and the more/
// subfolder as needed. A file that already exists with the expected
// size is left alone, so a second run is fast; files are written to a
// temporary name and renamed, so an interrupted run leaves no partial
// file under a final name. It stops early with ctx's error.
func Generate(ctx context.Context, dir string, opts Options) error {
	if opts.Seed == 0 {
		opts.Seed = DefaultSeed
	}
	for _, f := range plan(opts) {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := f.generate(ctx, filepath.Join(dir, filepath.FromSlash(f.name))); err != nil {
			return fmt.Errorf("sample: %s: %w", f.name, err)
		}
	}
	return nil
}

// generate writes f to path unless an up-to-date copy exists.
func (f file) generate(ctx context.Context, path string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	if f.gzip {
		return f.generateGzip(ctx, path)
	}
	want, err := fits.FileSize(f.headers()...)
	if err != nil {
		return err
	}
	if sizeIs(path, want) {
		return nil
	}
	return writeAtomic(path, func(w io.Writer) error { return f.encode(ctx, w) })
}

// generateGzip compresses f in memory (gzip files are small) and writes
// it unless an existing file has the same size.
func (f file) generateGzip(ctx context.Context, path string) error {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf) // no name, zero mtime: reproducible bytes
	if err := f.encode(ctx, zw); err != nil {
		return err
	}
	if err := zw.Close(); err != nil {
		return err
	}
	if sizeIs(path, int64(buf.Len())) {
		return nil
	}
	return writeAtomic(path, func(w io.Writer) error {
		_, err := w.Write(buf.Bytes())
		return err
	})
}

// encode writes every HDU of f.
func (f file) encode(ctx context.Context, w io.Writer) error {
	e := fits.NewEncoder(w)
	for _, h := range f.hdus {
		if err := e.WriteHeader(h.hdr); err != nil {
			return err
		}
		if h.data != nil {
			if err := h.data(ctx, e); err != nil {
				return err
			}
		}
	}
	return e.Close()
}

func (f file) headers() []fits.WriteHDU {
	out := make([]fits.WriteHDU, len(f.hdus))
	for i, h := range f.hdus {
		out[i] = h.hdr
	}
	return out
}

// sizeIs reports whether path is a regular file of size n.
func sizeIs(path string, n int64) bool {
	st, err := os.Stat(path)
	return err == nil && st.Mode().IsRegular() && st.Size() == n
}

// writeAtomic writes through fill into a temporary file next to path
// and renames it into place.
func writeAtomic(path string, fill func(io.Writer) error) (err error) {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if err = fill(tmp); err != nil {
		return err
	}
	if err = tmp.Chmod(0o644); err != nil {
		return err
	}
	if err = tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
