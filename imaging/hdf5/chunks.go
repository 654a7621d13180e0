package hdf5

import (
	"bytes"
	"cmp"
	"container/list"
	"encoding/binary"
	"fmt"
	"github.com/klauspost/compress/zlib"
	"io"
	"runtime"
	"sync"
)

// chunkRef locates one stored chunk.
type chunkRef struct {
	addr uint64
	size uint64
	mask uint32 // filters skipped (bit i: filter i)
}

// grid is the number of chunks along each dimension.
func (d *Dataset) grid() []int {
	g := make([]int, len(d.Shape))
	for k, s := range d.Shape {
		g[k] = (s + d.layout.chunk[k] - 1) / d.layout.chunk[k]
	}
	return g
}

// chunkBytes is the size of one unfiltered chunk.
func (d *Dataset) chunkBytes() int {
	n := d.dt.size
	for _, c := range d.layout.chunk {
		n *= c
	}
	return n
}

// loadIndex reads the chunk index once.
func (d *Dataset) loadIndex() error {
	d.once.Do(func() {
		d.index = map[int64]chunkRef{}
		switch d.layout.index {
		case indexBtree1:
			d.err = d.indexBtree1()
		case indexSingle:
			size := d.layout.size
			if len(d.filters) == 0 {
				size = uint64(d.chunkBytes())
			}
			d.index[0] = chunkRef{d.layout.addr, size, d.layout.mask}
		case indexImplicit:
			d.err = d.indexImplicit()
		case indexFixed:
			d.err = d.indexFixed()
		case indexExtArr:
			d.err = d.indexEarray()
		case indexBtree2:
			d.err = d.indexBtree2()
		}
		if d.err != nil {
			d.err = fmt.Errorf("chunk index: %w", d.err)
		}
	})
	return d.err
}

// number is the row-major chunk number of chunk coordinates.
func (d *Dataset) number(coord []int) int64 {
	n := int64(0)
	for k, g := range d.grid() {
		n = n*int64(g) + int64(coord[k])
	}
	return n
}

func (d *Dataset) indexBtree1() error {
	rank := len(d.Shape)
	keySize := 8 + 8*(rank+1)
	return d.f.walkBtree1(d.layout.addr, btreeChunk, keySize, func(key []byte, child uint64) error {
		b := d.f.buf(key)
		size, mask := b.u32(), b.u32()
		coord := make([]int, rank)
		grid := d.grid()
		for k := range rank {
			off := b.u64()
			c := off / uint64(d.layout.chunk[k])
			if off%uint64(d.layout.chunk[k]) != 0 || c >= uint64(grid[k]) {
				return fmt.Errorf("%w: chunk at offset %d of dimension %d", ErrCorrupt, off, k)
			}
			coord[k] = int(c)
		}
		d.index[d.number(coord)] = chunkRef{child, uint64(size), mask}
		return b.err
	})
}

// chunkCount is the number of chunks in the grid, capped.
func (d *Dataset) chunkCount() (int64, error) {
	n := int64(1)
	for _, g := range d.grid() {
		n *= int64(g)
		if n > maxObjects {
			return 0, fmt.Errorf("%w: more than %d chunks", ErrUnsupported, maxObjects)
		}
	}
	return n, nil
}

func (d *Dataset) indexImplicit() error {
	n, err := d.chunkCount()
	if err != nil {
		return err
	}
	size := uint64(d.chunkBytes())
	for i := range n {
		d.index[i] = chunkRef{d.layout.addr + uint64(i)*size, size, 0}
	}
	return nil
}

// indexFixed reads a fixed array of chunk addresses (paged or not).
func (d *Dataset) indexFixed() error {
	f := d.f
	head, err := f.readMeta(d.layout.addr, uint64(4+4+f.lenSize+f.offSize+4))
	if err != nil {
		return err
	}
	if err := checksum(head, "fixed array header"); err != nil {
		return err
	}
	b := f.buf(head)
	b.sig("FAHD")
	b.skip(1)
	client := int(b.u8())
	entry := int(b.u8())
	pageBits := int(b.u8())
	n := b.length()
	block := b.addr()
	if b.err != nil {
		return b.err
	}
	lin, err := d.linearOver(0) // entries count chunks over the maximum dims
	if err != nil {
		return err
	}
	if n > maxObjects || pageBits > 32 || entry < f.offSize || (client == 1 && entry < f.offSize+5) {
		return fmt.Errorf("%w: fixed array of %d entries of %d bytes", ErrCorrupt, n, entry)
	}
	pageSize := uint64(1) << pageBits
	pages := uint64(0)
	prefix := uint64(4 + 2 + f.offSize)
	if n > pageSize {
		pages = (n + pageSize - 1) / pageSize
		prefix += (pages+7)/8 + 4
	}
	data, err := f.readMeta(block, prefix+n*uint64(entry)+max(pages, 1)*4)
	if err != nil {
		return err
	}
	if string(data[:4]) != "FADB" {
		return fmt.Errorf("%w: fixed array data block signature %q", ErrCorrupt, data[:4])
	}
	var bitmap []byte // pages ever written, when paged
	if pages > 0 {
		bitmap = data[4+2+f.offSize : prefix-4]
	}
	if pages == 0 {
		pages, pageSize = 1, n
		err = checksum(data, "fixed array data block")
	} else { // the block's checksum covers its header; each page has its own
		err = checksum(data[:prefix], "fixed array data block")
	}
	if err != nil {
		return err
	}
	pos := prefix
	for p := range pages {
		cnt := min(pageSize, n-p*pageSize)
		page := data[pos : pos+cnt*uint64(entry)+4]
		pos += uint64(len(page))
		if len(bitmap) > 0 {
			if bitmap[p/8]&(0x80>>(p%8)) == 0 {
				continue // never written: its entries are undefined, not chunk addresses
			}
			if err := checksum(page, "fixed array data block page"); err != nil {
				return err
			}
		}
		if err := d.fixedEntries(page[:len(page)-4], p*pageSize, client, entry, lin); err != nil {
			return err
		}
	}
	return nil
}

