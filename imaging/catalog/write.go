package catalog

import (
	"bufio"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"html"
	"io"
	"math"
	"math/rand"
	"strconv"
)

// Spec is a table to write: test fixtures, the benchmark's files and
// sample data. Numeric and boolean values are given as float64 (exact
// for integers up to 2^53), strings as strings.
type Spec struct {
	Description string
	Coosys      Coosys
	Columns     []SpecColumn
}

// SpecColumn is one column of a Spec; Values for numbers and booleans
// (non-zero is true), Strings for String columns.
type SpecColumn struct {
	Name, Unit, UCD, Description string
	Type                         Type
	Values                       []float64
	Strings                      []string
}

func (s *Spec) rows() int {
	if len(s.Columns) == 0 {
		return 0
	}
	c := s.Columns[0]
	return max(len(c.Values), len(c.Strings))
}

// Encoding is a VOTable data serialisation.
type Encoding uint8

const (
	TableData Encoding = iota
	Binary
	Binary2
)

var voDatatype = map[Type]string{
	Bool: "boolean", Uint8: "unsignedByte", Int16: "short", Int32: "int", Int64: "long",
	Float: "float", Double: "double", String: "char",
}

// WriteVOTable writes s as a VOTable 1.4 document. Only the VOTable
// types are allowed (no Int8, Uint16, Uint32, Uint64).
func WriteVOTable(w io.Writer, s *Spec, enc Encoding) error {
	bw := bufio.NewWriterSize(w, 1<<20)
	fmt.Fprintf(bw, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<VOTABLE version=\"1.4\" xmlns=\"http://www.ivoa.net/xml/VOTable/v1.3\">\n")
	if s.Coosys.System != "" {
		fmt.Fprintf(bw, "<COOSYS ID=\"sys\" system=%q equinox=%q epoch=%q/>\n", s.Coosys.System, s.Coosys.Equinox, s.Coosys.Epoch)
	}
	fmt.Fprintf(bw, "<RESOURCE>\n<TABLE nrows=\"%d\">\n<DESCRIPTION>%s</DESCRIPTION>\n", s.rows(), html.EscapeString(s.Description))
	for _, c := range s.Columns {
		dt, ok := voDatatype[c.Type]
		if !ok {
			return fmt.Errorf("catalog: VOTable has no type for column %q", c.Name)
		}
		size := ""
		if c.Type == String {
			size = ` arraysize="*"`
		}
		fmt.Fprintf(bw, "<FIELD name=%q datatype=%q%s unit=%q ucd=%q><DESCRIPTION>%s</DESCRIPTION></FIELD>\n",
			c.Name, dt, size, c.Unit, c.UCD, html.EscapeString(c.Description))
	}
	var err error
	switch enc {
	case TableData:
		err = writeTableData(bw, s)
	default:
		err = writeBinary(bw, s, enc == Binary2)
	}
	if err != nil {
		return err
	}
	bw.WriteString("</TABLE>\n</RESOURCE>\n</VOTABLE>\n")
	return bw.Flush()
}

func writeTableData(bw *bufio.Writer, s *Spec) error {
	bw.WriteString("<DATA><TABLEDATA>\n")
	var num []byte
	for r := range s.rows() {
		bw.WriteString("<TR>")
		for _, c := range s.Columns {
			bw.WriteString("<TD>")
			switch c.Type {
			case String:
				bw.WriteString(html.EscapeString(c.Strings[r]))
			case Bool:
				bw.WriteString(map[bool]string{true: "T", false: "F"}[c.Values[r] != 0])
			case Float:
				num = strconv.AppendFloat(num[:0], c.Values[r], 'g', -1, 32)
				bw.Write(num)
			case Double:
				num = strconv.AppendFloat(num[:0], c.Values[r], 'g', -1, 64)
				bw.Write(num)
			default:
				num = strconv.AppendInt(num[:0], int64(c.Values[r]), 10)
				bw.Write(num)
			}
			bw.WriteString("</TD>")
		}
		bw.WriteString("</TR>\n")
	}
	_, err := bw.WriteString("</TABLEDATA></DATA>\n")
	return err
}

func writeBinary(bw *bufio.Writer, s *Spec, nullFlags bool) error {
	tag := map[bool]string{false: "BINARY", true: "BINARY2"}[nullFlags]
	fmt.Fprintf(bw, "<DATA><%s><STREAM encoding=\"base64\">\n", tag)
	b64 := base64.NewEncoder(base64.StdEncoding, bw)
	var row []byte
	for r := range s.rows() {
		row = row[:0]
		if nullFlags {
			row = append(row, make([]byte, (len(s.Columns)+7)/8)...)
		}
		for _, c := range s.Columns {
			row = appendBinaryCell(row, c, r)
		}
		if _, err := b64.Write(row); err != nil {
			return err
		}
	}
	if err := b64.Close(); err != nil {
		return err
	}
	_, err := fmt.Fprintf(bw, "\n</STREAM></%s></DATA>\n", tag)
	return err
}

func appendBinaryCell(row []byte, c SpecColumn, r int) []byte {
	if c.Type == String {
		row = binary.BigEndian.AppendUint32(row, uint32(len(c.Strings[r])))
		return append(row, c.Strings[r]...)
	}
	if c.Type == Bool {
		return append(row, map[bool]byte{true: 'T', false: 'F'}[c.Values[r] != 0])
	}
	return appendBE(row, c.Type, c.Values[r])
}

// appendBE appends v as a big-endian value of type t.
func appendBE(b []byte, t Type, v float64) []byte {
	switch t {
	case Float:
		return binary.BigEndian.AppendUint32(b, math.Float32bits(float32(v)))
	case Double:
		return binary.BigEndian.AppendUint64(b, math.Float64bits(v))
	case Uint64:
		return binary.BigEndian.AppendUint64(b, uint64(v))
	}
	i := int64(v)
	switch t.width() {
	case 1:
		return append(b, byte(i))
	case 2:
		return binary.BigEndian.AppendUint16(b, uint16(i))
	case 4:
		return binary.BigEndian.AppendUint32(b, uint32(i))
	}
	return binary.BigEndian.AppendUint64(b, uint64(i))
}

// SurveySpec is a catalogue of n rows like a survey extract (for
// benchmarks): position, flux, an integer id, a flag and a name;
// random but the same for every n.
func SurveySpec(n int) *Spec {
	rng := rand.New(rand.NewSource(1))
	cols := []SpecColumn{
		{Name: "RA", Unit: "deg", UCD: "pos.eq.ra;meta.main", Type: Double},
		{Name: "DEC", Unit: "deg", UCD: "pos.eq.dec;meta.main", Type: Double},
		{Name: "flux", Unit: "mJy", Type: Float},
		{Name: "id", Type: Int32},
		{Name: "flag", Type: Bool},
		{Name: "name", Type: String},
	}
	for i := range cols {
		if cols[i].Type == String {
			cols[i].Strings = make([]string, n)
		} else {
			cols[i].Values = make([]float64, n)
		}
	}
	for r := range n {
		cols[0].Values[r] = 150 + rng.Float64()
		cols[1].Values[r] = 2 + rng.Float64()
		cols[2].Values[r] = rng.ExpFloat64() * 10
		cols[3].Values[r] = float64(r)
		cols[4].Values[r] = float64(rng.Intn(2))
		cols[5].Strings[r] = fmt.Sprintf("SRC J%07d", rng.Intn(10000000))
	}
	return &Spec{Description: "benchmark catalogue", Coosys: Coosys{System: "ICRS", Equinox: "J2000"}, Columns: cols}
}
