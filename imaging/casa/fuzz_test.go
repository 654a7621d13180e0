package casa

import (
	"encoding/binary"
	"errors"
	"math"
	"testing"
)

// encoder writes canonical AipsIO, for seeds and malformed inputs.
type encoder struct {
	b      []byte
	starts []int
}

func (e *encoder) u32(v uint32) *encoder { e.b = binary.BigEndian.AppendUint32(e.b, v); return e }
func (e *encoder) i32(v int32) *encoder  { return e.u32(uint32(v)) }
func (e *encoder) u8(v byte) *encoder    { e.b = append(e.b, v); return e }
func (e *encoder) f64(v float64) *encoder {
	e.b = binary.BigEndian.AppendUint64(e.b, math.Float64bits(v))
	return e
}
func (e *encoder) str(s string) *encoder { e.u32(uint32(len(s))); e.b = append(e.b, s...); return e }

func (e *encoder) start(typ string, vers uint32) *encoder {
	if len(e.starts) == 0 && len(e.b) == 0 {
		e.u32(aipsMagic)
	}
	e.starts = append(e.starts, len(e.b))
	return e.u32(0).str(typ).u32(vers)
}

func (e *encoder) end() *encoder {
	at := e.starts[len(e.starts)-1]
	e.starts = e.starts[:len(e.starts)-1]
	binary.BigEndian.PutUint32(e.b[at:], uint32(len(e.b)-at))
	return e
}

func (e *encoder) ipos(v ...int) *encoder {
	e.start("IPosition", 1).u32(uint32(len(v)))
	for _, x := range v {
		e.i32(int32(x))
	}
	return e.end()
}

// keywords writes a TableRecord like an image's: a string, a double
// array, a sub-record with its own description, a table keyword and a
// coordinate system of a direction and a Stokes coordinate.
func (e *encoder) keywords() *encoder {
	e.start("TableRecord", 1)
	e.start("RecordDesc", 2).u32(5)
	e.str("units").i32(int32(tpString)).str("")
	e.str("crval").i32(int32(tpArrayDouble)).ipos(-1).str("")
	e.str("imageinfo").i32(int32(tpRecord))
	e.start("RecordDesc", 2).u32(0).end().str("")
	e.str("logtable").i32(int32(tpTable)).str("").str("")
	e.str("coords").i32(int32(tpRecord)).start("RecordDesc", 2).u32(0).end().str("")
	e.end()
	e.i32(1)
	e.str("Jy/beam")
	e.start("Array<double>", 3).u32(1).u32(2).u32(2).f64(1.5).f64(-2).end()
	e.start("TableRecord", 1).start("RecordDesc", 2).u32(1).str("objectname").i32(int32(tpString)).str("").end()
	e.i32(1).str("M1").end()
	e.str("././logtable")
	e.coords()
	return e.end()
}

// doubles writes a Array<double> of one axis.
func (e *encoder) doubles(v ...float64) *encoder {
	e.start("Array<double>", 3).u32(1).u32(uint32(len(v))).u32(uint32(len(v)))
	for _, x := range v {
		e.f64(x)
	}
	return e.end()
}

func (e *encoder) strs(v ...string) *encoder {
	e.start("Array<String>", 3).u32(1).u32(uint32(len(v))).u32(uint32(len(v)))
	for _, x := range v {
		e.str(x)
	}
	return e.end()
}

