package region

import (
	"context"
	"fmt"
	"runtime"
	"sync/atomic"

	"cartago/imaging"
	"cartago/imaging/budget"
	"cartago/imaging/stats"
)

// Planes gives SpectralProfile the planes of one Stokes of a cube.
// ReadPlane must be safe for concurrent use with distinct buffers
// (fits.Image is): SpectralProfile reads several channels at once.
type Planes interface {
	// Shape returns the size of every plane and the number of channels.
	Shape() (width, height, depth int)
	// ReadPlane decodes channel into dst, which holds width×height
	// values, row-major with x fastest.
	ReadPlane(dst []float32, channel int) error
}

// RowReader is implemented by Planes that can read a band of rows of a
// channel; SpectralProfile then reads only the rows of the region's
// bounding box.
type RowReader interface {
	// ReadRows decodes rows y0..y0+rows−1 of channel into dst, which
	// holds width×rows values.
	ReadRows(dst []float32, channel, y0, rows int) error
}

// RectReader is implemented by Planes that can read a rectangle of a
// channel; SpectralProfile then reads only the region's bounding box
// (preferred to RowReader).
type RectReader interface {
	// ReadRect decodes the w×rows rectangle at (x0, y0) of channel into
	// dst, row by row.
	ReadRect(dst []float32, channel, x0, y0, w, rows int) error
}

// Progress is told, after each channel, how many channels are done and
// the profile so far: one entry per channel, the zero stats.Basic (whose
// Value is NaN, as the reference's missing channels) for channels not
// yet computed. It is called from the goroutine that called
// SpectralProfile; profile is only valid during the call. Rate limiting
// (the reference sends partial profiles about every second) is the
// callback's business.
type Progress func(done int, profile []stats.Basic)

// maxProfileBuffers bounds the memory of the plane buffers of one
// SpectralProfile call.
const maxProfileBuffers = 256 << 20

// SpectralProfile returns the statistics of the region's pixels in every
// channel of src (RegionHandler::GetRegionSpectralData); Values turns
// them into one profile per statistic. Channels are read and summarised
// on up to GOMAXPROCS goroutines, each with its own plane buffer (fewer
// if the buffers would exceed 256 MiB). ctx is checked before each
// channel; on cancellation it returns ctx.Err(). It returns ErrMismatch
// if src's planes are not the size m was made for, or src's error.
func SpectralProfile(ctx context.Context, src Planes, m *Mask, progress Progress) ([]stats.Basic, error) {
	w, h, depth := src.Shape()
	if w != m.imgW || h != m.imgH || depth < 0 {
		return nil, ErrMismatch
	}
	r, workers := newPlaneReader(src, m)
	if workers <= 1 {
		return r.serial(ctx, depth, progress)
	}
	return r.parallel(ctx, depth, workers, progress)
}

// ProfileScratchBytes is the most memory SpectralProfile holds in plane
// buffers for src and m, for callers that charge it to a budget first.
func ProfileScratchBytes(src Planes, m *Mask) int64 {
	r, workers := newPlaneReader(src, m)
	return 4 * int64(r.stride) * int64(r.rows) * int64(max(workers, 1))
}

// newPlaneReader reads src's rows that m needs, with this many buffers.
func newPlaneReader(src Planes, m *Mask) (planeReader, int) {
	w, h, depth := src.Shape()
	r := planeReader{src: src, m: m, stride: w, y0: 0, rows: h}
	if rr, ok := src.(RectReader); ok {
		r.rect, r.stride, r.x0, r.y0, r.rows = rr, m.box.Dx(), m.box.Min.X, m.box.Min.Y, m.box.Dy()
	} else if rr, ok := src.(RowReader); ok {
		r.band, r.y0, r.rows = rr, m.box.Min.Y, m.box.Dy()
	}
	buf := 4 * r.stride * r.rows
	return r, min(runtime.GOMAXPROCS(0), depth, max(1, maxProfileBuffers/max(buf, 1)))
}

// planeReader reads the part of a channel a mask needs.
type planeReader struct {
	src    Planes
	rect   RectReader // nil: band or whole planes
	band   RowReader  // nil: whole planes
	m      *Mask
	stride int // values per buffer row
	x0, y0 int // image column and row of the buffer's first value
	rows   int
}

func (r *planeReader) read(dst []float32, ch int) error {
	var err error
	if r.rect != nil {
		err = r.rect.ReadRect(dst, ch, r.x0, r.y0, r.stride, r.rows)
	} else if r.band != nil {
		err = r.band.ReadRows(dst, ch, r.y0, r.rows)
	} else {
		err = r.src.ReadPlane(dst, ch)
	}
	if err != nil {
		return fmt.Errorf("spectral profile, channel %d: %w", ch, err)
	}
	return nil
}

// serial reads one channel at a time, summarising each on GOMAXPROCS
// goroutines.
func (r *planeReader) serial(ctx context.Context, depth int, progress Progress) ([]stats.Basic, error) {
	profile := make([]stats.Basic, depth)
	buf := make([]float32, r.stride*r.rows)
	m := r.m
	for ch := range depth {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if err := r.read(buf, ch); err != nil {
			return nil, err
		}
		chunk := rowsPerTask(m)
		parts := make([]stats.Basic, (m.box.Dy()+chunk-1)/chunk)
		err := imaging.ForTasks(ctx, m.box.Dy(), chunk, func(_, t, lo, hi int) {
			parts[t] = m.accumulate(buf, r.stride, r.x0, r.y0, lo, hi)
		})
		if err != nil {
			return nil, err
		}
		profile[ch] = mergeParts(parts)
		if progress != nil {
			progress(ch+1, profile)
		}
	}
	return profile, nil
}

// channelStats is the summary of one channel, or why it failed.
type channelStats struct {
	ch  int
	s   stats.Basic
	err error
}

// channel reads and summarises channel ch on a compute slot; false when
// there is nothing left to do.
func (r *planeReader) channel(ctx context.Context, buf []float32, ch, depth int) (channelStats, bool) {
	if ch >= depth || ctx.Err() != nil {
		return channelStats{}, false
	}
	release, _, err := budget.Claim(ctx)
	if err != nil {
		return channelStats{}, false
	}
	defer release()
	res := channelStats{ch: ch, err: r.read(buf, ch)}
	if res.err == nil {
		res.s = mergeParts([]stats.Basic{r.m.accumulate(buf, r.stride, r.x0, r.y0, 0, r.m.box.Dy())})
	}
	return res, true
}

// parallel reads and summarises channels on several goroutines, each
// channel on one compute slot (claimed per channel, released before the
// result is handed over); results are collected here, in completion
// order. A panic in a goroutine is raised here once all have stopped.
func (r *planeReader) parallel(ctx context.Context, depth, workers int, progress Progress) ([]stats.Basic, error) {
	ctx, cancel := context.WithCancel(ctx)
	results := make(chan channelStats, workers)
	var next atomic.Int64
	g := imaging.NewGroup(cancel)
	for range workers {
		g.Go(func() {
			buf := make([]float32, r.stride*r.rows)
			for {
				res, ok := r.channel(ctx, buf, int(next.Add(1)-1), depth)
				if !ok {
					return
				}
				select {
				case results <- res:
				case <-ctx.Done():
					return
				}
			}
		})
	}
	defer func() { // no worker outlives the call
		cancel()
		g.Wait()
	}()
	profile := make([]stats.Basic, depth)
	for done := 0; done < depth; {
		select {
		case res := <-results:
			if res.err != nil {
				return nil, res.err
			}
			profile[res.ch] = res.s
			done++
			if progress != nil {
				progress(done, profile)
			}
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	return profile, nil
}
