package hdf5

import "fmt"

// v2 B-tree record types of chunk indices (datasets with more than one
// unlimited dimension).
const (
	bt2Chunks         = 10 // address, scaled offsets
	bt2FilteredChunks = 11 // address, stored size, filter mask, scaled offsets
)

// indexBtree2 reads a v2 B-tree of chunk records: each names its
// chunk's coordinates in chunks, not elements.
func (d *Dataset) indexBtree2() error {
	t, err := d.f.btree2(d.layout.addr)
	if err != nil {
		return err
	}
	rank, off := len(d.Shape), d.f.offSize
	sizeLen := 0
	switch t.typ {
	case bt2Chunks:
		if t.recSize != off+8*rank {
			return fmt.Errorf("%w: chunk record of %d bytes for rank %d", ErrCorrupt, t.recSize, rank)
		}
	case bt2FilteredChunks:
		sizeLen = t.recSize - off - 4 - 8*rank
		if sizeLen < 1 || sizeLen > 8 {
			return fmt.Errorf("%w: filtered chunk record of %d bytes for rank %d", ErrCorrupt, t.recSize, rank)
		}
	default:
		return fmt.Errorf("%w: v2 B-tree of type %d as a chunk index", ErrCorrupt, t.typ)
	}
	grid := d.grid()
	coord := make([]int, rank)
	return t.records(func(rec []byte) error {
		b := d.f.buf(rec)
		ref := chunkRef{addr: b.addr(), size: uint64(d.chunkBytes())}
		if t.typ == bt2FilteredChunks {
			ref.size = b.uN(sizeLen)
			ref.mask = b.u32()
		}
		inside := true
		for k := range rank {
			c := b.u64()
			inside = inside && c < uint64(grid[k])
			coord[k] = int(min(c, 1<<40))
		}
		if b.err != nil || ref.addr == undef {
			return b.err
		}
		if inside { // a chunk outside the shape (left by a shrink) cannot be read
			d.index[d.number(coord)] = ref
		}
		return nil
	})
}
