package hdf5

import (
	"encoding/binary"
	"fmt"
	"math"
)

// Class is a datatype class.
type Class uint8

// Datatype classes read here.
const (
	ClassInt    Class = 0
	ClassFloat  Class = 1
	ClassString Class = 3
	ClassEnum   Class = 8
	ClassVlen   Class = 9
)

// datatype is a parsed datatype message.
type datatype struct {
	class     Class
	size      int
	bigEndian bool
	signed    bool
	vlenStr   bool      // variable-length string
	base      *datatype // of an enum
}

func parseDatatype(data []byte, depth int) (datatype, int, error) {
	if depth > 4 {
		return datatype{}, 0, fmt.Errorf("%w: nested datatype", ErrCorrupt)
	}
	if len(data) < 8 {
		return datatype{}, 0, fmt.Errorf("%w: datatype of %d bytes", ErrCorrupt, len(data))
	}
	dt := datatype{class: Class(data[0] & 0x0f), size: int(le32(data[4:8]))}
	bits0 := data[1]
	n := 8
	switch dt.class {
	case ClassInt:
		dt.bigEndian, dt.signed = bits0&1 != 0, bits0&0x08 != 0
		n += 4
	case ClassFloat:
		if bits0&0x40 != 0 {
			return dt, 0, fmt.Errorf("%w: VAX float order", ErrUnsupported)
		}
		dt.bigEndian = bits0&1 != 0
		n += 12
	case ClassString:
	case ClassEnum:
		base, m, err := parseDatatype(data[8:], depth+1)
		if err != nil {
			return dt, 0, err
		}
		if base.class != ClassInt {
			return dt, 0, fmt.Errorf("%w: enum of class %d", ErrUnsupported, base.class)
		}
		dt.base = &base
		n += m // names and values follow; the size of the message bounds them
		return dt, len(data), nil
	case ClassVlen:
		if bits0&0x0f != 1 {
			return dt, 0, fmt.Errorf("%w: variable-length sequence", ErrUnsupported)
		}
		dt.vlenStr = true
		_, m, err := parseDatatype(data[8:], depth+1)
		if err != nil {
			return dt, 0, err
		}
		n += m
	default:
		return dt, 0, fmt.Errorf("%w: datatype class %d", ErrUnsupported, dt.class)
	}
	if dt.size <= 0 || dt.size > 1<<16 || n > len(data) {
		return dt, 0, fmt.Errorf("%w: datatype size %d", ErrCorrupt, dt.size)
	}
	if (dt.class == ClassInt && dt.size > 8) || (dt.class == ClassFloat && dt.size != 4 && dt.size != 8) {
		return dt, 0, fmt.Errorf("%w: %d-byte numbers of class %d", ErrUnsupported, dt.size, dt.class)
	}
	return dt, n, nil
}

// nativeFloat32 reports whether elements are float32 in this machine's
// byte order, so they can be read without conversion.
func (dt datatype) nativeFloat32() bool {
	return dt.class == ClassFloat && dt.size == 4 && dt.bigEndian == bigEndianHost
}

// bigEndianHost is this machine's byte order.
var bigEndianHost = binary.NativeEndian.Uint16([]byte{0, 1}) == 1

// numeric reports whether values convert to numbers.
func (dt datatype) numeric() bool {
	return dt.class == ClassInt || dt.class == ClassFloat || dt.class == ClassEnum
}

func (dt datatype) order() binary.ByteOrder {
	if dt.bigEndian {
		return binary.BigEndian
	}
	return binary.LittleEndian
}

// float converts one element.
func (dt datatype) float(b []byte) float64 {
	if dt.class == ClassEnum {
		return float64(dt.base.int(b))
	}
	if dt.class == ClassInt {
		if !dt.signed {
			return float64(dt.uint(b))
		}
		return float64(dt.int(b))
	}
	if dt.size == 4 {
		return float64(math.Float32frombits(dt.order().Uint32(b)))
	}
	return math.Float64frombits(dt.order().Uint64(b))
}

func (dt datatype) uint(b []byte) uint64 {
	var v uint64
	for i := range dt.size {
		k := i
		if !dt.bigEndian {
			k = dt.size - 1 - i
		}
		v = v<<8 | uint64(b[k])
	}
	return v
}

// int converts one integer element (sign-extended when signed).
func (dt datatype) int(b []byte) int64 {
	if dt.class == ClassEnum {
		return dt.base.int(b)
	}
	if dt.class == ClassFloat {
		return int64(dt.float(b))
	}
	v := dt.uint(b)
	if dt.signed && dt.size < 8 && v&(1<<(8*dt.size-1)) != 0 {
		v |= ^uint64(0) << (8 * dt.size)
	}
	return int64(v)
}

// float32s converts a run of elements into dst.
func (dt datatype) float32s(dst []float32, src []byte) {
	if dt.class == ClassFloat && dt.size == 4 {
		o := dt.order()
		for i := range dst {
			dst[i] = math.Float32frombits(o.Uint32(src[4*i:]))
		}
		return
	}
	for i := range dst {
		dst[i] = float32(dt.float(src[i*dt.size:]))
	}
}

// dataspace is a parsed dataspace message; a scalar has no dims.
type dataspace struct {
	dims []uint64
	max  []uint64 // maximum dims (undef: unlimited); nil when not stored
	null bool
}

func parseDataspace(data []byte, lenSize int) (dataspace, error) {
	b := &buf{b: data, lenSize: lenSize}
	v := b.u8()
	rank := int(b.u8())
	flags := b.u8()
	var ds dataspace
	switch v {
	case 1:
		b.skip(5)
	case 2:
		ds.null = b.u8() == 2
	default:
		return ds, fmt.Errorf("%w: dataspace version %d", ErrUnsupported, v)
	}
	if rank > 32 {
		return ds, fmt.Errorf("%w: rank %d", ErrCorrupt, rank)
	}
	for range rank {
		ds.dims = append(ds.dims, b.length())
	}
	if flags&1 != 0 { // chunk indices of resizable datasets are laid out over the maximum dims
		for range rank {
			m := b.uN(lenSize)
			if lenSize < 8 && m == 1<<(8*lenSize)-1 {
				m = undef
			}
			ds.max = append(ds.max, m)
		}
	}
	return ds, b.err
}

// count is the number of elements (1 for a scalar), or an error when
// it overflows.
func (ds dataspace) count() (uint64, error) {
	if ds.null {
		return 0, nil
	}
	n := uint64(1)
	for _, d := range ds.dims {
		if d != 0 && n > math.MaxInt64/d {
			return 0, fmt.Errorf("%w: dataspace too large", ErrCorrupt)
		}
		n *= d
	}
	return n, nil
}