// coords writes a coordinate record: direction0 (SIN, J2000) on pixel
// axes 0 and 1, stokes1 (I) on pixel axis 2.
func (e *encoder) coords() *encoder {
	field := func(name string, t dataType) { e.str(name).i32(int32(t)) }
	arr := func(name string, t dataType) { field(name, t); e.ipos(-1).str("") }
	e.start("TableRecord", 1).start("RecordDesc", 2).u32(4)
	field("direction0", tpRecord)
	e.start("RecordDesc", 2).u32(0).end().str("")
	arr("pixelmap0", tpArrayDouble)
	field("stokes1", tpRecord)
	e.start("RecordDesc", 2).u32(0).end().str("")
	arr("pixelmap1", tpArrayDouble)
	e.end().i32(1)
	e.start("TableRecord", 1).start("RecordDesc", 2).u32(7)
	field("system", tpString)
	e.str("")
	field("projection", tpString)
	e.str("")
	for _, n := range []string{"crval", "crpix", "cdelt", "pc"} {
		arr(n, tpArrayDouble)
	}
	arr("units", tpArrayString)
	e.end().i32(1)
	e.str("J2000").str("SIN").doubles(1.4, -0.09).doubles(16, 16).doubles(-1e-5, 1e-5).doubles(1, 0, 0, 1).strs("rad", "rad")
	e.end()
	e.doubles(0, 1)
	e.start("TableRecord", 1).start("RecordDesc", 2).u32(1)
	arr("stokes", tpArrayString)
	e.end().i32(1).strs("I").end()
	e.doubles(2)
	return e.end()
}

func emptyRecord(e *encoder) *encoder {
	return e.start("TableRecord", 1).start("RecordDesc", 2).u32(0).end().i32(1).end()
}

// seedTable is a table.dat of one Float array column in a
// TiledCellStMan.
func seedTable() []byte {
	e := &encoder{}
	e.start("Table", 2).u32(1).u32(1).str("PlainTable")
	e.start("TableDesc", 2).str("").str("").str("")
	e.keywords()
	emptyRecord(e)
	e.u32(1)
	e.u32(1).str("ArrayColumnDesc<float  ").u32(1).str("map").str("").str("TiledCellStMan").str("g")
	e.i32(int32(tpFloat)).i32(0).i32(2).ipos()
	e.u32(0)
	emptyRecord(e)
	e.u32(1).u8(0)
	e.end()
	e.i32(-2).u32(1).i32(1).u32(1).str("TiledCellStMan").u32(0)
	e.u32(2).str("map").u32(1).u32(0).u8(0)
	return e.end().b
}

// seedHeader is a TiledCellStMan header of a 4×3 float cube.
func seedHeader() []byte {
	e := &encoder{}
	e.start("TiledCellStMan", 1).ipos(2, 2)
	e.start("TiledStMan", 2).u8(0).u32(0).u32(1).u32(1).i32(int32(tpFloat)).str("map").u32(0).u32(2)
	e.u32(1).u8(1).u32(1).u32(0).u32(48)
	e.u32(1).i32(1)
	e.start("Record", 1).start("RecordDesc", 2).u32(0).end().i32(1).end()
	e.u8(0).u32(2).ipos(4, 3).ipos(2, 2).i32(0).u32(0)
	e.end()
	return e.end().b
}

// seedShapeHeader is a TiledShapeStMan header: the placeholder cube 0
// and the row's 4×3×1 cube in tiles of 2×2×5 rows, behind a row map.
func seedShapeHeader() []byte {
	e := &encoder{}
	e.start("TiledShapeStMan", 1)
	e.start("TiledStMan", 2).u8(1).u32(0).u32(1).u32(1).i32(int32(tpFloat)).str("map").u32(0).u32(3)
	e.u32(2).u8(0).u8(1).u32(1).u32(1).u32(80)
	e.u32(2)
	for i, shape := range [][]int{{}, {4, 3, 1}} {
		e.i32(1)
		e.start("Record", 1).start("RecordDesc", 2).u32(0).end().i32(1).end()
		e.u8(1).u32(3).ipos(shape...)
		if i == 0 {
			e.ipos().i32(-1).u32(0)
		} else {
			e.ipos(2, 2, 5).i32(1).u32(0)
		}
	}
	e.end()
	e.ipos(2, 2).u32(1)
	for _, v := range []uint32{0, 1, 0} {
		e.start("Block", 1).u32(1).u32(v).end()
	}
	return e.end().b
}

