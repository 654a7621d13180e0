package catalog

import (
	"encoding/base64"
	"errors"
	"math"
	"strings"
	"testing"
)

func TestVOTableRoundTrip(t *testing.T) {
	for _, enc := range []Encoding{TableData, Binary, Binary2} {
		s := sampleSpec()
		tab, err := Open(writeFile(t, "t.vot", writeVO(t, s, enc)), Options{})
		if err != nil {
			t.Fatalf("encoding %d: %v", enc, err)
		}
		checkSpec(t, tab, s)
		if tab.Type != VOTable || tab.Description != "test sources" || tab.Coosys.System != "ICRS" || tab.Coosys.Equinox != "J2000" {
			t.Errorf("metadata %+v %q", tab.Coosys, tab.Description)
		}
		ra := tab.Column("RA")
		if ra.UCD != "pos.eq.ra" || ra.Description != "right ascension" {
			t.Errorf("RA field metadata %q %q", ra.UCD, ra.Description)
		}
		if d := tab.Column("name").Description; d != "source <name>" {
			t.Errorf("escaped description %q", d)
		}
		tab.Close()
	}
}

func TestFITSTableRoundTrip(t *testing.T) {
	s := sampleSpec()
	s.Columns = append(s.Columns,
		SpecColumn{Name: "s8", Type: Int8, Values: []float64{-128, 127, 0, -1, 5}},
		SpecColumn{Name: "u16", Type: Uint16, Values: []float64{65535, 0, 1, 32768, 7}},
		SpecColumn{Name: "u32", Type: Uint32, Values: []float64{4294967295, 0, 1, 2147483648, 7}},
		SpecColumn{Name: "u64", Type: Uint64, Values: []float64{1 << 63, 0, 1, 1 << 40, 7}},
	)
	s.Columns[8].Strings[3] = "x" // FITS strings are space padded: "" reads back as ""
	s.Columns[8].Strings[3] = ""
	tab, err := Open(writeFile(t, "t.fits", writeFITS(t, s)), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer tab.Close()
	checkSpec(t, tab, s)
	if tab.Type != FITSTable || tab.Column("name").Description != "source <name>" || tab.Column("RA").UCD != "pos.eq.ra" {
		t.Errorf("metadata: %v %q", tab.Type, tab.Column("name").Description)
	}
}

// TSCAL/TZERO apply and TNULL becomes NaN (the column is then Double).
func TestFITSScaledAndNull(t *testing.T) {
	s := &Spec{Columns: []SpecColumn{
		{Name: "a", Type: Int16, Values: []float64{1, 2, -99}},
		{Name: "b", Type: Int32, Values: []float64{10, 20, 30}},
	}}
	b := writeFITS(t, s, Card("TNULL1", "-99"), Card("TSCAL2", "0.5"), Card("TZERO2", "100"))
	tab, err := Read(b, Options{})
	if err != nil {
		t.Fatal(err)
	}
	a, bc := tab.Column("a"), tab.Column("b")
	if a.Type != Double || a.Float(0) != 1 || !math.IsNaN(a.Float(2)) {
		t.Errorf("TNULL column: %v %v %v", a.Type, a.Float(0), a.Float(2))
	}
	if bc.Type != Double || bc.Float(1) != 110 {
		t.Errorf("scaled column: %v %v", bc.Type, bc.Float(1))
	}
}

// Array columns are listed as Unsupported and hold nothing; the other
// columns still read (reference: Columns.cc, col_repeat > 1).
func TestFITSArrayColumnUnsupported(t *testing.T) {
	s := &Spec{Columns: []SpecColumn{{Name: "x", Type: Double, Values: []float64{1, 2}}}}
	b := writeFITS(t, s)
	// Rewrite TFORM1 as 2E: 8 bytes a row, like 1D.
	b = []byte(strings.Replace(string(b), Card("TFORM1", "'D       '"), Card("TFORM1", "'2E      '"), 1))
	tab, err := Read(b, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if c := tab.Columns[0]; c.Type != Unsupported || c.Len() != 0 || tab.Rows != 2 {
		t.Errorf("array column: %v len %d rows %d", c.Type, c.Len(), tab.Rows)
	}
}

func TestTableDataOddities(t *testing.T) {
	doc := `<?xml version="1.0"?>
<VOTABLE><RESOURCE><TABLE>
<FIELD name="a" datatype="int"/><FIELD name="b" datatype="char" arraysize="*"/><FIELD name="c" datatype="double"/>
<FIELD name="arr" datatype="float" arraysize="3"/>
<DATA><TABLEDATA>
 <TR><TD> 7 </TD><TD><![CDATA[<x>]]>&amp;&#65;</TD><TD>nan</TD><TD>1 2 3</TD></TR>
 <!-- a comment -->
 <TR><TD/><TD>short row</TD></TR>
 <TR><TD>oops</TD><TD></TD><TD>1e400</TD><TD/></TR>
</TABLEDATA></DATA></TABLE></RESOURCE></VOTABLE>`
	tab, err := Read([]byte(doc), Options{})
	if err != nil {
		t.Fatal(err)
	}
	all, _ := tab.Select(t.Context(), Query{})
	if tab.Rows != 3 {
		t.Fatalf("rows %d", tab.Rows)
	}
	a, b, c := tab.Columns[0], tab.Columns[1], tab.Columns[2]
	if a.Float(0) != 7 || a.Float(1) != 0 || a.Float(2) != 0 {
		t.Errorf("ints %v %v %v", a.Float(0), a.Float(1), a.Float(2))
	}
	if got := b.Strings(all, 0, 3); got[0] != "<x>&A" || got[1] != "short row" || got[2] != "" {
		t.Errorf("strings %q", got)
	}
	if !math.IsNaN(c.Float(0)) || !math.IsNaN(c.Float(1)) || !math.IsInf(c.Float(2), 1) {
		t.Errorf("doubles %v %v %v", c.Float(0), c.Float(1), c.Float(2))
	}
	if tab.Columns[3].Type != Unsupported {
		t.Errorf("array field type %v", tab.Columns[3].Type)
	}
}

func TestReadErrors(t *testing.T) {
	cases := map[string]struct {
		in   string
		want error
	}{
		"not a catalog": {"hello", ErrNotCatalog},
		"no VOTABLE":    {`<?xml version="1.0"?><foo/>`, ErrBadFile},
		"no FIELD":      {`<?xml version="1.0"?><VOTABLE><RESOURCE><TABLE><DATA><TABLEDATA></TABLEDATA></DATA></TABLE></RESOURCE></VOTABLE>`, ErrBadFile},
		"unclosed row":  {`<?xml version="1.0"?><VOTABLE><RESOURCE><TABLE><FIELD name="a" datatype="int"/><DATA><TABLEDATA><TR><TD>1</TD>`, ErrBadFile},
		"short stream":  {`<?xml version="1.0"?><VOTABLE><RESOURCE><TABLE><FIELD name="a" datatype="int"/><DATA><BINARY><STREAM encoding="base64">AAA=</STREAM></BINARY></DATA></TABLE></RESOURCE></VOTABLE>`, ErrBadFile},
		"href stream":   {`<?xml version="1.0"?><VOTABLE><RESOURCE><TABLE><FIELD name="a" datatype="int"/><DATA><BINARY><STREAM href="x.bin"/></BINARY></DATA></TABLE></RESOURCE></VOTABLE>`, ErrUnsupported},
		"FITS no table": {fitsImageOnly(), ErrNotCatalog},
		"FITS bad card": {Card("SIMPLE", "T") + "END" + strings.Repeat(" ", 2880-33), ErrBadFile},
	}
	for name, tc := range cases {
		_, err := Read([]byte(tc.in), Options{})
		if !errors.Is(err, tc.want) {
			t.Errorf("%s: %v, want %v", name, err, tc.want)
		}
	}
}

// A FITS header announcing more rows than the file holds is refused
// before anything is allocated for them.
func TestFITSLyingNAXIS2(t *testing.T) {
	s := &Spec{Columns: []SpecColumn{{Name: "x", Type: Double, Values: []float64{1, 2}}}}
	b := []byte(strings.Replace(string(writeFITS(t, s)), Card("NAXIS2", "2"), Card("NAXIS2", "999999999999"), 1))
	if _, err := Read(b, Options{}); !errors.Is(err, ErrBadFile) {
		t.Fatalf("err %v, want ErrBadFile", err)
	}
}

func fitsImageOnly() string {
	var b strings.Builder
	for _, c := range []string{Card("SIMPLE", "T"), Card("BITPIX", "8"), Card("NAXIS", "0"), "END"} {
		b.WriteString(c + strings.Repeat(" ", 80-len(c)))
	}
	return b.String() + strings.Repeat(" ", 2880-4*80)
}

// A BINARY stream whose rows take no bytes is refused instead of
// yielding rows without end (found by FuzzRead).
func TestBinaryZeroWidthRows(t *testing.T) {
	doc := `<?xml version="1.0"?><VOTABLE><RESOURCE><TABLE><FIELD name="a" datatype="char" arraysize="0"/><DATA><BINARY><STREAM encoding="base64">AAAA</STREAM></BINARY></DATA></TABLE></RESOURCE></VOTABLE>`
	if _, err := Read([]byte(doc), Options{}); !errors.Is(err, ErrBadFile) {
		t.Fatalf("err %v", err)
	}
}

// BINARY2 rows start with a null flag per field (VOTable 1.3 §5.5): a
// null int is 0 (the reference's SetEmpty for integers), a null double
// NaN, whatever bytes the row holds for them.
func TestBinary2Nulls(t *testing.T) {
	var row []byte
	row = append(row, 0x80, 7, 7, 7, 7, 0x3f, 0xf0, 0, 0, 0, 0, 0, 0) // int null, double 1
	row = append(row, 0x40, 0, 0, 0, 5, 0x3f, 0xf0, 0, 0, 0, 0, 0, 0) // int 5, double null
	doc := `<?xml version="1.0"?><VOTABLE><RESOURCE><TABLE><FIELD name="i" datatype="int"/><FIELD name="d" datatype="double"/>` +
		`<DATA><BINARY2><STREAM encoding="base64">` + base64.StdEncoding.EncodeToString(row) + `</STREAM></BINARY2></DATA></TABLE></RESOURCE></VOTABLE>`
	tab, err := Read([]byte(doc), Options{})
	if err != nil {
		t.Fatal(err)
	}
	i, d := tab.Columns[0], tab.Columns[1]
	if tab.Rows != 2 || i.Float(0) != 0 || i.Float(1) != 5 || d.Float(0) != 1 || !math.IsNaN(d.Float(1)) {
		t.Errorf("rows %d: i %v %v, d %v %v", tab.Rows, i.Float(0), i.Float(1), d.Float(0), d.Float(1))
	}
}
