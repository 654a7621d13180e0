package catalog

import (
	"bufio"
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// maxHeaderBytes bounds the VOTable text read before the data (FIELDs,
// PARAMs, descriptions); real headers are a few KiB to a few MiB.
const maxHeaderBytes = 16 << 20

// readChunk is how much of a file is read at a time.
const readChunk = 1 << 20

// dataKind is the serialisation of a VOTable's data.
type dataKind uint8

const (
	noData dataKind = iota
	tableData
	binaryData
	binary2Data
	fitsData
)

// field is a VOTable FIELD: its column and its BINARY layout.
type field struct {
	col      *Column
	datatype string
	elem     int  // bytes per element (0 for bit)
	count    int  // fixed element count (product of the fixed dimensions)
	variable bool // a 4-byte element count precedes each value
	scalar   bool // one element: the column holds it
}

// readVOTable reads a VOTable from r. With headerOnly the data is not
// read and Rows is the TABLE's nrows attribute.
func readVOTable(r io.Reader, size int64, m *meter, headerOnly bool) (*Table, error) {
	br := bufio.NewReaderSize(r, readChunk)
	if u := unprefixed(br); u != io.Reader(br) {
		br = bufio.NewReaderSize(u, readChunk)
	}
	prefix, kind, rest, err := readPrefix(br)
	if err != nil {
		return nil, err
	}
	t, fields, nrows, ended, err := parseVOHeader(prefix)
	if err != nil {
		return nil, err
	}
	if headerOnly || kind == noData || ended {
		t.Rows = nrows
		if !headerOnly {
			t.Rows = 0
		}
		return t, nil
	}
	s := &scanner{r: rest}
	reserve(t, int(min(int64(nrows), size/int64(len("<TR></TR>")))), m)
	switch kind {
	case tableData:
		err = readTableData(s, t, fields, m)
	case binaryData, binary2Data:
		err = readBinary(s, t, fields, m, kind == binary2Data)
	default:
		err = fmt.Errorf("%w: VOTable data in FITS serialisation", ErrUnsupported)
	}
	if err != nil {
		return nil, err
	}
	return t, nil
}

// markers start the data serialisations; "<BINARY2" is told from
// "<BINARY" by the byte after.
var (
	markTableData = []byte("<TABLEDATA")
	markBinary    = []byte("<BINARY")
	markFITS      = []byte("<FITS")
)

// readPrefix reads up to the first data serialisation element. It
// returns the text before it, the kind, and a reader of the rest
// (starting at the element).
func readPrefix(br *bufio.Reader) ([]byte, dataKind, io.Reader, error) {
	var buf []byte
	chunk := make([]byte, 64<<10)
	for {
		from := max(len(buf)-len(markTableData), 0)
		n, err := br.Read(chunk)
		buf = append(buf, chunk[:n]...)
		if i, kind := findData(buf, from); i >= 0 {
			return buf[:i], kind, io.MultiReader(bytes.NewReader(buf[i:]), br), nil
		}
		if len(buf) > maxHeaderBytes {
			return nil, 0, nil, fmt.Errorf("%w: more than %d bytes of VOTable header", ErrUnsupported, maxHeaderBytes)
		}
		if err == io.EOF {
			return buf, noData, nil, nil
		}
		if err != nil {
			return nil, 0, nil, fmt.Errorf("read VOTable: %w", err)
		}
	}
}

func findData(buf []byte, from int) (int, dataKind) {
	best, kind := -1, noData
	try := func(mark []byte, k dataKind) {
		if i := bytes.Index(buf[from:], mark); i >= 0 && (best < 0 || from+i < best) {
			best, kind = from+i, k
		}
	}
	try(markTableData, tableData)
	try(markBinary, binaryData)
	try(markFITS, fitsData)
	if kind == binaryData {
		next := best + len(markBinary)
		if next >= len(buf) {
			return -1, noData // cannot tell BINARY from BINARY2 yet
		}
		if buf[next] == '2' {
			kind = binary2Data
		}
	}
	return best, kind
}

// parseVOHeader reads the first TABLE's metadata from the text before
// its data. ended reports that the TABLE closed before any data (an
// empty table; the data found belongs to a later one).
func parseVOHeader(prefix []byte) (t *Table, fields []*field, nrows int, ended bool, err error) {
	d := xml.NewDecoder(bytes.NewReader(prefix))
	d.Strict = false
	d.CharsetReader = func(_ string, in io.Reader) (io.Reader, error) { return in, nil }
	t = &Table{Type: VOTable}
	h := headerState{t: t}
	for {
		tok, terr := d.Token()
		if terr != nil {
			if terr == io.EOF || isUnexpectedEOF(terr) {
				break
			}
			return nil, nil, 0, false, fmt.Errorf("%w: VOTable XML: %v", ErrBadFile, terr)
		}
		if h.token(tok) {
			break
		}
	}
	if !h.root {
		return nil, nil, 0, false, fmt.Errorf("%w: missing XML element VOTABLE", ErrBadFile)
	}
	if !h.table {
		return nil, nil, 0, false, fmt.Errorf("%w: missing XML element TABLE", ErrBadFile)
	}
	if len(h.fields) == 0 {
		return nil, nil, 0, false, fmt.Errorf("%w: the TABLE has no FIELD", ErrBadFile)
	}
	for _, f := range h.fields {
		t.Columns = append(t.Columns, f.col)
	}
	return t, h.fields, h.nrows, h.ended, nil
}

func isUnexpectedEOF(err error) bool {
	var se *xml.SyntaxError
	return errors.As(err, &se) && strings.Contains(se.Msg, "unexpected EOF")
}

// headerState follows the element stack while the header is parsed.
type headerState struct {
	t       *Table
	fields  []*field
	stack   []string
	root    bool // VOTABLE seen
	table   bool // inside or past the first TABLE
	ended   bool // the first TABLE closed
	coosys  bool
	nrows   int
	param   *Param
	text    strings.Builder
	inDescr bool
}

// token handles one token; true stops the parse (the first TABLE's DATA
// or end).
func (h *headerState) token(tok xml.Token) bool {
	switch tok := tok.(type) {
	case xml.StartElement:
		return h.start(tok)
	case xml.EndElement:
		return h.end(tok.Name.Local)
	case xml.CharData:
		if h.inDescr && h.text.Len() < 1<<20 {
			h.text.Write(tok)
		}
	}
	return false
}

func (h *headerState) parent() string {
	if len(h.stack) < 2 {
		return ""
	}
	return h.stack[len(h.stack)-2]
}

func (h *headerState) start(el xml.StartElement) bool {
	name := el.Name.Local
	h.stack = append(h.stack, name)
	switch {
	case len(h.stack) == 1:
		h.root = name == "VOTABLE"
	case !h.root:
	case name == "COOSYS" && !h.coosys:
		h.coosys = true
		h.t.Coosys = Coosys{System: attr(el, "system"), Equinox: attr(el, "equinox"), Epoch: attr(el, "epoch")}
	case name == "TABLE" && !h.table:
		h.table = true
		h.nrows, _ = strconv.Atoi(attr(el, "nrows"))
	case !h.table || h.ended:
	case name == "DATA":
		return true
	case name == "FIELD" && h.parent() == "TABLE":
		h.fields = append(h.fields, newField(el))
	case name == "PARAM" && h.parent() == "TABLE":
		h.t.Params = append(h.t.Params, Param{Name: attr(el, "name"), Value: attr(el, "value")})
	case name == "DESCRIPTION":
		h.inDescr = true
		h.text.Reset()
	}
	return false
}

func (h *headerState) end(name string) bool {
	if len(h.stack) == 0 {
		return false
	}
	parent := h.parent()
	h.stack = h.stack[:len(h.stack)-1]
	if name == "DESCRIPTION" && h.inDescr {
		h.inDescr = false
		text := strings.TrimSpace(h.text.String())
		switch {
		case parent == "TABLE":
			h.t.Description = text
		case parent == "FIELD" && len(h.fields) > 0:
			h.fields[len(h.fields)-1].col.Description = text
		case parent == "PARAM" && len(h.t.Params) > 0:
			h.t.Params[len(h.t.Params)-1].Description = text
		}
	}
	if name == "TABLE" && h.table && !h.ended {
		h.ended = true
		return true
	}
	return false
}

func attr(el xml.StartElement, name string) string {
	for _, a := range el.Attr {
		if a.Name.Local == name {
			return a.Value
		}
	}
	return ""
}

// newField maps a FIELD to a column as the reference's
// Column::FromField does: char and unicodeChar are strings at any
// arraysize, other arrays are unsupported. arraysize="1" is a scalar
// here (the reference treats any arraysize as an array).
func newField(el xml.StartElement) *field {
	f := &field{datatype: attr(el, "datatype")}
	f.elem = elemSize[f.datatype]
	f.count, f.variable = parseArraySize(attr(el, "arraysize"))
	f.scalar = f.count == 1 && !f.variable
	typ := Unsupported
	switch {
	case f.datatype == "char" || f.datatype == "unicodeChar":
		typ = String
	case !f.scalar:
	default:
		typ = scalarTypes[f.datatype]
	}
	f.col = newColumn(attr(el, "name"), typ)
	f.col.ID = attr(el, "ID")
	f.col.Unit = attr(el, "unit")
	f.col.UCD = attr(el, "ucd")
	f.col.Description = attr(el, "description")
	return f
}

var scalarTypes = map[string]Type{
	"boolean": Bool, "unsignedByte": Uint8, "short": Int16, "int": Int32,
	"long": Int64, "float": Float, "double": Double,
}

// elemSize is the BINARY size of one element; bit is 0 (packed).
var elemSize = map[string]int{
	"boolean": 1, "bit": 0, "unsignedByte": 1, "short": 2, "int": 4, "long": 8,
	"char": 1, "unicodeChar": 2, "float": 4, "double": 8, "floatComplex": 8, "doubleComplex": 16,
}

// parseArraySize reads "", "8", "*", "8*", "3x4", "3x*": the product of
// the fixed dimensions, and whether the last one is variable.
func parseArraySize(s string) (count int, variable bool) {
	count = 1
	if s == "" {
		return 1, false
	}
	for dim := range strings.SplitSeq(s, "x") {
		if strings.HasSuffix(dim, "*") {
			variable = true
			continue
		}
		n, err := strconv.Atoi(dim)
		if err != nil || n < 0 || n > maxCellBytes {
			return 1, true // unreadable: treat as variable, bounded per cell
		}
		count *= n
		if count > maxCellBytes {
			count = maxCellBytes + 1
		}
	}
	return count, variable
}

// reserve sizes the columns for the rows the TABLE announces (nrows),
// saving the copies of growing a million-row column by doubling. The
// caller caps nrows at what the file's size can hold, and the budget is
// charged first, so a lying nrows costs little.
func reserve(t *Table, nrows int, m *meter) {
	const maxReserve = 1 << 26 // rows
	if nrows <= 0 || nrows > maxReserve {
		return
	}
	var need int64
	for _, c := range t.Columns {
		need += int64(nrows) * int64(c.width)
		if c.Type == String {
			need += int64(nrows) * (4 + 16)
		}
	}
	if m.need(need) != nil {
		return
	}
	for _, c := range t.Columns {
		switch c.Type {
		case Unsupported:
		case String:
			c.send = make([]uint32, 0, nrows)
			c.sdat = make([]byte, 0, nrows*16)
		default:
			c.raw = make([]byte, 0, nrows*c.width)
		}
	}
}
