package casa

import (
	"fmt"
	"strings"
)

// dataType is casacore's DataType enum (casa/Utilities/DataType.h), as
// stored in record and column descriptions.
type dataType int32

const (
	tpBool dataType = iota
	tpChar
	tpUChar
	tpShort
	tpUShort
	tpInt
	tpUInt
	tpFloat
	tpDouble
	tpComplex
	tpDComplex
	tpString
	tpTable
	tpArrayBool
	tpArrayChar
	tpArrayUChar
	tpArrayShort
	tpArrayUShort
	tpArrayInt
	tpArrayUInt
	tpArrayFloat
	tpArrayDouble
	tpArrayComplex
	tpArrayDComplex
	tpArrayString
	tpRecord
	tpOther
	tpQuantity
	tpArrayQuantity
	tpInt64
	tpArrayInt64
)

// Record is a casacore (Table)Record: named fields in order.
type Record struct {
	Fields []Field
	index  map[string]int // field by name, for records of many fields
}

// Field is one value of a record. Value is a bool, int64, float64,
// complex128, string, *Record, Array, or TableRef.
type Field struct {
	Name  string
	Value any
}

// Array is an array value in Fortran order; Values is a []bool,
// []int64, []float64, []complex128 or []string.
type Array struct {
	Shape  []int
	Values any
}

// TableRef names a sub-table, relative to the table holding the keyword.
type TableRef string

// Get returns the value of the field named name.
func (r *Record) Get(name string) (any, bool) {
	if r == nil {
		return nil, false
	}
	if r.index != nil {
		if i, ok := r.index[name]; ok {
			return r.Fields[i].Value, true
		}
		return nil, false
	}
	for _, f := range r.Fields {
		if f.Name == name {
			return f.Value, true
		}
	}
	return nil, false
}

// Sub returns the sub-record named name, or nil.
func (r *Record) Sub(name string) *Record {
	v, _ := r.Get(name)
	s, _ := v.(*Record)
	return s
}

// String returns a string field.
func (r *Record) String(name string) (string, bool) {
	v, _ := r.Get(name)
	s, ok := v.(string)
	return s, ok
}

// Float returns a numeric scalar field as float64.
func (r *Record) Float(name string) (float64, bool) {
	v, _ := r.Get(name)
	switch x := v.(type) {
	case float64:
		return x, true
	case int64:
		return float64(x), true
	}
	return 0, false
}

// Floats returns a numeric array field, flattened, as float64.
func (r *Record) Floats(name string) ([]float64, bool) {
	v, _ := r.Get(name)
	a, ok := v.(Array)
	if !ok {
		return nil, false
	}
	switch x := a.Values.(type) {
	case []float64:
		return x, true
	case []int64:
		out := make([]float64, len(x))
		for i, n := range x {
			out[i] = float64(n)
		}
		return out, true
	}
	return nil, false
}

// Strings returns a string array field, flattened.
func (r *Record) Strings(name string) ([]string, bool) {
	v, _ := r.Get(name)
	a, ok := v.(Array)
	if !ok {
		return nil, false
	}
	s, ok := a.Values.([]string)
	return s, ok
}

// Quantity reads a casacore quantity record {value, unit}.
func (r *Record) Quantity(name string) (value float64, unit string, ok bool) {
	q := r.Sub(name)
	if q == nil {
		return 0, "", false
	}
	value, ok = q.Float("value")
	unit, _ = q.String("unit")
	return value, unit, ok
}

// fieldDesc is one entry of a RecordDesc.
type fieldDesc struct {
	name string
	typ  dataType
	sub  []fieldDesc
}

// recordDesc reads a RecordDesc object (casa/Containers/RecordDesc.cc).
func (d *decoder) recordDesc() []fieldDesc {
	vers := d.start("RecordDesc")
	if d.err == nil && vers != 1 && vers != 2 {
		d.fail("RecordDesc version %d", vers)
	}
	n := d.count(8)
	var out []fieldDesc
	for i := 0; i < n && d.err == nil; i++ {
		f := fieldDesc{name: d.str(), typ: dataType(d.i32())}
		switch {
		case f.typ == tpRecord:
			f.sub = d.recordDesc()
		case isArray(f.typ):
			d.ipos()
		case f.typ == tpTable:
			d.str() // name of the table description
		}
		if vers >= 2 {
			d.str() // comment
		}
		out = append(out, f)
	}
	d.end()
	return out
}

func isArray(t dataType) bool {
	return (t >= tpArrayBool && t <= tpArrayString) || t == tpArrayInt64
}

// record reads a "Record" or "TableRecord" object with its description.
func (d *decoder) record() *Record {
	if d.depth >= maxDepth {
		d.fail("records nested deeper than %d", maxDepth)
		return nil
	}
	d.depth++
	defer func() { d.depth-- }()
	typ := d.peekType()
	if typ != "Record" && typ != "TableRecord" {
		d.fail("record object is %q", typ)
		return nil
	}
	if vers := d.start(typ); d.err == nil && vers != 1 {
		d.fail("%s version %d", typ, vers)
	}
	desc := d.recordDesc()
	d.i32() // record type: fixed or variable
	r := d.recordData(desc)
	d.end()
	return r
}

