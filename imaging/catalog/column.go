package catalog

import (
	"encoding/binary"
	"math"
	"strconv"
	"unsafe"
)

// Type is a column's data type; the numbers are the ICD's ColumnType.
type Type uint8

const (
	Unsupported Type = iota
	String
	Uint8
	Int8
	Uint16
	Int16
	Uint32
	Int32
	Uint64
	Int64
	Float
	Double
	Bool
)

// width is the bytes of one value of a numeric type, 0 for the others.
func (t Type) width() int {
	switch t {
	case Uint8, Int8, Bool:
		return 1
	case Uint16, Int16:
		return 2
	case Uint32, Int32, Float:
		return 4
	case Uint64, Int64, Double:
		return 8
	}
	return 0
}

// Column is one field of a table. Numeric and boolean values are held
// as little-endian bytes of their own width (the ICD's binary_data
// layout, so a subset is a copy); strings as one byte slice with end
// offsets. Booleans are one byte, 0 or 1.
type Column struct {
	Name, ID, Description, Unit, UCD string
	Type                             Type

	width int      // Type.width()
	raw   []byte   // numeric values, width bytes each
	sdat  []byte   // string bytes
	send  []uint32 // end of each string in sdat
}

func newColumn(name string, t Type) *Column {
	return &Column{Name: name, Type: t, width: t.width()}
}

// Len is the number of values held (0 for Unsupported columns).
func (c *Column) Len() int {
	if c.Type == String {
		return len(c.send)
	}
	if c.width == 0 {
		return 0
	}
	return len(c.raw) / c.width
}

func (c *Column) bytes() int64 {
	return int64(cap(c.raw) + cap(c.sdat) + 4*cap(c.send))
}

// Float returns value i as a float64: NaN for strings and unsupported
// columns.
func (c *Column) Float(i int) float64 {
	b := c.raw[i*c.width:]
	switch c.Type {
	case Uint8, Bool:
		return float64(b[0])
	case Int8:
		return float64(int8(b[0]))
	case Uint16:
		return float64(binary.LittleEndian.Uint16(b))
	case Int16:
		return float64(int16(binary.LittleEndian.Uint16(b)))
	case Uint32:
		return float64(binary.LittleEndian.Uint32(b))
	case Int32:
		return float64(int32(binary.LittleEndian.Uint32(b)))
	case Uint64:
		return float64(binary.LittleEndian.Uint64(b))
	case Int64:
		return float64(int64(binary.LittleEndian.Uint64(b)))
	case Float:
		return float64(math.Float32frombits(binary.LittleEndian.Uint32(b)))
	case Double:
		return math.Float64frombits(binary.LittleEndian.Uint64(b))
	}
	return math.NaN()
}

// Str returns string value i.
func (c *Column) Str(i int) string {
	return string(c.strBytes(i))
}

func (c *Column) strBytes(i int) []byte {
	start := uint32(0)
	if i > 0 {
		start = c.send[i-1]
	}
	return c.sdat[start:c.send[i]]
}

// appendString appends a string value; invalid for other types.
func (c *Column) appendString(b []byte) {
	c.sdat = append(c.sdat, b...)
	c.send = append(c.send, uint32(len(c.sdat)))
}

// appendNull appends the empty value: NaN for floats, 0 for integers
// and booleans, "" for strings (the reference's DataColumn::SetEmpty).
func (c *Column) appendNull() {
	switch c.Type {
	case String:
		c.appendString(nil)
	case Float:
		c.raw = binary.LittleEndian.AppendUint32(c.raw, math.Float32bits(float32(math.NaN())))
	case Double:
		c.raw = binary.LittleEndian.AppendUint64(c.raw, math.Float64bits(math.NaN()))
	case Unsupported:
	default:
		for range c.width {
			c.raw = append(c.raw, 0)
		}
	}
}

