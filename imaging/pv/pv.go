// Package pv computes position–velocity images: for each box along a
// line or polyline, the mean spectrum of the finite pixels inside it,
// as the reference does (RegionHandler::GetLineProfiles with per_z: one
// spectral profile per box of LineBoxRegions::GetLineBoxRegions). The
// boxes are region.LineBoxes, the same the line spatial profiles use.
//
// The cube is read channel by channel, and of each channel only the
// rows' spans the boxes cover, so the memory a calculation needs is
// the result plus, per core, a buffer for those spans (at most a plane).
package pv

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math"
	"sync"

	"cartago/imaging"
	"cartago/imaging/region"
)

// Errors of a request that cannot make an image.
var (
	ErrEmptyLine = errors.New("pv: the line has zero length")
	ErrOffImage  = errors.New("pv: the line lies outside the image")
	ErrRange     = errors.New("pv: channel range outside the cube")
)

// Cube reads rectangles of one polarization of a cube.
type Cube interface {
	Shape() (width, height, depth int)
	ReadRect(dst []float32, channel, x0, y0, w, rows int) error
}

// Request says what to sample.
type Request struct {
	Line    region.Desc // LINE or POLYLINE, in image pixels
	Width   int         // averaging width of the boxes, region.MinLineWidth to region.MaxLineWidth
	From    int         // first channel
	To      int         // last channel, inclusive
	Reverse bool        // channels along x and positions along y, as the reference's reverse
	// Inside, when set, has one flag per image pixel; pixels outside
	// count as blank (a preview limited to a region).
	Inside []bool
	// Reserve, when set, is asked for the bytes the calculation holds
	// (the image and the cores' span buffers) once the line is placed,
	// before they are allocated; its error ends the calculation.
	Reserve func(bytes int64) error
}

// Image is a PV image, row by row: positions along x and channels along
// y, or the other way round when reversed.
type Image struct {
	Width, Height int
	Data          []float32
	Positions     int // boxes along the line
}

// Progress is told the fraction of channels done.
type Progress func(done float64)

// channelsPerTask is how many channels a core takes at a time: enough
// that a task outweighs handing it out, few enough to balance.
const channelsPerTask = 4

// Compute samples the cube. It returns ctx.Err() once ctx is done.
func Compute(ctx context.Context, cube Cube, req Request, progress Progress) (Image, error) {
	w, h, depth := cube.Shape()
	if req.From < 0 || req.To >= depth || req.From > req.To {
		return Image{}, fmt.Errorf("%w: channels %d to %d of 0 to %d", ErrRange, req.From, req.To, depth-1)
	}
	if req.Inside != nil && len(req.Inside) != w*h {
		return Image{}, fmt.Errorf("pv: region flags for %d pixels, image has %d", len(req.Inside), w*h)
	}
	p, err := newPlan(req.Line, req.Width, w, h)
	if err != nil {
		return Image{}, err
	}
	nch := req.To - req.From + 1
	nb := p.boxes()
	workers := imaging.Workers((nch + channelsPerTask - 1) / channelsPerTask)
	if req.Reserve != nil {
		if err := req.Reserve(4 * (int64(nb)*int64(nch) + int64(p.size)*int64(workers))); err != nil {
			return Image{}, err
		}
	}
	img := Image{Width: nb, Height: nch, Positions: nb, Data: make([]float32, nb*nch)}
	if req.Reverse {
		img.Width, img.Height = nch, nb
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	bufs := make([][]float32, workers)
	var mu sync.Mutex
	var first error
	done := 0 // channels, guarded by mu
	err = imaging.ForTasks(ctx, nch, channelsPerTask, func(worker, _, lo, hi int) {
		if bufs[worker] == nil {
			bufs[worker] = make([]float32, p.size)
		}
		for i := lo; i < hi; i++ {
			if err := p.channel(cube, bufs[worker], req, i, &img); err != nil {
				mu.Lock()
				first = cmp.Or(first, err)
				mu.Unlock()
				cancel()
				return
			}
		}
		mu.Lock()
		defer mu.Unlock()
		done += hi - lo
		if progress != nil {
			progress(float64(done) / float64(nch))
		}
	})
	if err = cmp.Or(first, err); err != nil {
		return Image{}, err
	}
	return img, nil
}

// channel samples channel req.From+i into img.
func (p *plan) channel(cube Cube, buf []float32, req Request, i int, img *Image) error {
	ch := req.From + i
	for _, r := range p.rows {
		dst := buf[r.off : r.off+r.x1-r.x0]
		if err := cube.ReadRect(dst, ch, int(r.x0), int(r.y), int(r.x1-r.x0), 1); err != nil {
			return fmt.Errorf("pv: channel %d row %d: %w", ch, r.y, err)
		}
		if req.Inside != nil {
			in := req.Inside[int(r.y)*p.imgW+int(r.x0) : int(r.y)*p.imgW+int(r.x1)]
			for k, ok := range in {
				if !ok {
					dst[k] = float32(math.NaN())
				}
			}
		}
	}
	nb := p.boxes()
	for b := 0; b < nb; b++ {
		v := p.mean(buf, b)
		if req.Reverse {
			img.Data[b*img.Width+i] = v
		} else {
			img.Data[i*nb+b] = v
		}
	}
	return nil
}

// mean is the mean of the finite values of box b, NaN if none.
func (p *plan) mean(buf []float32, b int) float32 {
	var sum float64
	n := 0
	for _, s := range p.spans[p.boxStart[b]:p.boxStart[b+1]] {
		for _, v := range buf[s.off : s.off+s.n] {
			if !math.IsNaN(float64(v)) && !math.IsInf(float64(v), 0) {
				sum += float64(v)
				n++
			}
		}
	}
	if n == 0 {
		return float32(math.NaN())
	}
	return float32(sum / float64(n))
}