// fixedEntries records the chunks of consecutive fixed array entries,
// the first being entry number first.
func (d *Dataset) fixedEntries(raw []byte, first uint64, client, entry int, lin *linear) error {
	f := d.f
	for i := 0; (i+1)*entry <= len(raw); i++ {
		e := f.buf(raw[i*entry : (i+1)*entry])
		ref := chunkRef{addr: e.addr(), size: uint64(d.chunkBytes())}
		if client == 1 {
			ref.size = e.uN(entry - f.offSize - 4)
			ref.mask = e.u32()
		}
		if e.err != nil {
			return fmt.Errorf("fixed array entry: %w", e.err)
		}
		if ref.addr == undef {
			continue
		}
		if k, ok := lin.number(first + uint64(i)); ok {
			d.index[k] = ref
		}
	}
	return nil
}

// readChunked reads a slab chunk by chunk.
func (d *Dataset) readChunked(start, count []int, emit func(int, []byte)) error {
	if err := d.loadIndex(); err != nil {
		return err
	}
	rank := len(d.Shape)
	ch := d.layout.chunk
	lo, hi := make([]int, rank), make([]int, rank)
	for k := range rank {
		lo[k], hi[k] = start[k]/ch[k], (start[k]+count[k]-1)/ch[k]
	}
	var coords [][]int
	coord := append([]int(nil), lo...)
	for {
		coords = append(coords, append([]int(nil), coord...))
		k := rank - 1
		for ; k >= 0; k-- {
			coord[k]++
			if coord[k] <= hi[k] {
				break
			}
			coord[k] = lo[k]
		}
		if k < 0 {
			break
		}
	}
	return d.copyChunks(coords, start, count, emit)
}

// copyChunks decodes and copies chunks on up to GOMAXPROCS goroutines,
// which end before it returns: chunks cover disjoint parts of the
// output, and decoding (inflate, unshuffle) is most of a read's time.
func (d *Dataset) copyChunks(coords [][]int, start, count []int, emit func(int, []byte)) error {
	outStrides := stridesOf(count)
	workers := min(runtime.GOMAXPROCS(0), len(coords))
	if workers <= 1 {
		for _, c := range coords {
			if err := d.copyChunk(c, start, count, outStrides, emit); err != nil {
				return err
			}
		}
		return nil
	}
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		first error
		nextC int
	)
	take := func() []int {
		mu.Lock()
		defer mu.Unlock()
		if first != nil || nextC == len(coords) {
			return nil
		}
		nextC++
		return coords[nextC-1]
	}
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for c := take(); c != nil; c = take() {
				if err := d.copyChunk(c, start, count, outStrides, emit); err != nil {
					mu.Lock()
					first = cmp.Or(first, err)
					mu.Unlock()
				}
			}
		}()
	}
	wg.Wait()
	return first
}

// copyChunk emits the part of one chunk inside the slab, row by row
// along the last dimension.
func (d *Dataset) copyChunk(coord, start, count []int, outStrides []int64, emit func(int, []byte)) error {
	data, err := d.chunk(coord)
	if err != nil {
		return err
	}
	rank, ch, es := len(d.Shape), d.layout.chunk, d.dt.size
	from, to := make([]int, rank), make([]int, rank) // slab coordinates inside this chunk
	for k := range rank {
		c0 := coord[k] * ch[k]
		from[k] = max(start[k], c0)
		to[k] = min(start[k]+count[k], c0+ch[k])
	}
	chStrides := stridesOf(ch)
	idx := append([]int(nil), from...)
	row := to[rank-1] - from[rank-1]
	for {
		src, dst := int64(0), int64(0)
		for k := range rank {
			src += int64(idx[k]-coord[k]*ch[k]) * chStrides[k]
			dst += int64(idx[k]-start[k]) * outStrides[k]
		}
		emit(int(dst), data[src*int64(es):(src+int64(row))*int64(es)])
		k := rank - 2
		for ; k >= 0; k-- {
			idx[k]++
			if idx[k] < to[k] {
				break
			}
			idx[k] = from[k]
		}
		if k < 0 {
			return nil
		}
	}
}

