package contour

import (
	"context"
	"math"
	"sync"

	"cartago/imaging"
	"cartago/imaging/budget"
)

// Polylines is the contour of one level: Vertices holds x, y pairs in
// image pixel coordinates (see Field), and Starts the index in Vertices
// (counted in floats, so always even) where each polyline begins; a
// polyline ends where the next begins. A closed contour repeats its first
// vertex at the end.
type Polylines struct {
	Vertices []float32
	Starts   []int32
}

// Chunk is one piece of a level's contour as Stream delivers it: what one
// CONTOUR_IMAGE_DATA message carries for that level.
type Chunk struct {
	Index    int     // position of the level in the levels slice
	Level    float64 // the level's value
	Progress float64 // < 1 for a partial chunk, 1 for the level's last
	Polylines
}

// Trace returns the contour polylines of every level (result i for
// levels[i]), tracing levels in parallel. See Stream for the algorithm.
// It returns ErrBadPlane or ctx.Err().
func Trace(ctx context.Context, f Field, levels []float64) ([]Polylines, error) {
	out := make([]Polylines, len(levels))
	err := Stream(ctx, f, levels, 0, func(c Chunk) error {
		out[c.Index] = c.Polylines // with chunkSize 0 the slices are not reused
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// Stream traces the contour of each level and hands it to emit in
// chunks, as the reference's TraceContours and Session::SendContourData
// do. Levels are traced in parallel on up to GOMAXPROCS goroutines, so
// emit may be called concurrently for different levels (it must be safe
// for that), but the chunks of one level arrive in order. The slices in a
// Chunk are only valid until emit returns.
//
// Within a level, whenever a finished polyline brings the accumulated
// vertices above 2·chunkSize floats, they are emitted as a partial chunk
// with Progress = min(0.99, scanned cells / pixels) and accumulation
// starts again (Starts then count from 0). Every level ends with one
// chunk of Progress 1 holding what is left, possibly nothing. With
// chunkSize ≤ 0 each level is emitted once, whole.
//
// Tracing is the reference's (adapted there from SAOImage DS9): NaN counts
// as −MaxFloat32; a cell edge is crossed where one corner is below the
// level and the other at or above it, at the linearly interpolated
// position. The four borders are scanned first (top row left to right,
// right column upward in y, bottom row right to left, left column
// downward), then the inner rows, starting a polyline at each upward
// crossing of a cell's top edge not already followed; each polyline is
// followed cell to cell until it leaves the plane or closes. The one
// deliberate difference: the reference interpolates the first vertex of a
// polyline that starts on the last row from the wrong end of the edge
// (x mirrored within the cell); we place it where the contour crosses.
// Planes narrower or shorter than 2 pixels have no contours.
//
// Stream stops at the first error from emit and returns it; otherwise it
// returns ErrBadPlane, or ctx.Err() if ctx ends first.
func Stream(ctx context.Context, f Field, levels []float64, chunkSize int, emit func(Chunk) error) error {
	if err := checkPlane(f.Plane); err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		errOnce  sync.Once
		firstErr error
	)
	fail := func(err error) {
		errOnce.Do(func() { firstErr = err; cancel() })
	}
	// One level per task, each goroutine with its own tracer; ForTasks
	// claims compute slots and raises a tracer's panic here. emit, which
	// may block on a slow client, runs without the task's slot.
	tracers := make([]*tracer, imaging.Workers(len(levels)))
	_ = imaging.ForTasksCtx(ctx, len(levels), 1, func(tctx context.Context, w, l, _, _ int) {
		if tracers[w] == nil {
			tracers[w] = newTracer(f, chunkSize)
		}
		send := func(c Chunk) (err error) {
			budget.Unheld(tctx, func() { err = emit(c) })
			return err
		}
		if err := tracers[w].run(ctx, l, levels[l], send); err != nil {
			fail(err)
		}
	})
	if firstErr != nil {
		return firstErr
	}
	return ctx.Err()
}

// Cell sides, numbered as the reference's Edge enum; walking them in
// increasing order goes around a cell.
const (
	top = iota
	right
	bottom
	left
)

// tracer follows the contours of one level at a time. Owned by one
// goroutine of Stream.
type tracer struct {
	data          []float32
	w, h          int
	scale, offset float64
	cutoff        int // emit a partial chunk above this many floats; 0: never

	level   float64
	visited []uint64 // bit j*w+i: a polyline entered cell (i, j) by its top edge
	out     Polylines
}

func newTracer(f Field, chunkSize int) *tracer {
	return &tracer{
		data: f.Data, w: f.Width, h: f.Height,
		scale: f.Scale, offset: f.Offset,
		cutoff: 2 * max(chunkSize, 0),
	}
}

// run traces level value v (index l) and emits its chunks.
func (t *tracer) run(ctx context.Context, l int, v float64, emit func(Chunk) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	t.level = v
	t.out = Polylines{}
	if t.w < 2 || t.h < 2 {
		return emit(Chunk{Index: l, Level: v, Progress: 1})
	}
	if n := (t.w*t.h + 63) / 64; t.visited == nil {
		t.visited = make([]uint64, n)
	} else {
		clear(t.visited)
	}
	total := float64(t.w * t.h)
	// start traces one polyline and emits a partial chunk if due; scanned
	// is the number of cells checked before this one, as the reference
	// counts them.
	start := func(i, j, side, scanned int) error {
		t.out.Starts = append(t.out.Starts, int32(len(t.out.Vertices)))
		t.segment(i, j, side)
		if t.cutoff == 0 || len(t.out.Vertices) <= t.cutoff {
			return nil
		}
		err := emit(Chunk{Index: l, Level: v, Progress: min(0.99, float64(scanned)/total), Polylines: t.out})
		t.out.Vertices, t.out.Starts = t.out.Vertices[:0], t.out.Starts[:0]
		return err
	}
	if err := t.borders(start); err != nil {
		return err
	}
	w, d := t.w, t.data
	scanned := 2*(w-1) + 2*(t.h-1)
	for j := 1; j < t.h-1; j++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		row := d[j*w : (j+1)*w]
		for i := range w - 1 {
			if crosses(row[i], row[i+1], v) && !t.seen(j*w+i) {
				if err := start(i, j, top, scanned+i); err != nil {
					return err
				}
			}
		}
		scanned += w - 1
	}
	return emit(Chunk{Index: l, Level: v, Progress: 1, Polylines: t.out})
}

// borders starts the polylines that enter the plane through its edges, in
// the reference's order: top row left to right, right column up in y,
// bottom row right to left, left column down.
func (t *tracer) borders(start func(i, j, side, scanned int) error) error {
	w, h, d, v := t.w, t.h, t.data, t.level
	n := 0 // cells scanned so far
	for i := 0; i < w-1; i, n = i+1, n+1 {
		if crosses(d[i], d[i+1], v) {
			if err := start(i, 0, top, n); err != nil {
				return err
			}
		}
	}
	for j := 0; j < h-1; j, n = j+1, n+1 {
		if crosses(d[j*w+w-1], d[(j+1)*w+w-1], v) {
			if err := start(w-2, j, right, n); err != nil {
				return err
			}
		}
	}
	for i := w - 2; i >= 0; i, n = i-1, n+1 {
		if crosses(d[(h-1)*w+i+1], d[(h-1)*w+i], v) {
			if err := start(i, h-2, bottom, n); err != nil {
				return err
			}
		}
	}
	for j := h - 2; j >= 0; j, n = j-1, n+1 {
		if crosses(d[(j+1)*w], d[j*w], v) {
			if err := start(0, j, left, n); err != nil {
				return err
			}
		}
	}
	return nil
}

// crosses reports whether going from a to b crosses level v upward:
// a is NaN or below v, and b is at or above v.
func crosses(a, b float32, v float64) bool {
	return !(float64(a) >= v) && v <= float64(b)
}

func (t *tracer) seen(k int) bool { return t.visited[k>>6]&(1<<(k&63)) != 0 }
func (t *tracer) mark(k int)      { t.visited[k>>6] |= 1 << (k & 63) }

// corners returns the values at the corners of cell (i, j): a (i, j),
// b (i+1, j), c (i+1, j+1), d (i, j+1), with NaN as −MaxFloat32.
func (t *tracer) corners(i, j int) (a, b, c, d float64) {
	k := j*t.w + i
	return val(t.data[k]), val(t.data[k+1]), val(t.data[k+t.w+1]), val(t.data[k+t.w])
}

func val(x float32) float64 {
	if x != x {
		return -math.MaxFloat32
	}
	return float64(x)
}

// segment follows one polyline from side `side` of cell (i0, j0) until it
// leaves the plane or comes back to where it started, appending its
// vertices to t.out.
func (t *tracer) segment(i0, j0, side int) {
	v := t.level
	i, j, orig := i0, j0, side
	a, b, c, d := t.corners(i, j)
	switch side {
	case top:
		t.push((v-a)/(b-a)+float64(i), float64(j))
	case right:
		t.push(float64(i+1), (v-b)/(c-b)+float64(j))
	case bottom:
		t.push((v-d)/(c-d)+float64(i), float64(j+1)) // reference: (v-c)/(d-c)
	case left:
		t.push(float64(i), (v-a)/(d-a)+float64(j))
	}
	// A polyline crosses each cell edge at most once, so this bound only
	// guards against a loop on inputs the reasoning did not foresee.
	for steps := 2*t.w*t.h + 4; steps > 0; steps-- {
		if side == top {
			t.mark(j*t.w + i)
		}
		var x, y float64
		found := false
		for range 4 {
			side = (side + 1) & 3
			switch side {
			case top:
				if found = a >= v && v > b; found {
					x, y = (v-a)/(b-a)+float64(i), float64(j)
					j--
				}
			case right:
				if found = b >= v && v > c; found {
					x, y = float64(i+1), (v-b)/(c-b)+float64(j)
					i++
				}
			case bottom:
				if found = c >= v && v > d; found {
					x, y = (v-d)/(c-d)+float64(i), float64(j+1)
					j++
				}
			case left:
				if found = d >= v && v > a; found {
					x, y = float64(i), (v-a)/(d-a)+float64(j)
					i--
				}
			}
			if found {
				break
			}
		}
		if !found { // cannot happen: a cell entered has an exit
			return
		}
		side = (side + 2) & 3 // the side we enter the next cell by
		t.push(x, y)
		if i == i0 && j == j0 && side == orig || i < 0 || i >= t.w-1 || j < 0 || j >= t.h-1 {
			return
		}
		a, b, c, d = t.corners(i, j)
	}
}

// push appends the vertex at cell-grid position (x, y), mapped to image
// pixel coordinates.
func (t *tracer) push(x, y float64) {
	t.out.Vertices = append(t.out.Vertices,
		float32(float64(t.scale*(x+0.5))+t.offset),
		float32(float64(t.scale*(y+0.5))+t.offset))
}
