package hdf5

import (
	"cmp"
	"fmt"
	"math/bits"
)

// earray reads an extensible array (chunk index type 4, libhdf5's index
// for chunked datasets with one unlimited dimension). Its elements are
// chunk locations: the first few in the index block, the rest in data
// blocks grouped in "super block" levels, level u holding 2^(u/2) data
// blocks of 2^((u+1)/2) × the minimum elements. The data blocks of the
// first levels are pointed at by the index block, those of the others
// by super blocks. A data block of more elements than a page is stored
// as pages, each with its own checksum, and a super block says which of
// its blocks' pages were ever written.
type earray struct {
	d         *Dataset
	lin       *linear
	client    int // 0: chunk addresses; 1: filtered chunks (address, size, filter mask)
	elemSize  int
	idxElems  uint64 // elements in the index block
	pageElems uint64
	offBytes  int    // size of a block's "block offset" field
	ptrLevels int    // levels whose data blocks the index block points at
	sblkAddrs int    // super block addresses in the index block
	dblkAddrs int    // data block addresses in the index block
	nset      uint64 // one more than the highest element ever set
}

// eaLevel is one super block level.
type eaLevel struct {
	ndblks, dblkElems, start uint64 // start: first element, after the index block's
	firstDblk                uint64 // its first data block, counted over all levels
}

func (d *Dataset) indexEarray() error {
	u, err := d.unlimited()
	if err != nil {
		return err
	}
	a := &earray{d: d}
	if a.lin, err = d.linearOver(u); err != nil {
		return err
	}
	iblock, levels, err := a.header(d.layout.addr)
	if err != nil {
		return err
	}
	return a.indexBlock(iblock, levels)
}

// header reads the array's header and returns the index block's address
// and the levels holding elements below nset.
func (a *earray) header(addr uint64) (uint64, []eaLevel, error) {
	f := a.d.f
	data, err := f.readMeta(addr, uint64(4+1+1+6+6*f.lenSize+f.offSize+4))
	if err != nil {
		return 0, nil, err
	}
	if err := checksum(data, "extensible array header"); err != nil {
		return 0, nil, err
	}
	b := f.buf(data)
	b.sig("EAHD")
	if v := b.u8(); v != 0 && b.err == nil {
		return 0, nil, fmt.Errorf("%w: extensible array version %d", ErrUnsupported, v)
	}
	a.client, a.elemSize = int(b.u8()), int(b.u8())
	maxBits, idxElems, dblkMin, sblkMinPtrs, pageBits := int(b.u8()), b.u8(), uint64(b.u8()), uint64(b.u8()), int(b.u8())
	b.skip(4 * f.lenSize) // statistics: super and data blocks and their sizes
	a.nset = b.length()
	b.skip(f.lenSize) // elements realized
	iblock := b.addr()
	if b.err != nil {
		return 0, nil, b.err
	}
	a.idxElems, a.offBytes = uint64(idxElems), (maxBits+7)/8
	if !a.validElem() || maxBits < 1 || maxBits > 64 || pageBits > 32 || !pow2(dblkMin) || !pow2(sblkMinPtrs) ||
		bits.Len64(dblkMin)-1 > maxBits || 2*(bits.Len64(sblkMinPtrs)-1) > 1+maxBits-(bits.Len64(dblkMin)-1) {
		return 0, nil, fmt.Errorf("%w: extensible array parameters", ErrCorrupt)
	}
	if a.nset > maxObjects {
		return 0, nil, fmt.Errorf("%w: extensible array of %d elements (at most %d)", ErrUnsupported, a.nset, maxObjects)
	}
	nlevels := 1 + maxBits - (bits.Len64(dblkMin) - 1)
	a.ptrLevels = 2 * (bits.Len64(sblkMinPtrs) - 1)
	a.dblkAddrs = int(2 * (sblkMinPtrs - 1))
	a.sblkAddrs = nlevels - a.ptrLevels
	a.pageElems = 1 << pageBits
	var levels []eaLevel
	start, dblk := uint64(0), uint64(0)
	for u := 0; u < nlevels && a.idxElems+start < a.nset; u++ {
		l := eaLevel{ndblks: 1 << (u / 2), dblkElems: (1 << ((u + 1) / 2)) * dblkMin, start: start, firstDblk: dblk}
		levels = append(levels, l)
		start += l.ndblks * l.dblkElems
		dblk += l.ndblks
	}
	return iblock, levels, nil
}

// validElem checks the element size against the client.
func (a *earray) validElem() bool {
	off := a.d.f.offSize
	switch a.client {
	case 0:
		return a.elemSize == off
	case 1:
		return a.elemSize >= off+5 && a.elemSize <= off+8+4
	}
	return false
}

