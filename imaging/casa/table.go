package casa

import (
	"fmt"
	"strings"
)

// table is what table.dat says of a table (tables/Tables/PlainTable.cc,
// BaseTable::writeStart, TableDesc::putFile, ColumnSet::putFile).
type table struct {
	rows      int
	bigEndian bool // byte order of the storage managers' data files
	keywords  *Record
	columns   []column
	managers  []manager
}

// column is one column description with the storage manager holding it.
type column struct {
	name     string
	typ      dataType
	ndim     int
	shape    []int
	class    string // ArrayColumnDesc<float>, ScalarColumnDesc<Int>, ...
	seq      int    // sequence number of its storage manager
	haveSeq  bool
	keywords *Record
}

// manager is one data manager: its type name and sequence number, which
// names its files (table.f<seq>).
type manager struct {
	typ string
	seq int
}

// parseTable reads table.dat.
func parseTable(b []byte) (*table, error) {
	d := newDecoder(b)
	d.magic()
	vers := d.start("Table")
	t := &table{}
	switch vers {
	case 1, 2:
		t.rows = int(d.u32())
	case 3:
		t.rows = int(min(d.u64(), maxElements))
	default:
		if d.err == nil {
			return nil, fmt.Errorf("%w: Table version %d", ErrUnsupported, vers)
		}
	}
	t.bigEndian = d.u32() == 0
	if typ := d.str(); d.err == nil && typ != "PlainTable" {
		return nil, fmt.Errorf("%w: a %s (only plain tables are images)", ErrUnsupported, typ)
	}
	d.tableDesc(t)
	d.columnSet(t)
	if d.err != nil {
		return nil, d.err
	}
	return t, nil
}

// tableDesc reads the description: keywords and column descriptions.
func (d *decoder) tableDesc(t *table) {
	if vers := d.start("TableDesc"); d.err == nil && vers != 2 {
		d.fail("TableDesc version %d", vers)
	}
	d.str() // name
	d.str() // version
	d.str() // comment
	t.keywords = d.record()
	d.record() // private keywords
	n := d.count(4)
	for i := 0; i < n && d.err == nil; i++ {
		t.columns = append(t.columns, d.columnDesc())
	}
	d.end()
}

// columnDesc reads one ColumnDesc (ColumnDesc.cc, BaseColDesc.cc).
func (d *decoder) columnDesc() column {
	d.u32() // ColumnDesc version
	c := column{class: d.str()}
	d.u32() // BaseColumnDesc version
	c.name = d.str()
	d.str() // comment
	d.str() // data manager type
	d.str() // data manager group
	c.typ = dataType(d.i32())
	d.i32() // options
	c.ndim = int(d.i32())
	scalar := strings.HasPrefix(c.class, "Scalar")
	if !scalar {
		c.shape = d.ipos()
	}
	d.u32() // maximum string length
	c.keywords = d.record()
	d.u32() // derived class version
	if scalar {
		if d.err == nil && c.typ != tpString && c.typ > tpDComplex {
			d.fail("scalar column %q of type %d", c.name, c.typ)
			return c
		}
		d.scalar(c.typ) // default value
	} else {
		d.bool() // "has default", always false
	}
	return c
}

// columnSet reads the data managers and which column each holds.
func (d *decoder) columnSet(t *table) {
	switch vers := d.i32(); vers {
	case -2:
		d.u32() // rows
	case -3:
		d.u64() // rows
		d.i32() // storage option
		d.i32() // block size
	default:
		if d.err == nil {
			d.fail("ColumnSet version %d", vers)
		}
	}
	d.i32() // sequence counter
	n := d.count(8)
	for i := 0; i < n && d.err == nil; i++ {
		t.managers = append(t.managers, manager{typ: d.str(), seq: int(d.u32())})
	}
	for i := range t.columns {
		if d.err != nil {
			return
		}
		c := &t.columns[i]
		d.u32() // PlainColumn version
		d.str() // original name
		d.u32() // derived version
		c.seq, c.haveSeq = int(d.u32()), true
		if !strings.HasPrefix(c.class, "Scalar") {
			if d.bool() { // fixed shape defined
				d.ipos()
			}
		}
	}
}

// manager returns the data manager holding column name.
func (t *table) column(name string) (*column, *manager, error) {
	for i := range t.columns {
		c := &t.columns[i]
		if c.name != name {
			continue
		}
		for j := range t.managers {
			if t.managers[j].seq == c.seq {
				return c, &t.managers[j], nil
			}
		}
		return nil, nil, fmt.Errorf("%w: column %q names data manager %d, which the table lacks", ErrFormat, name, c.seq)
	}
	return nil, nil, fmt.Errorf("%w: no column %q", ErrNotImage, name)
}
