package hdf5

import (
	"fmt"
	"math/bits"
)

// btree2 is a v2 B-tree header (dense link and attribute name indices).
type btree2 struct {
	f        *File
	typ      int
	nodeSize uint64
	recSize  int
	depth    int
	root     uint64
	rootRecs int
	// per depth: max records in a node and in its subtree, and the
	// bytes that encode the latter
	maxRecs    []uint64
	cumRecs    []uint64
	cumBytes   []int
	maxRecByte int
}

func (f *File) btree2(addr uint64) (*btree2, error) {
	data, err := f.readMeta(addr, uint64(4+1+1+4+2+2+1+1+f.offSize+2+f.lenSize+4))
	if err != nil {
		return nil, err
	}
	if err := checksum(data, "v2 B-tree header"); err != nil {
		return nil, err
	}
	b := f.buf(data)
	b.sig("BTHD")
	if v := b.u8(); v != 0 && b.err == nil {
		return nil, fmt.Errorf("%w: v2 B-tree version %d", ErrUnsupported, v)
	}
	t := &btree2{f: f}
	t.typ = int(b.u8())
	t.nodeSize = uint64(b.u32())
	t.recSize = int(b.u16())
	t.depth = int(b.u16())
	b.skip(2)
	t.root = b.addr()
	t.rootRecs = int(b.u16())
	if b.err != nil {
		return nil, b.err
	}
	if t.recSize <= 0 || t.nodeSize <= 10 || t.nodeSize > maxMeta || t.depth > maxDepth {
		return nil, fmt.Errorf("%w: v2 B-tree parameters", ErrCorrupt)
	}
	t.sizes()
	return t, nil
}

// sizes computes the per-depth node capacities, as the format defines
// the sizes of the child pointers' record counts.
func (t *btree2) sizes() {
	const prefix = 10 // signature, version, type, checksum
	leaf := (t.nodeSize - prefix) / uint64(t.recSize)
	t.maxRecs = []uint64{leaf}
	t.cumRecs = []uint64{leaf}
	t.cumBytes = []int{0}
	t.maxRecByte = encBytes(leaf)
	for d := 1; d <= t.depth; d++ {
		ptr := uint64(t.ptrSize(d))
		n := uint64(0)
		if t.nodeSize > prefix+ptr {
			n = (t.nodeSize - prefix - ptr) / (uint64(t.recSize) + ptr)
		}
		cum := (n+1)*t.cumRecs[d-1] + n
		t.maxRecs = append(t.maxRecs, n)
		t.cumRecs = append(t.cumRecs, cum)
		t.cumBytes = append(t.cumBytes, encBytes(cum))
	}
}

// ptrSize is the size of a child pointer in a node at depth d ≥ 1.
func (t *btree2) ptrSize(d int) int {
	n := t.f.offSize + t.maxRecByte
	if d > 1 {
		n += t.cumBytes[d-1]
	}
	return n
}

// records calls fn with every record of the tree.
func (t *btree2) records(fn func(rec []byte) error) error {
	if t.root == undef || t.rootRecs == 0 {
		return nil
	}
	count := 0
	return t.node(t.root, t.depth, t.rootRecs, &count, fn)
}

func (t *btree2) node(addr uint64, depth, nrec int, count *int, fn func([]byte) error) error {
	if *count += nrec; *count > maxObjects {
		return fmt.Errorf("%w: v2 B-tree with more than %d records", ErrCorrupt, maxObjects)
	}
	data, err := t.f.readMeta(addr, t.nodeSize)
	if err != nil {
		return err
	}
	b := t.f.buf(data)
	if depth == 0 {
		b.sig("BTLF")
	} else {
		b.sig("BTIN")
	}
	b.skip(2)
	recs := make([][]byte, 0, min(nrec, 1<<12))
	for i := 0; i < nrec && b.err == nil; i++ {
		recs = append(recs, b.bytes(t.recSize))
	}
	type child struct {
		addr uint64
		n    int
	}
	var children []child
	if depth > 0 {
		children = make([]child, 0, len(recs)+1)
		for i := 0; i <= nrec && b.err == nil; i++ {
			c := child{addr: b.addr(), n: int(b.uN(t.maxRecByte))}
			if depth > 1 {
				b.uN(t.cumBytes[depth-1])
			}
			children = append(children, c)
		}
	}
	if b.err != nil {
		return b.err
	}
	// the checksum follows the records and child pointers; the rest of
	// the node is free space
	if b.p+4 > len(data) {
		return fmt.Errorf("%w: v2 B-tree node has no room for its checksum", ErrCorrupt)
	}
	if err := checksum(data[:b.p+4], "v2 B-tree node"); err != nil {
		return err
	}
	if depth == 0 {
		for _, r := range recs {
			if err := fn(r); err != nil {
				return err
			}
		}
		return nil
	}
	for i, c := range children {
		if err := t.node(c.addr, depth-1, c.n, count, fn); err != nil {
			return err
		}
		if i < nrec {
			if err := fn(recs[i]); err != nil {
				return err
			}
		}
	}
	return nil
}

// encBytes is floor(log2(n))/8 + 1, the bytes the format reserves for
// counts up to n.
func encBytes(n uint64) int {
	if n == 0 {
		return 1
	}
	return (bits.Len64(n)-1)/8 + 1
}
