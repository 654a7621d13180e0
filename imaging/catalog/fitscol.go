package catalog

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math"
	"strconv"
	"strings"

	"cartago/imaging/fits"
)

// tformSize is the bytes of one element per TFORM letter (X is bits).
var tformSize = map[byte]int{
	'L': 1, 'X': 0, 'B': 1, 'I': 2, 'J': 4, 'K': 8, 'A': 1, 'E': 4, 'D': 8, 'C': 8, 'M': 16, 'P': 8, 'Q': 16,
}

// parseTFORM reads "rT..." (repeat, type letter).
func parseTFORM(s string) (repeat int, code byte, err error) {
	s = strings.TrimSpace(s)
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	if i == len(s) {
		return 0, 0, fmt.Errorf("TFORM %q has no type", s)
	}
	repeat = 1
	if i > 0 {
		repeat, err = strconv.Atoi(s[:i])
		if err != nil || repeat > 1<<28 {
			return 0, 0, fmt.Errorf("TFORM %q: bad repeat", s)
		}
	}
	code = s[i]
	if _, ok := tformSize[code]; !ok {
		return 0, 0, fmt.Errorf("TFORM %q: unknown type %q", s, code)
	}
	return repeat, code, nil
}

// newFITSCol reads column i's keywords. Types follow the reference
// (Columns.cc ColumnFromFitsType via cfitsio): L is Bool, B Uint8, I
// Int16, J Int32, K Int64, E Float, D Double, A a string; the unsigned
// TZERO conventions give Int8, Uint16, Uint32 and Uint64; arrays, bits
// and complex numbers are Unsupported. We differ in applying TSCAL and
// TZERO (the reference shows stored values): a scaled integer column,
// or one with TNULL, is Double, with NaN for nulls.
func newFITSCol(h *fits.Header, i, off int) (*fitsCol, error) {
	n := strconv.Itoa(i)
	form, _ := h.String("TFORM" + n)
	repeat, code, err := parseTFORM(form)
	if err != nil {
		return nil, fmt.Errorf("%w: column %d: %v", ErrBadFile, i, err)
	}
	fc := &fitsCol{off: off, code: code, scale: 1}
	fc.width = repeat * tformSize[code]
	if code == 'X' {
		fc.width = (repeat + 7) / 8
	}
	name, _ := h.String("TTYPE" + n)
	if v, ok := h.Float("TSCAL" + n); ok {
		fc.scale = v
	}
	fc.zero, _ = h.Float("TZERO" + n)
	fc.tnull, fc.hasNull = h.Int("TNULL" + n)
	fc.col = newColumn(strings.TrimSpace(name), fc.columnType(repeat))
	describeColumn(fc.col, h, n)
	return fc, nil
}

// describeColumn sets c's unit, description and UCD from the keywords
// of column n (TCOMMn and TUCDn for VOTable compatibility, as the
// reference reads them).
func describeColumn(c *Column, h *fits.Header, n string) {
	unit, _ := h.String("TUNIT" + n)
	c.Unit = strings.TrimSpace(unit)
	descr, _ := h.String("TCOMM" + n)
	c.Description = strings.TrimSpace(descr)
	ucd, _ := h.String("TUCD" + n)
	c.UCD = strings.TrimSpace(ucd)
}

func (fc *fitsCol) columnType(repeat int) Type {
	if fc.code == 'A' {
		return String
	}
	if repeat != 1 {
		return Unsupported
	}
	unsigned := map[byte]float64{'B': -128, 'I': 1 << 15, 'J': 1 << 31, 'K': 1 << 63}
	switch fc.code {
	case 'L':
		return Bool
	case 'E', 'D':
		fc.scaled = fc.scale != 1 || fc.zero != 0
		return map[byte]Type{'E': Float, 'D': Double}[fc.code]
	case 'B', 'I', 'J', 'K':
		if fc.scale == 1 && fc.zero == unsigned[fc.code] && !fc.hasNull {
			fc.flip = true
			return map[byte]Type{'B': Int8, 'I': Uint16, 'J': Uint32, 'K': Uint64}[fc.code]
		}
		if fc.scale != 1 || fc.zero != 0 || fc.hasNull {
			fc.scaled = true
			return Double
		}
		return map[byte]Type{'B': Uint8, 'I': Int16, 'J': Int32, 'K': Int64}[fc.code]
	}
	return Unsupported
}

// decode appends the value of one row's bytes of the column.
func (fc *fitsCol) decode(b []byte) {
	c := fc.col
	switch {
	case c.Type == Unsupported:
	case c.Type == String:
		if i := bytes.IndexByte(b, 0); i >= 0 {
			b = b[:i]
		}
		c.appendString(bytes.TrimRight(b, " "))
	case c.Type == Bool:
		v := int64(0)
		if b[0] == 'T' {
			v = 1
		}
		c.appendInt(v)
	case fc.flip:
		c.appendBE(flipSign(b))
	case fc.scaled && (fc.code == 'E' || fc.code == 'D'):
		c.appendFloat(beFloat(b)*fc.scale + fc.zero)
	case fc.scaled:
		v := beInt(b)
		if fc.hasNull && v == fc.tnull {
			c.appendFloat(math.NaN())
			return
		}
		c.appendFloat(float64(v)*fc.scale + fc.zero)
	default:
		c.appendBE(b)
	}
}

// flipSign turns the offset-stored unsigned (or signed byte) value into
// the plain big-endian value of the column's type.
func flipSign(b []byte) []byte {
	var tmp [8]byte
	copy(tmp[:], b)
	tmp[0] ^= 0x80
	return tmp[:len(b)]
}

func beInt(b []byte) int64 {
	switch len(b) {
	case 1:
		return int64(b[0])
	case 2:
		return int64(int16(binary.BigEndian.Uint16(b)))
	case 4:
		return int64(int32(binary.BigEndian.Uint32(b)))
	}
	return int64(binary.BigEndian.Uint64(b))
}

func beFloat(b []byte) float64 {
	if len(b) == 4 {
		return float64(math.Float32frombits(binary.BigEndian.Uint32(b)))
	}
	return math.Float64frombits(binary.BigEndian.Uint64(b))
}
