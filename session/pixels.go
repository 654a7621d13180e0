package session

import (
	"context"
	"fmt"

	"cartago/imaging"
	"cartago/imaging/budget"
	"cartago/imaging/cache"
	"cartago/imaging/fits"
)

// pixels reads an image's planes, rows and spectra by the frontend's
// Stokes numbers: a plane index for the Stokes planes in the file, or a
// derived polarization (Ptotal=13 ... Pangle=17), computed on the fly
// from the I, Q, U and V planes as the reference does.
type pixels struct {
	src    planeSource
	layout fits.Layout
	hdu    string         // names the image in cache keys
	iquv   [4]int         // plane index of Stokes I, Q, U, V; -1 if absent
	mem    *budget.Memory // charged with the planes made here while they live
	// Whole planes are shared through the server's cache, by file.
	cache *cache.Cache
	file  cache.FileID
}

// planeSource reads Stokes planes by index: a *fits.Image, or several
// files read as one (concat.go).
type planeSource interface {
	ReadPlane(dst []float32, channel, stokes int) error
	ReadRows(dst []float32, channel, stokes, y0, rows int) error
	ReadRect(dst []float32, channel, stokes, x0, y0, w, rows int) error
	ReadSpectrum(dst []float32, x, y, stokes, from int) error
}

func newPixels(img *fits.Image, mem *budget.Memory, c *cache.Cache, file cache.FileID) pixels {
	return newPixelsOf(img, img.Layout, img.Key(), mem, c, file)
}

func newPixelsOf(src planeSource, l fits.Layout, hdu string, mem *budget.Memory, c *cache.Cache, file cache.FileID) pixels {
	return pixels{src: src, layout: l, hdu: hdu, iquv: iquvOf(l), mem: mem, cache: c, file: file}
}

// key names a value computed from plane (channel, stokes) in the cache.
func (p pixels) key(channel, stokes int, what string) cache.Key {
	return cache.Key{File: p.file, HDU: p.hdu, Channel: channel, Stokes: stokes, What: what}
}

// planeBytes is what one decoded plane costs.
func (p pixels) planeBytes() int64 {
	return 4 * int64(p.layout.Width) * int64(p.layout.Height)
}

// iquvOf finds the planes of Stokes I, Q, U and V (FITS codes 1 to 4).
func iquvOf(l fits.Layout) [4]int {
	out := [4]int{-1, -1, -1, -1}
	for i, code := range l.StokesValues {
		if code >= 1 && code <= 4 {
			out[code-1] = i
		}
	}
	return out
}

// derivable reports whether the image has the planes p is computed from.
func derivable(iquv [4]int, p imaging.Polarization) bool {
	needs := p.Needs()
	any := false
	for k, need := range needs {
		if need && iquv[k] < 0 {
			return false
		}
		any = any || need
	}
	return any
}

// check validates a Stokes number.
func (p pixels) check(stokes int) error {
	n := p.layout.Stokes
	switch {
	case stokes >= 0 && stokes < n:
		return nil
	case imaging.IsPolarization(stokes) && derivable(p.iquv, imaging.Polarization(stokes)):
		return nil
	case imaging.IsPolarization(stokes):
		return fmt.Errorf("polarization %d needs Stokes planes the image does not have", stokes)
	}
	return fmt.Errorf("Stokes %d outside 0..%d", stokes, n-1)
}

// read fills dst with Stokes number stokes, reading Stokes planes with
// fn(plane index, buffer).
func (p pixels) read(dst []float32, stokes int, fn func(st int, buf []float32) error) error {
	if stokes < p.layout.Stokes || !imaging.IsPolarization(stokes) {
		return fn(stokes, dst)
	}
	if err := p.check(stokes); err != nil {
		return err
	}
	pol := imaging.Polarization(stokes)
	var comps [4][]float32
	inputs := 0
	for _, need := range pol.Needs() {
		if need {
			inputs++
		}
	}
	buf, release, err := p.floats(inputs*len(dst), fmt.Sprintf("Stokes planes of polarization %d", stokes))
	if err != nil {
		return err
	}
	defer release() // no pool: a buffer kept for the next channel would outlive the session
	for k, need := range pol.Needs() {
		if !need {
			continue
		}
		comps[k], buf = buf[:len(dst):len(dst)], buf[len(dst):]
		if err := fn(p.iquv[k], comps[k]); err != nil {
			return err
		}
	}
	pol.Derive(dst, comps)
	return nil
}

// floats allocates n values charged to the budget until release.
func (p pixels) floats(n int, what string) ([]float32, func(), error) {
	bytes := 4 * int64(n)
	if err := p.mem.Acquire(bytes, what); err != nil {
		return nil, nil, err
	}
	return make([]float32, n), func() { p.mem.Release(bytes) }, nil
}

func (p pixels) ReadPlane(dst []float32, channel, stokes int) error {
	return p.read(dst, stokes, func(st int, buf []float32) error { return p.src.ReadPlane(buf, channel, st) })
}

// Plane returns a plane from the server's cache, decoding it there once
// for every session that asks meanwhile. It must not be modified; release
// gives back the reference once the caller is done with it.
func (p pixels) Plane(ctx context.Context, channel, stokes int) (plane imaging.Plane, release func(), err error) {
	l := p.layout
	ref, err := p.cache.Get(ctx, p.key(channel, stokes, "plane"), cache.Loader{
		Reserve: p.planeBytes(), What: fmt.Sprintf("plane %d×%d", l.Width, l.Height),
		Load: func(context.Context) (any, int64, error) {
			data := make([]float32, l.Width*l.Height)
			if err := p.ReadPlane(data, channel, stokes); err != nil {
				return nil, 0, err
			}
			return imaging.Plane{Width: l.Width, Height: l.Height, Data: data}, p.planeBytes(), nil
		},
	})
	if err != nil {
		return imaging.Plane{}, nil, err
	}
	return ref.Value().(imaging.Plane), ref.Release, nil
}

func (p pixels) ReadRows(dst []float32, channel, stokes, y0, rows int) error {
	return p.read(dst, stokes, func(st int, buf []float32) error { return p.src.ReadRows(buf, channel, st, y0, rows) })
}

// ReadRect reads a rectangle of a plane, for region spectra.
func (p pixels) ReadRect(dst []float32, channel, stokes, x0, y0, w, rows int) error {
	return p.read(dst, stokes, func(st int, buf []float32) error { return p.src.ReadRect(buf, channel, st, x0, y0, w, rows) })
}

func (p pixels) ReadSpectrum(dst []float32, x, y, stokes, from int) error {
	return p.read(dst, stokes, func(st int, buf []float32) error { return p.src.ReadSpectrum(buf, x, y, st, from) })
}
