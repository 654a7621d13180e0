package hdf5

import (
	"fmt"
	"slices"
	"strings"
)

// Link is a named hard link from a group to an object.
type Link struct {
	Name string
	Addr uint64
}

// Links lists a group's hard links, sorted by name (soft and external
// links are left out).
func (o *Object) Links() ([]Link, error) {
	var links []Link
	if m, ok := o.find(msgSymbolTable); ok {
		l, err := o.symbolTable(m.data)
		if err != nil {
			return nil, err
		}
		links = l
	}
	for _, m := range o.msgs {
		if m.typ != msgLink {
			continue
		}
		l, ok, err := o.f.parseLink(m.data)
		if err != nil {
			return nil, err
		}
		if ok {
			links = append(links, l)
		}
	}
	if m, ok := o.find(msgLinkInfo); ok {
		l, err := o.denseLinks(m.data)
		if err != nil {
			return nil, err
		}
		links = append(links, l...)
	}
	slices.SortFunc(links, func(a, b Link) int { return strings.Compare(a.Name, b.Name) })
	return links, nil
}

// symbolTable lists an old-style group: a v1 B-tree of symbol nodes
// whose names live in a local heap.
func (o *Object) symbolTable(data []byte) ([]Link, error) {
	f := o.f
	b := f.buf(data)
	tree, heapAddr := b.addr(), b.addr()
	if b.err != nil {
		return nil, b.err
	}
	heap, err := f.localHeap(heapAddr)
	if err != nil {
		return nil, fmt.Errorf("group heap: %w", err)
	}
	var links []Link
	err = f.walkBtree1(tree, btreeGroup, f.lenSize, func(_ []byte, snod uint64) error {
		l, err := f.symbolNode(snod, heap)
		links = append(links, l...)
		if len(links) > maxObjects {
			return fmt.Errorf("%w: group with more than %d links", ErrCorrupt, maxObjects)
		}
		return err
	})
	return links, err
}

// symbolNode reads the entries of one SNOD.
func (f *File) symbolNode(addr uint64, heap localHeap) ([]Link, error) {
	head, err := f.readMeta(addr, 8)
	if err != nil {
		return nil, err
	}
	b := f.buf(head)
	b.sig("SNOD")
	b.skip(2)
	n := int(b.u16())
	if b.err != nil {
		return nil, b.err
	}
	entry := 2*f.offSize + 24
	data, err := f.readMeta(addr+8, uint64(n*entry))
	if err != nil {
		return nil, err
	}
	b = f.buf(data)
	links := make([]Link, 0, n)
	for range n {
		nameOff, obj := b.addr(), b.addr()
		cacheType := b.u32()
		b.skip(20)
		if obj == undef || cacheType == 2 {
			continue // a soft link (its target is a path in the scratch pad)
		}
		name, err := heap.name(nameOff)
		if err != nil {
			return nil, err
		}
		links = append(links, Link{Name: name, Addr: obj})
	}
	return links, b.err
}

// parseLink decodes a link message; ok is false for soft and external
// links.
func (f *File) parseLink(data []byte) (Link, bool, error) {
	b := f.buf(data)
	if v := b.u8(); v != 1 && b.err == nil {
		return Link{}, false, fmt.Errorf("%w: link message version %d", ErrUnsupported, v)
	}
	flags := b.u8()
	typ := uint8(0)
	if flags&0x08 != 0 {
		typ = b.u8()
	}
	if flags&0x04 != 0 {
		b.skip(8)
	}
	if flags&0x10 != 0 {
		b.skip(1)
	}
	n := b.uN(1 << (flags & 3))
	if n > uint64(len(data)) {
		return Link{}, false, fmt.Errorf("%w: link name of %d bytes", ErrCorrupt, n)
	}
	name := string(b.bytes(int(n)))
	if typ != 0 {
		return Link{}, false, b.err
	}
	addr := b.addr()
	return Link{Name: name, Addr: addr}, b.err == nil, b.err
}

// denseLinks lists links kept in a fractal heap, found through the
// name index (records: hash, heap ID).
func (o *Object) denseLinks(data []byte) ([]Link, error) {
	f := o.f
	b := f.buf(data)
	b.skip(1)
	if b.u8()&0x01 != 0 {
		b.skip(8)
	}
	heapAddr, index := b.addr(), b.addr()
	if b.err != nil || heapAddr == undef {
		return nil, b.err
	}
	heap, err := f.fractalHeap(heapAddr)
	if err != nil {
		return nil, fmt.Errorf("link heap: %w", err)
	}
	tree, err := f.btree2(index)
	if err != nil {
		return nil, fmt.Errorf("link index: %w", err)
	}
	var links []Link
	err = tree.records(func(rec []byte) error {
		if len(rec) < 5 {
			return fmt.Errorf("%w: link record of %d bytes", ErrCorrupt, len(rec))
		}
		msg, err := heap.get(rec[4:])
		if err != nil {
			return err
		}
		l, ok, err := f.parseLink(msg)
		if ok {
			links = append(links, l)
		}
		return err
	})
	return links, err
}

// Open returns the object at a slash-separated path from the root
// group ("0/DATA").
func (f *File) Open(path string) (*Object, error) {
	o, err := f.object(f.rootAddr)
	if err != nil {
		return nil, fmt.Errorf("hdf5: %s: root group: %w", f.path, err)
	}
	for _, part := range strings.Split(path, "/") {
		if part == "" {
			continue
		}
		next, err := o.Child(part)
		if err != nil {
			return nil, fmt.Errorf("hdf5: %s: %s: %w", f.path, path, err)
		}
		o = next
	}
	return o, nil
}

// Child returns the object a group links to under name.
func (o *Object) Child(name string) (*Object, error) {
	if !o.IsGroup() {
		return nil, fmt.Errorf("%w: %q: parent is not a group", ErrNotFound, name)
	}
	links, err := o.Links()
	if err != nil {
		return nil, err
	}
	i, ok := slices.BinarySearchFunc(links, name, func(l Link, n string) int { return strings.Compare(l.Name, n) })
	if !ok {
		return nil, fmt.Errorf("%w: %q", ErrNotFound, name)
	}
	if links[i].Addr == o.addr {
		return nil, fmt.Errorf("%w: %q links to its parent", ErrCorrupt, name)
	}
	return o.f.object(links[i].Addr)
}
