package hdf5

import (
	"bytes"
	"fmt"
	"slices"
	"strings"
)

// Attr is an attribute. Value is int64, float64, bool (an enum of one
// byte, as h5py writes numpy booleans) or string for a scalar or
// one-element attribute; []int64, []float64 or []string otherwise.
type Attr struct {
	Name  string
	Value any
}

// maxAttrBytes caps one attribute's data.
const maxAttrBytes = 16 << 20

// Attrs returns the object's attributes in the order stored (header
// messages first, then dense storage by name).
func (o *Object) Attrs() ([]Attr, error) {
	var out []Attr
	for _, m := range o.msgs {
		if m.typ != msgAttribute {
			continue
		}
		a, err := o.f.parseAttr(m.data)
		if err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	if m, ok := o.find(msgAttrInfo); ok {
		dense, err := o.denseAttrs(m.data)
		if err != nil {
			return nil, err
		}
		out = append(out, dense...)
	}
	return out, nil
}

// Attr returns one attribute by name.
func (o *Object) Attr(name string) (Attr, bool, error) {
	attrs, err := o.Attrs()
	if err != nil {
		return Attr{}, false, err
	}
	i := slices.IndexFunc(attrs, func(a Attr) bool { return a.Name == name })
	if i < 0 {
		return Attr{}, false, nil
	}
	return attrs[i], true, nil
}

func (o *Object) denseAttrs(data []byte) ([]Attr, error) {
	f := o.f
	b := f.buf(data)
	b.skip(1)
	if b.u8()&0x01 != 0 {
		b.skip(2)
	}
	heapAddr, index := b.addr(), b.addr()
	if b.err != nil || heapAddr == undef {
		return nil, b.err
	}
	heap, err := f.fractalHeap(heapAddr)
	if err != nil {
		return nil, fmt.Errorf("attribute heap: %w", err)
	}
	tree, err := f.btree2(index)
	if err != nil {
		return nil, fmt.Errorf("attribute index: %w", err)
	}
	var out []Attr
	err = tree.records(func(rec []byte) error {
		if len(rec) < 8 {
			return fmt.Errorf("%w: attribute record of %d bytes", ErrCorrupt, len(rec))
		}
		msg, err := heap.get(rec[:8])
		if err != nil {
			return err
		}
		a, err := f.parseAttr(msg)
		out = append(out, a)
		return err
	})
	slices.SortStableFunc(out, func(a, b Attr) int { return strings.Compare(a.Name, b.Name) })
	return out, err
}

// parseAttr decodes an attribute message (versions 1 to 3).
func (f *File) parseAttr(data []byte) (Attr, error) {
	b := f.buf(data)
	v := b.u8()
	b.skip(1)
	nameLen, dtLen, dsLen := int(b.u16()), int(b.u16()), int(b.u16())
	pad := func(n int) int { return n }
	switch v {
	case 1:
		pad = func(n int) int { return (n + 7) &^ 7 }
	case 2:
	case 3:
		b.skip(1)
	default:
		return Attr{}, fmt.Errorf("%w: attribute message version %d", ErrUnsupported, v)
	}
	name := b.bytes(pad(nameLen))
	dtRaw := b.bytes(pad(dtLen))
	dsRaw := b.bytes(pad(dsLen))
	if b.err != nil {
		return Attr{}, fmt.Errorf("attribute: %w", b.err)
	}
	name = name[:min(nameLen, len(name))]
	if i := bytes.IndexByte(name, 0); i >= 0 {
		name = name[:i]
	}
	a := Attr{Name: string(name)}
	dt, _, err := parseDatatype(dtRaw[:dtLen], 0)
	if err != nil {
		return a, fmt.Errorf("attribute %q: %w", a.Name, err)
	}
	ds, err := parseDataspace(dsRaw[:dsLen], f.lenSize)
	if err != nil {
		return a, fmt.Errorf("attribute %q: %w", a.Name, err)
	}
	a.Value, err = f.attrValue(dt, ds, b.rest())
	if err != nil {
		return a, fmt.Errorf("attribute %q: %w", a.Name, err)
	}
	return a, nil
}

// attrValue converts an attribute's data.
func (f *File) attrValue(dt datatype, ds dataspace, raw []byte) (any, error) {
	n, err := ds.count()
	if err != nil {
		return nil, err
	}
	if n > maxAttrBytes || n*uint64(dt.size) > uint64(len(raw)) {
		return nil, fmt.Errorf("%w: %d values of %d bytes in %d", ErrCorrupt, n, dt.size, len(raw))
	}
	if n == 0 {
		return nil, nil
	}
	switch {
	case dt.class == ClassEnum && dt.base.size == 1 && n == 1:
		return raw[0] != 0, nil
	case dt.class == ClassFloat:
		vals := make([]float64, n)
		for i := range vals {
			vals[i] = dt.float(raw[i*dt.size:])
		}
		return one(vals), nil
	case dt.numeric():
		vals := make([]int64, n)
		for i := range vals {
			vals[i] = dt.int(raw[i*dt.size:])
		}
		return one(vals), nil
	case dt.class == ClassString:
		vals := make([]string, n)
		for i := range vals {
			vals[i] = cString(raw[i*dt.size : (i+1)*dt.size])
		}
		return one(vals), nil
	case dt.vlenStr:
		return f.vlenStrings(dt, n, raw)
	}
	return nil, fmt.Errorf("%w: attribute of class %d", ErrUnsupported, dt.class)
}

// vlenStrings reads variable-length strings from the global heap.
func (f *File) vlenStrings(dt datatype, n uint64, raw []byte) (any, error) {
	vals := make([]string, n)
	b := f.buf(raw)
	for i := range vals {
		b.u32() // length
		addr, idx := b.addr(), b.u32()
		if b.err != nil {
			return nil, b.err
		}
		if addr == 0 || addr == undef {
			continue
		}
		s, err := f.globalObject(addr, idx)
		if err != nil {
			return nil, err
		}
		vals[i] = cString(s)
	}
	return one(vals), nil
}

// cString cuts a fixed-length string at its first NUL.
func cString(b []byte) string {
	if i := bytes.IndexByte(b, 0); i >= 0 {
		b = b[:i]
	}
	return string(b)
}

func one[T any](vals []T) any {
	if len(vals) == 1 {
		return vals[0]
	}
	return vals
}