// appendInt appends v converted to the column's type.
func (c *Column) appendInt(v int64) {
	switch c.width {
	case 1:
		c.raw = append(c.raw, byte(v))
	case 2:
		c.raw = binary.LittleEndian.AppendUint16(c.raw, uint16(v))
	case 4:
		if c.Type == Float {
			c.raw = binary.LittleEndian.AppendUint32(c.raw, math.Float32bits(float32(v)))
			return
		}
		c.raw = binary.LittleEndian.AppendUint32(c.raw, uint32(v))
	case 8:
		if c.Type == Double {
			c.raw = binary.LittleEndian.AppendUint64(c.raw, math.Float64bits(float64(v)))
			return
		}
		c.raw = binary.LittleEndian.AppendUint64(c.raw, uint64(v))
	}
}

// appendFloat appends v to a Float or Double column.
func (c *Column) appendFloat(v float64) {
	if c.Type == Float {
		c.raw = binary.LittleEndian.AppendUint32(c.raw, math.Float32bits(float32(v)))
		return
	}
	c.raw = binary.LittleEndian.AppendUint64(c.raw, math.Float64bits(v))
}

// appendText parses a TABLEDATA cell. Unparseable numbers become the
// empty value, as pugixml's as_int/as_double defaults do in the
// reference.
func (c *Column) appendText(b []byte) {
	switch c.Type {
	case Unsupported:
	case String:
		c.appendString(b)
	case Bool:
		c.appendInt(boolText(b))
	case Float, Double:
		v, err := strconv.ParseFloat(unsafeString(trimSpace(b)), 64)
		if err != nil && !isRangeErr(err) {
			v = math.NaN()
		}
		c.appendFloat(v)
	case Uint64:
		v, err := strconv.ParseUint(unsafeString(trimSpace(b)), 10, 64)
		if err != nil {
			v = 0
		}
		c.appendInt(int64(v))
	default:
		c.appendInt(intText(trimSpace(b)))
	}
}

// intText parses a decimal integer fast, falling back to strconv for
// anything unusual (signs, hex, overflow); unparseable text is 0.
func intText(b []byte) int64 {
	if len(b) > 0 && len(b) < 19 {
		var v int64
		ok := true
		for _, ch := range b {
			if ch < '0' || ch > '9' {
				ok = false
				break
			}
			v = v*10 + int64(ch-'0')
		}
		if ok {
			return v
		}
	}
	v, err := strconv.ParseInt(unsafeString(b), 0, 64)
	if err != nil {
		f, ferr := strconv.ParseFloat(unsafeString(b), 64)
		if ferr != nil || math.IsNaN(f) {
			return 0
		}
		return int64(f)
	}
	return v
}

// boolText reads VOTable booleans: T, t, 1, true, y... (pugixml's
// as_bool in the reference looks at the first character).
func boolText(b []byte) int64 {
	b = trimSpace(b)
	if len(b) == 0 {
		return 0
	}
	switch b[0] {
	case '1', 't', 'T', 'y', 'Y':
		return 1
	}
	return 0
}

func isRangeErr(err error) bool {
	ne, ok := err.(*strconv.NumError)
	return ok && ne.Err == strconv.ErrRange
}

func trimSpace(b []byte) []byte {
	for len(b) > 0 && isSpace(b[0]) {
		b = b[1:]
	}
	for len(b) > 0 && isSpace(b[len(b)-1]) {
		b = b[:len(b)-1]
	}
	return b
}

func isSpace(ch byte) bool { return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r' }

// unsafeString views b as a string for parsing calls that do not keep it.
func unsafeString(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(&b[0], len(b))
}

// appendBE appends one big-endian value of the column's width (FITS and
// VOTable BINARY layouts).
func (c *Column) appendBE(b []byte) {
	switch c.width {
	case 1:
		c.raw = append(c.raw, b[0])
	case 2:
		c.raw = binary.LittleEndian.AppendUint16(c.raw, binary.BigEndian.Uint16(b))
	case 4:
		c.raw = binary.LittleEndian.AppendUint32(c.raw, binary.BigEndian.Uint32(b))
	case 8:
		c.raw = binary.LittleEndian.AppendUint64(c.raw, binary.BigEndian.Uint64(b))
	}
}
