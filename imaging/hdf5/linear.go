package hdf5

import "fmt"

// linear maps the element numbers of the fixed-array and
// extensible-array chunk indices to chunk numbers of the current grid.
// Those indices number chunks row-major over the grid of the maximum
// dims (so that growing a dataset keeps every chunk's number), with the
// unlimited dimension, if any, moved first.
type linear struct {
	order   []int    // dimensions, slowest first
	strides []uint64 // chunks per step of each position of order
	grid    []int    // current grid
	coord   []int    // scratch: linear is used by one goroutine at a time
}

// maxChunks is the number of chunks along dimension k over the maximum
// dims; an unlimited dimension (or one whose maximum is not stored)
// counts its current chunks.
func (d *Dataset) maxChunks(k int) uint64 {
	c := uint64(d.layout.chunk[k])
	if k < len(d.maxDims) && d.maxDims[k] != undef && d.maxDims[k] >= uint64(d.Shape[k]) {
		return (d.maxDims[k] + c - 1) / c
	}
	return uint64(d.grid()[k])
}

// linearOver builds the map with dimension lead first.
func (d *Dataset) linearOver(lead int) (*linear, error) {
	rank := len(d.Shape)
	l := &linear{grid: d.grid(), coord: make([]int, rank), strides: make([]uint64, rank)}
	l.order = append(l.order, lead)
	for k := range rank {
		if k != lead {
			l.order = append(l.order, k)
		}
	}
	s := uint64(1)
	for p := rank - 1; p >= 0; p-- {
		l.strides[p] = s
		if p == 0 {
			break
		}
		n := d.maxChunks(l.order[p])
		if n == 0 || n > 1<<40 || s > (1<<62)/n {
			return nil, fmt.Errorf("%w: chunk grid of the maximum dims %v too large", ErrUnsupported, d.maxDims)
		}
		s *= n
	}
	return l, nil
}

// number is the current grid's chunk number of element i; ok is false
// for a chunk outside the current shape (left by a shrink), which
// cannot be read and is ignored.
func (l *linear) number(i uint64) (int64, bool) {
	for p, k := range l.order {
		c := i / l.strides[p]
		if c >= uint64(l.grid[k]) {
			return 0, false
		}
		l.coord[k] = int(c)
		i %= l.strides[p]
	}
	n := int64(0)
	for k, g := range l.grid {
		n = n*int64(g) + int64(l.coord[k])
	}
	return n, true
}

// unlimited is the single unlimited dimension the extensible array
// indexes along.
func (d *Dataset) unlimited() (int, error) {
	u := -1
	for k, m := range d.maxDims {
		if m == undef {
			if u >= 0 {
				return 0, fmt.Errorf("%w: extensible-array index with more than one unlimited dimension", ErrCorrupt)
			}
			u = k
		}
	}
	if u < 0 {
		return 0, fmt.Errorf("%w: extensible-array index without an unlimited dimension", ErrCorrupt)
	}
	return u, nil
}