// indexBlock reads the index block's elements, then the data blocks of
// every level in use.
func (a *earray) indexBlock(addr uint64, levels []eaLevel) error {
	f := a.d.f
	if addr == undef {
		return nil // nothing written yet
	}
	head := 4 + 1 + 1 + f.offSize
	n := uint64(head) + a.idxElems*uint64(a.elemSize) + uint64(a.dblkAddrs+a.sblkAddrs)*uint64(f.offSize) + 4
	data, err := f.readMeta(addr, n)
	if err != nil {
		return err
	}
	if err := checksum(data, "extensible array index block"); err != nil {
		return err
	}
	b := f.buf(data)
	b.sig("EAIB")
	b.skip(head - 4)
	if err := a.elements(b.bytes(int(a.idxElems)*a.elemSize), 0); err != nil || b.err != nil {
		return cmp.Or(b.err, err)
	}
	dblks := make([]uint64, a.dblkAddrs)
	for i := range dblks {
		dblks[i] = b.addr()
	}
	sblks := make([]uint64, a.sblkAddrs)
	for i := range sblks {
		sblks[i] = b.addr()
	}
	if b.err != nil {
		return b.err
	}
	for u, l := range levels {
		if u < a.ptrLevels {
			for j := range l.ndblks {
				k := l.firstDblk + j
				if k >= uint64(len(dblks)) {
					return fmt.Errorf("%w: extensible array data block %d of %d", ErrCorrupt, k, len(dblks))
				}
				if err := a.dataBlock(dblks[k], l.start+j*l.dblkElems, l.dblkElems, nil); err != nil {
					return err
				}
			}
			continue
		}
		if err := a.superBlock(sblks[u-a.ptrLevels], l); err != nil {
			return err
		}
	}
	return nil
}

// superBlock reads a super block's page bitmap and data block addresses
// and the data blocks in use.
func (a *earray) superBlock(addr uint64, l eaLevel) error {
	if addr == undef {
		return nil
	}
	f := a.d.f
	head := 4 + 1 + 1 + f.offSize + a.offBytes
	pages := uint64(0)
	if l.dblkElems > a.pageElems {
		pages = l.dblkElems / a.pageElems
	}
	bitmap := l.ndblks * ((pages + 7) / 8)
	data, err := f.readMeta(addr, uint64(head)+bitmap+l.ndblks*uint64(f.offSize)+4)
	if err != nil {
		return err
	}
	if err := checksum(data, "extensible array super block"); err != nil {
		return err
	}
	b := f.buf(data)
	b.sig("EASB")
	b.skip(head - 4)
	init := b.bytes(int(bitmap))
	for j := range l.ndblks {
		first := a.idxElems + l.start + j*l.dblkElems
		dblk := b.addr()
		if b.err != nil {
			return b.err
		}
		if first >= a.nset {
			break
		}
		var written func(p uint64) bool
		if pages > 0 {
			written = func(p uint64) bool {
				bit := j*pages + p
				return init[bit/8]&(0x80>>(bit%8)) != 0
			}
		}
		if err := a.dataBlock(dblk, l.start+j*l.dblkElems, l.dblkElems, written); err != nil {
			return err
		}
	}
	return nil
}

// dataBlock reads the elements of a data block whose first element is
// number idxElems+start; written, for a paged block, says which pages
// hold elements.
func (a *earray) dataBlock(addr, start, n uint64, written func(page uint64) bool) error {
	first := a.idxElems + start
	if addr == undef || first >= a.nset {
		return nil
	}
	f := a.d.f
	head := uint64(4 + 1 + 1 + f.offSize + a.offBytes)
	es := uint64(a.elemSize)
	if n <= a.pageElems {
		data, err := f.readMeta(addr, head+n*es+4)
		if err != nil {
			return err
		}
		if err := a.dataBlockHead(data); err != nil {
			return err
		}
		return a.elements(data[head:head+n*es], first)
	}
	prefix, err := f.readMeta(addr, head+4) // a paged block's own checksum covers its header only
	if err != nil {
		return err
	}
	if err := a.dataBlockHead(prefix); err != nil {
		return err
	}
	pageSize := a.pageElems*es + 4
	for p := range n / a.pageElems {
		pfirst := first + p*a.pageElems
		if pfirst >= a.nset {
			break
		}
		if written != nil && !written(p) {
			continue
		}
		page, err := f.readMeta(addr+head+4+p*pageSize, pageSize)
		if err != nil {
			return err
		}
		if err := checksum(page, "extensible array data block page"); err != nil {
			return err
		}
		if err := a.elements(page[:pageSize-4], pfirst); err != nil {
			return err
		}
	}
	return nil
}

// elements records the chunks of consecutive elements, the first being
// element number first.
func (a *earray) elements(raw []byte, first uint64) error {
	f, d := a.d.f, a.d
	for i := uint64(0); int(i+1)*a.elemSize <= len(raw) && first+i < a.nset; i++ {
		e := f.buf(raw[int(i)*a.elemSize : int(i+1)*a.elemSize])
		ref := chunkRef{addr: e.addr(), size: uint64(d.chunkBytes())}
		if a.client == 1 {
			ref.size = e.uN(a.elemSize - f.offSize - 4)
			ref.mask = e.u32()
		}
		if e.err != nil {
			return e.err
		}
		if ref.addr == undef {
			continue
		}
		if n, ok := a.lin.number(first + i); ok {
			d.index[n] = ref
		}
	}
	return nil
}

// dataBlockHead checks a data block's signature and checksum.
func (a *earray) dataBlockHead(data []byte) error {
	if string(data[:4]) != "EADB" {
		return fmt.Errorf("%w: extensible array data block signature %q", ErrCorrupt, data[:4])
	}
	return checksum(data, "extensible array data block")
}