func TestSeedsParse(t *testing.T) {
	tb, err := parseTable(seedTable())
	if err != nil {
		t.Fatal(err)
	}
	if u, _ := tb.keywords.String("units"); u != "Jy/beam" || tb.bigEndian || len(tb.columns) != 1 {
		t.Fatalf("%+v %s", tb, tb.keywords.describe(""))
	}
	if v, _ := tb.keywords.Floats("crval"); len(v) != 2 || v[1] != -2 {
		t.Fatalf("crval %v", v)
	}
	if s, _ := tb.keywords.Sub("imageinfo").String("objectname"); s != "M1" {
		t.Fatalf("objectname %q", s)
	}
	cards, err := (&Image{Shape: []int{32, 32, 1}, Keywords: tb.keywords}).Header()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, c := range cards {
		got[c.Name] = c.Value
	}
	if got["CTYPE1"] != "RA---SIN" || got["CRPIX2"] != "17.0" || got["CTYPE3"] != "STOKES" || got["RADESYS"] != "FK5" {
		t.Fatalf("cards %v", got)
	}
	c, err := tiledHeader(seedHeader(), "TiledCellStMan")
	if err != nil || c.shape[0] != 4 || c.tile[1] != 2 || c.bigEndian {
		t.Fatalf("%+v %v", c, err)
	}
	c, err = tiledHeader(seedShapeHeader(), "TiledShapeStMan")
	if err != nil || len(c.shape) != 2 || c.file != 1 || c.rowTile != 5 || !c.bigEndian || c.tileBytes() != 80 {
		t.Fatalf("%+v %v", c, err)
	}
}

// TestHostileCounts: counts and lengths that claim more than the input
// holds are errors, not allocations.
func TestHostileCounts(t *testing.T) {
	b := seedTable()
	for i := 0; i+4 <= len(b); i += 4 {
		bad := append([]byte(nil), b...)
		binary.BigEndian.PutUint32(bad[i:], 0x7fffffff)
		if _, err := parseTable(bad); err != nil && !errors.Is(err, ErrFormat) && !errors.Is(err, ErrUnsupported) {
			t.Fatalf("offset %d: %v", i, err)
		}
	}
	deep := &encoder{}
	for i := 0; i < 100; i++ {
		deep.start("TableRecord", 1).start("RecordDesc", 2).u32(1).str("r").i32(int32(tpRecord))
		deep.start("RecordDesc", 2).u32(0).end().str("").end().i32(1)
	}
	d := newDecoder(deep.b)
	d.magic()
	d.record()
	if !errors.Is(d.err, ErrFormat) {
		t.Fatalf("deep nesting: %v", d.err)
	}
}

// FuzzParseTable: table.dat and storage manager headers never panic
// and fail only with the package's errors.
func FuzzParseTable(f *testing.F) {
	f.Add(seedTable(), uint8(0))
	f.Add(seedHeader(), uint8(1))
	f.Add(seedShapeHeader(), uint8(2))
	f.Fuzz(func(t *testing.T, b []byte, kind uint8) {
		var err error
		switch kind % 3 {
		case 1:
			_, err = tiledHeader(b, "TiledCellStMan")
		case 2:
			_, err = tiledHeader(b, "TiledShapeStMan")
		default:
			var tb *table
			tb, err = parseTable(b)
			if err == nil {
				// The keywords go on to the header and beams.
				im := &Image{Shape: []int{32, 32, 1}, Keywords: tb.keywords}
				if _, herr := im.Header(); herr != nil && !errors.Is(herr, ErrFormat) && !errors.Is(herr, ErrUnsupported) && !errors.Is(herr, ErrNotImage) {
					t.Fatalf("header: unexpected error class: %v", herr)
				}
				im.Beams()
			}
		}
		if err != nil && !errors.Is(err, ErrFormat) && !errors.Is(err, ErrUnsupported) && !errors.Is(err, ErrNotImage) {
			t.Fatalf("unexpected error class: %v", err)
		}
	})
}