// chunk returns a decoded chunk, through the file's chunk cache; an
// unallocated chunk reads as zeros (the default fill value).
func (d *Dataset) chunk(coord []int) ([]byte, error) {
	n := d.number(coord)
	ref, ok := d.index[n]
	if !ok {
		return make([]byte, d.chunkBytes()), nil
	}
	key := chunkKey{d.addr, n}
	if b := d.f.chunks.get(key); b != nil {
		return b, nil
	}
	b, err := d.decode(ref)
	if err != nil {
		return nil, fmt.Errorf("chunk %v: %w", coord, err)
	}
	d.f.chunks.put(key, b)
	return b, nil
}

// decode reads a chunk and undoes its filters.
func (d *Dataset) decode(ref chunkRef) ([]byte, error) {
	want := d.chunkBytes()
	if ref.size > uint64(want)+(1<<20)+uint64(want/8) && len(d.filters) > 0 || ref.size > 1<<31 {
		return nil, fmt.Errorf("%w: stored chunk of %d bytes for %d", ErrCorrupt, ref.size, want)
	}
	raw, err := d.f.readAt(ref.addr, int(ref.size))
	if err != nil {
		return nil, err
	}
	for i := len(d.filters) - 1; i >= 0; i-- {
		if ref.mask&(1<<i) != 0 {
			continue
		}
		if raw, err = d.unfilter(d.filters[i], raw, want); err != nil {
			return nil, err
		}
	}
	if len(raw) < want {
		return nil, fmt.Errorf("%w: chunk of %d bytes, want %d", ErrCorrupt, len(raw), want)
	}
	return raw[:want], nil
}

func (d *Dataset) unfilter(fl filter, raw []byte, want int) ([]byte, error) {
	switch fl.id {
	case filterDeflate:
		zr, err := zlib.NewReader(bytes.NewReader(raw))
		if err != nil {
			return nil, fmt.Errorf("%w: deflate: %v", ErrCorrupt, err)
		}
		out := make([]byte, want)
		n, err := io.ReadFull(zr, out)
		if err != nil && err != io.ErrUnexpectedEOF {
			return nil, fmt.Errorf("%w: deflate: %v", ErrCorrupt, err)
		}
		return out[:n], nil
	case filterShuffle:
		return unshuffle(raw, d.dt.size), nil
	case filterFletcher32:
		if len(raw) < 4 {
			return nil, fmt.Errorf("%w: Fletcher-32 chunk too short", ErrCorrupt)
		}
		return raw[:len(raw)-4], nil
	}
	return nil, fmt.Errorf("%w: filter %d", ErrUnsupported, fl.id)
}

// unshuffle undoes the byte shuffle: byte j of every element was
// stored in the j-th plane.
func unshuffle(src []byte, size int) []byte {
	n := len(src) / size
	if size <= 1 || n <= 1 {
		return src
	}
	out := make([]byte, len(src))
	if size == 4 { // float32, the common case: one pass over four planes
		p0, p1, p2, p3 := src[:n], src[n:2*n], src[2*n:3*n], src[3*n:4*n]
		o := out[:4*n]
		for i := range p0 {
			binary.LittleEndian.PutUint32(o[4*i:], uint32(p0[i])|uint32(p1[i])<<8|uint32(p2[i])<<16|uint32(p3[i])<<24)
		}
		copy(out[n*size:], src[n*size:])
		return out
	}
	for j := range size {
		plane := src[j*n : (j+1)*n]
		for i, v := range plane {
			out[i*size+j] = v
		}
	}
	copy(out[n*size:], src[n*size:])
	return out
}

// chunkKey names a decoded chunk of a file.
type chunkKey struct {
	dataset uint64
	n       int64
}

// ChunkCacheBytes bounds each open file's decoded chunks: 32 of
// fits2idia's 512×512 float32 tiles, a band of a plane read across them.
const ChunkCacheBytes = 32 << 20

// chunkCache is a byte-bounded LRU of decoded chunks.
type chunkCache struct {
	mu    sync.Mutex
	limit int
	size  int
	ll    *list.List
	items map[chunkKey]*list.Element
}

type chunkEnt struct {
	key  chunkKey
	data []byte
}

func newChunkCache(limit int) *chunkCache {
	return &chunkCache{limit: limit, ll: list.New(), items: map[chunkKey]*list.Element{}}
}

func (c *chunkCache) get(k chunkKey) []byte {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.items[k]; ok {
		c.ll.MoveToFront(e)
		return e.Value.(*chunkEnt).data
	}
	return nil
}

func (c *chunkCache) put(k chunkKey, data []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(data) > c.limit || c.items[k] != nil {
		return
	}
	c.items[k] = c.ll.PushFront(&chunkEnt{k, data})
	c.size += len(data)
	for c.size > c.limit {
		e := c.ll.Back()
		ent := e.Value.(*chunkEnt)
		c.ll.Remove(e)
		delete(c.items, ent.key)
		c.size -= len(ent.data)
	}
}

func (c *chunkCache) clear() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.ll.Init()
	clear(c.items)
	c.size = 0
}
