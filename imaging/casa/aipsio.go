package casa

import (
	"encoding/binary"
	"fmt"
	"math"
)

// AipsIO framing (casacore casa/IO/AipsIO.cc): the outermost object
// starts with a magic number; every object is its length (uint32, the
// bytes from the length on), its type name and a version.
const (
	aipsMagic = 0xbebebebe
	// maxDepth bounds nested objects and records; casacore images nest a
	// handful of levels.
	maxDepth = 32
	// maxElements caps one array or string read from a header, well above
	// what an image's keywords hold.
	maxElements = 1 << 24
)

// decoder reads canonical AipsIO values from b. The first error sticks:
// later reads return zero values, so parsers check err once at the end
// of a step.
type decoder struct {
	b     []byte
	pos   int
	err   error
	depth int
	ends  []int // end offset of each open object
}

func newDecoder(b []byte) *decoder { return &decoder{b: b} }

func (d *decoder) fail(format string, args ...any) {
	if d.err == nil {
		d.err = fmt.Errorf("%w: at byte %d: %s", ErrFormat, d.pos, fmt.Sprintf(format, args...))
	}
}

// limit is where the innermost open object ends.
func (d *decoder) limit() int {
	if n := len(d.ends); n > 0 {
		return d.ends[n-1]
	}
	return len(d.b)
}

// take returns the next n bytes, or nil after an error.
func (d *decoder) take(n int) []byte {
	if d.err != nil {
		return nil
	}
	if n < 0 || n > d.limit()-d.pos {
		d.fail("%d bytes needed, %d left", n, d.limit()-d.pos)
		return nil
	}
	p := d.b[d.pos : d.pos+n]
	d.pos += n
	return p
}

func (d *decoder) u32() uint32 {
	if p := d.take(4); p != nil {
		return binary.BigEndian.Uint32(p)
	}
	return 0
}

func (d *decoder) i32() int32 { return int32(d.u32()) }

func (d *decoder) u64() uint64 {
	if p := d.take(8); p != nil {
		return binary.BigEndian.Uint64(p)
	}
	return 0
}

func (d *decoder) u8() byte {
	if p := d.take(1); p != nil {
		return p[0]
	}
	return 0
}

func (d *decoder) bool() bool { return d.u8() != 0 }

func (d *decoder) f32() float32 { return math.Float32frombits(d.u32()) }

func (d *decoder) f64() float64 { return math.Float64frombits(d.u64()) }

// count reads an element count and checks that at least size bytes per
// element are left, so a bad count never allocates.
func (d *decoder) count(size int) int {
	n := d.u32()
	if d.err != nil {
		return 0
	}
	if n > maxElements || int(n)*size > d.limit()-d.pos {
		d.fail("count %d too large", n)
		return 0
	}
	return int(n)
}

func (d *decoder) str() string {
	n := d.count(1)
	return string(d.take(n))
}

// magic reads the magic number that opens a file.
func (d *decoder) magic() {
	if v := d.u32(); d.err == nil && v != aipsMagic {
		d.fail("no AipsIO magic number (%#x)", v)
	}
}

// peekType returns the type name of the object starting here.
func (d *decoder) peekType() string {
	save := *d
	save.ends = append([]int(nil), d.ends...)
	save.u32()
	t := save.str()
	if save.err != nil {
		return ""
	}
	return t
}

// start opens an object of type want and returns its version.
func (d *decoder) start(want string) uint32 {
	at := d.pos
	n := d.u32()
	typ := d.str()
	vers := d.u32()
	if d.err != nil {
		return 0
	}
	if typ != want {
		d.fail("object %q where %q belongs", typ, want)
		return 0
	}
	if n < 4 || int(n) > d.limit()-at {
		d.fail("object %q length %d overruns its container", typ, n)
		return 0
	}
	if len(d.ends) >= maxDepth {
		d.fail("objects nested deeper than %d", maxDepth)
		return 0
	}
	d.ends = append(d.ends, at+int(n))
	return vers
}

// end closes the innermost object, skipping what was not read of it.
func (d *decoder) end() {
	if d.err != nil || len(d.ends) == 0 {
		return
	}
	d.pos = d.ends[len(d.ends)-1]
	d.ends = d.ends[:len(d.ends)-1]
}

// ipos reads an IPosition (a shape).
func (d *decoder) ipos() []int {
	vers := d.start("IPosition")
	var out []int
	switch vers {
	case 1:
		n := d.count(4)
		out = make([]int, n)
		for i := range out {
			out[i] = int(d.i32())
		}
	case 2:
		n := d.count(8)
		out = make([]int, n)
		for i := range out {
			v := int64(d.u64())
			if v > 1<<40 || v < -1 {
				d.fail("IPosition value %d out of range", v)
			}
			out[i] = int(v)
		}
	default:
		if d.err == nil {
			d.fail("IPosition version %d", vers)
		}
	}
	d.end()
	return out
}
