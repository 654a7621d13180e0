// Package moments collapses a cube along its spectral axis into moment
// images, with the definitions of casacore's moment calculators (which
// the reference, carta-backend src/ImageGenerators/ImageMoments.tcc,
// runs with MomentClip): NaN pixels, pixels outside the region and
// values outside the include/exclude range do not count, and a
// spectrum with no counted value gives NaN (a masked output pixel).
package moments

import (
	"cmp"
	"context"
	"fmt"
	"sync"

	"cartago/imaging"
)

// Kind is a moment type, numbered as the ICD's Moment enum.
type Kind int

const (
	Mean Kind = iota
	Integrated
	WeightedCoord
	WeightedDispersion
	Median
	MedianCoord
	StdDev
	RMS
	AbsMeanDeviation
	Max
	MaxCoord
	Min
	MinCoord
	kinds // how many there are
)

// Valid reports whether k is a moment type.
func (k Kind) Valid() bool { return k >= 0 && k < kinds }

// spectral reports whether k needs each pixel's whole spectrum (a
// second pass or a sort), not only running sums.
func (k Kind) spectral() bool { return k == Median || k == MedianCoord || k == AbsMeanDeviation }

// Mask selects the values that count: all (None), those inside [Lo, Hi]
// (Include) or those outside it (Exclude).
type Mask struct {
	Mode   int // 0 none, 1 include, 2 exclude, as the ICD's MomentMask
	Lo, Hi float32
}

// keep follows casacore MomentClip::multiProcess: include keeps
// Lo ≤ v ≤ Hi, exclude keeps v ≤ Lo or v ≥ Hi (both ends count in
// both modes).
func (m Mask) keep(v float32) bool {
	switch m.Mode {
	case 1:
		return v >= m.Lo && v <= m.Hi
	case 2:
		return v <= m.Lo || v >= m.Hi
	}
	return true
}

// Rect is the part of the image collapsed: the output planes are W×H.
type Rect struct{ X0, Y0, W, H int }

// Source is the cube read.
type Source interface {
	// Shape returns the size of every plane and the number of channels.
	Shape() (width, height, depth int)
	// ReadRect decodes the w×rows rectangle at x0,y0 of a channel into
	// dst. It is called from several goroutines at once, each with its
	// own dst.
	ReadRect(dst []float32, channel, x0, y0, w, rows int) error
}

// Request says what to compute.
type Request struct {
	Kinds    []Kind
	From, To int       // channel range, inclusive
	Coords   []float64 // world coordinate of every channel of the cube, in the moment axis's unit
	// Scale multiplies the sum for the integrated moment: the channel
	// width in the moment axis's unit (the caller's to work out as the
	// reference does).
	Scale float64
	Mask  Mask
	// Rect is the part of the image collapsed; the zero Rect is all of it.
	Rect Rect
	// Region, when not nil, holds Rect.W·Rect.H flags: pixels without it
	// are NaN in every moment.
	Region []bool
	// BandBytes bounds the spectra held at once when a kind needs whole
	// spectra (rows × width × channels values); at least one row is
	// always read.
	BandBytes int64
}

// Progress receives the fraction done, in (0, 1], after every band,
// one call at a time.
type Progress func(done float64)

// streamPixels is how many pixels a band has when only running sums are
// needed: its buffer and sums (up to about 60 bytes a pixel) stay in a
// core's cache while every channel is added.
const streamPixels = 1 << 13

// Compute returns one Rect.W·Rect.H plane per requested kind. The
// image is cut in bands of rows, a band per core at a time; a band is
// read channel by channel into running sums per pixel (plane order, as
// the file lies), and only kinds that need whole spectra (medians,
// absolute mean deviation) keep every channel of the band. Memory: the
// outputs, plus BandBytes when spectra are kept, else about 100 bytes
// per pixel of a band per core.
func Compute(ctx context.Context, src Source, req Request, progress Progress) ([][]float32, error) {
	req, err := check(src, req)
	if err != nil {
		return nil, err
	}
	w, h := req.Rect.W, req.Rect.H
	out := make([][]float32, len(req.Kinds))
	for i := range out {
		out[i] = make([]float32, w*h)
	}
	n := req.To - req.From + 1
	spectra := false
	for _, k := range req.Kinds {
		spectra = spectra || k.spectral()
	}
	rows := max(1, streamPixels/w)
	if spectra {
		rows = int(req.BandBytes / (4 * int64(w) * int64(n) * int64(imaging.Workers(h))))
	}
	rows = max(1, min(rows, h))
	workers := imaging.Workers((h + rows - 1) / rows)
	calcs := make([]*calc, workers)
	for i := range calcs {
		calcs[i] = newCalc(req, rows*w, spectra)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var mu sync.Mutex
	var first error
	done := 0 // rows, guarded by mu
	err = imaging.ForTasks(ctx, h, rows, func(worker, _, y0, y1 int) {
		if err := calcs[worker].band(ctx, src, y0, y1-y0, out); err != nil {
			mu.Lock()
			first = cmp.Or(first, err)
			mu.Unlock()
			cancel()
			return
		}
		mu.Lock()
		defer mu.Unlock()
		done += y1 - y0
		if progress != nil {
			progress(float64(done) / float64(h))
		}
	})
	if err = cmp.Or(first, err); err != nil {
		return nil, err
	}
	return out, nil
}

// check validates req against src and fills in the default Rect.
func check(src Source, req Request) (Request, error) {
	w, h, depth := src.Shape()
	if req.From < 0 || req.To >= depth || req.From > req.To {
		return req, fmt.Errorf("moments: channel range %d..%d outside 0..%d", req.From, req.To, depth-1)
	}
	if len(req.Coords) != depth {
		return req, fmt.Errorf("moments: %d coordinates for %d channels", len(req.Coords), depth)
	}
	for _, k := range req.Kinds {
		if !k.Valid() {
			return req, fmt.Errorf("moments: unknown moment %d", k)
		}
	}
	if req.Rect == (Rect{}) {
		req.Rect = Rect{W: w, H: h}
	}
	r := req.Rect
	if r.X0 < 0 || r.Y0 < 0 || r.W <= 0 || r.H <= 0 || r.X0+r.W > w || r.Y0+r.H > h {
		return req, fmt.Errorf("moments: rectangle %+v outside the %d×%d image", r, w, h)
	}
	if req.Region != nil && len(req.Region) != r.W*r.H {
		return req, fmt.Errorf("moments: region of %d pixels for a %d×%d rectangle", len(req.Region), r.W, r.H)
	}
	return req, nil
}