// recordData reads the values of the fields desc describes; a
// sub-record with an empty description is a whole record object.
func (d *decoder) recordData(desc []fieldDesc) *Record {
	r := &Record{Fields: make([]Field, 0, len(desc))}
	for _, f := range desc {
		if d.err != nil {
			return r
		}
		var v any
		switch {
		case f.typ == tpRecord && len(f.sub) == 0:
			v = d.record()
		case f.typ == tpRecord:
			if d.depth >= maxDepth {
				d.fail("records nested deeper than %d", maxDepth)
				return r
			}
			d.depth++
			v = d.recordData(f.sub)
			d.depth--
		case f.typ == tpTable:
			v = TableRef(d.str())
		case isArray(f.typ):
			v = d.array(f.typ)
		default:
			v = d.scalar(f.typ)
		}
		r.Fields = append(r.Fields, Field{Name: f.name, Value: v})
	}
	if len(r.Fields) > 16 {
		// Lookups by name stay cheap however many fields a hostile
		// file gives a record (the first of a name wins, as in a scan).
		r.index = make(map[string]int, len(r.Fields))
		for i := len(r.Fields) - 1; i >= 0; i-- {
			r.index[r.Fields[i].Name] = i
		}
	}
	return r
}

// scalar reads one value of a scalar type.
func (d *decoder) scalar(t dataType) any {
	switch t {
	case tpBool:
		return d.bool()
	case tpChar, tpUChar:
		return int64(d.u8())
	case tpShort:
		p := d.take(2)
		if p == nil {
			return int64(0)
		}
		return int64(int16(uint16(p[0])<<8 | uint16(p[1])))
	case tpUShort:
		p := d.take(2)
		if p == nil {
			return int64(0)
		}
		return int64(uint16(p[0])<<8 | uint16(p[1]))
	case tpInt:
		return int64(d.i32())
	case tpUInt:
		return int64(d.u32())
	case tpInt64:
		return int64(d.u64())
	case tpFloat:
		return float64(d.f32())
	case tpDouble:
		return d.f64()
	case tpComplex:
		re := d.f32()
		return complex(float64(re), float64(d.f32()))
	case tpDComplex:
		re := d.f64()
		return complex(re, d.f64())
	case tpString:
		return d.str()
	}
	d.fail("field of data type %d", t)
	return nil
}

// array reads an Array object: its shape, a count and the values.
func (d *decoder) array(t dataType) Array {
	typ := d.peekType()
	if typ != "Array" && !strings.HasPrefix(typ, "Array<") {
		d.fail("array object is %q", typ)
		return Array{}
	}
	vers := d.start(typ)
	ndim := d.count(4)
	if vers < 3 {
		d.take(4 * ndim) // origin, discarded
	}
	shape := make([]int, ndim)
	total := 1
	for i := range shape {
		shape[i] = int(d.u32())
		if shape[i] > maxElements || total*max(shape[i], 1) > maxElements {
			d.fail("array shape too large")
			return Array{}
		}
		total *= max(shape[i], 1)
	}
	n := d.count(0)
	if d.err == nil && ndim > 0 && n != product(shape) {
		d.fail("array of %v holds %d values", shape, n)
	}
	a := Array{Shape: shape, Values: d.values(t, n)}
	d.end()
	return a
}

// values reads n array elements of type t.
func (d *decoder) values(t dataType, n int) any {
	need := map[dataType]int{tpArrayBool: 0, tpArrayChar: 1, tpArrayUChar: 1, tpArrayShort: 2, tpArrayUShort: 2,
		tpArrayInt: 4, tpArrayUInt: 4, tpArrayInt64: 8, tpArrayFloat: 4, tpArrayDouble: 8,
		tpArrayComplex: 8, tpArrayDComplex: 16, tpArrayString: 4}[t]
	if n*need > d.limit()-d.pos || (t == tpArrayBool && (n+7)/8 > d.limit()-d.pos) {
		d.fail("%d array values do not fit", n)
		return nil
	}
	switch t {
	case tpArrayBool:
		bits := d.take((n + 7) / 8)
		out := make([]bool, n)
		for i := range out {
			out[i] = bits != nil && bits[i/8]&(1<<(i%8)) != 0
		}
		return out
	case tpArrayFloat, tpArrayDouble:
		out := make([]float64, n)
		for i := range out {
			out[i] = d.scalar(t - tpArrayBool).(float64)
		}
		return out
	case tpArrayComplex, tpArrayDComplex:
		out := make([]complex128, n)
		for i := range out {
			out[i] = d.scalar(t - tpArrayBool).(complex128)
		}
		return out
	case tpArrayString:
		out := make([]string, n)
		for i := range out {
			out[i] = d.str()
		}
		return out
	case tpArrayInt64:
		out := make([]int64, n)
		for i := range out {
			out[i] = int64(d.u64())
		}
		return out
	}
	out := make([]int64, n)
	for i := range out {
		out[i] = d.scalar(t - tpArrayBool).(int64)
	}
	return out
}

func product(shape []int) int {
	p := 1
	for _, n := range shape {
		p *= n
	}
	return p
}

// describe prints a record as an indented tree, for errors and tests.
func (r *Record) describe(indent string) string {
	var b strings.Builder
	for _, f := range r.Fields {
		switch v := f.Value.(type) {
		case *Record:
			fmt.Fprintf(&b, "%s%s:\n%s", indent, f.Name, v.describe(indent+"  "))
		case Array:
			fmt.Fprintf(&b, "%s%s = %v %v\n", indent, f.Name, v.Shape, v.Values)
		default:
			fmt.Fprintf(&b, "%s%s = %#v\n", indent, f.Name, v)
		}
	}
	return b.String()
}
