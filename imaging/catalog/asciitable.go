package catalog

import (
	"bytes"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"

	"cartago/imaging/fits"
)

// ASCII tables (XTENSION = 'TABLE', FITS standard 4.0 §7.2): every
// field is text at column TBCOLn of the row, formatted by TFORMn as Aw,
// Iw, Fw.d, Ew.d or Dw.d. The reference hands their bytes to the same
// code as binary tables, which reads the digits as binary numbers; we
// parse the text instead. Types: A is a string; I is Int32 up to nine
// digits, else Int64; E and F are Float when the field carries no more
// digits than a float32 holds, else Double; D is Double. As for binary
// tables, TSCAL/TZERO or a TNULL make a numeric column Double, and a
// null (the TNULL text, or a blank numeric field) is NaN or 0.

// asciiCol is how one ASCII field is read.
type asciiCol struct {
	col   *Column
	start int // byte offset in the row (TBCOL - 1)
	width int
	code  byte
	scale float64
	zero  float64
	null  string // TNULL: the text of a null field, trimmed
	// scaled: a numeric column read as Double (scaling or TNULL).
	scaled bool
}

// parseASCIIForm reads "Tw" or "Tw.d".
func parseASCIIForm(s string) (code byte, width, decimals int, err error) {
	s = strings.TrimSpace(s)
	if len(s) < 2 || !strings.ContainsRune("AIFED", rune(s[0])) {
		return 0, 0, 0, fmt.Errorf("TFORM %q is not an ASCII-table format", s)
	}
	w, d, _ := strings.Cut(s[1:], ".")
	width, err = strconv.Atoi(w)
	if err != nil || width <= 0 || width > 1<<16 {
		return 0, 0, 0, fmt.Errorf("TFORM %q: bad width", s)
	}
	if d != "" {
		if decimals, err = strconv.Atoi(d); err != nil || decimals < 0 || decimals > width {
			return 0, 0, 0, fmt.Errorf("TFORM %q: bad decimals", s)
		}
	}
	return s[0], width, decimals, nil
}

func newASCIICol(h *fits.Header, i int, rowLen int64) (*asciiCol, error) {
	n := strconv.Itoa(i)
	form, _ := h.String("TFORM" + n)
	code, width, decimals, err := parseASCIIForm(form)
	if err != nil {
		return nil, fmt.Errorf("%w: column %d: %v", ErrBadFile, i, err)
	}
	tbcol, ok := h.Int("TBCOL" + n)
	if !ok || tbcol < 1 || tbcol-1+int64(width) > rowLen {
		return nil, fmt.Errorf("%w: column %d: TBCOL%d = %d with width %d does not fit a row of %d characters",
			ErrBadFile, i, i, tbcol, width, rowLen)
	}
	ac := &asciiCol{start: int(tbcol - 1), width: width, code: code, scale: 1}
	if v, ok := h.Float("TSCAL" + n); ok {
		ac.scale = v
	}
	ac.zero, _ = h.Float("TZERO" + n)
	null, hasNull := h.String("TNULL" + n)
	ac.null = strings.TrimSpace(null)
	ac.scaled = code != 'A' && (ac.scale != 1 || ac.zero != 0 || hasNull)
	name, _ := h.String("TTYPE" + n)
	ac.col = newColumn(strings.TrimSpace(name), ac.columnType(decimals))
	describeColumn(ac.col, h, n)
	return ac, nil
}

func (ac *asciiCol) columnType(decimals int) Type {
	switch {
	case ac.code == 'A':
		return String
	case ac.scaled, ac.code == 'D':
		return Double
	case ac.code == 'I' && ac.width <= 9:
		return Int32
	case ac.code == 'I':
		return Int64
	case ac.code == 'E' && decimals <= 6, ac.code == 'F' && ac.width <= 8:
		return Float // at most seven significant digits
	}
	return Double
}

// decode appends the value of one field's text.
func (ac *asciiCol) decode(b []byte) {
	c := ac.col
	if c.Type == String {
		c.appendString(bytes.TrimRight(b, " "))
		return
	}
	t := bytes.TrimSpace(b)
	if len(t) == 0 || (ac.null != "" && string(t) == ac.null) {
		c.appendNull()
		return
	}
	if ac.code == 'I' && !ac.scaled {
		c.appendInt(intText(t))
		return
	}
	// Fortran writes double-precision exponents with D.
	v, err := strconv.ParseFloat(strings.Map(fortranExp, string(t)), 64)
	if err != nil && !isRangeErr(err) {
		v = math.NaN()
	}
	c.appendFloat(v*ac.scale + ac.zero)
}

func fortranExp(r rune) rune {
	if r == 'D' || r == 'd' {
		return 'E'
	}
	return r
}

// readASCIITable reads the rows of an ASCII table extension.
func readASCIITable(r io.ReaderAt, h *fits.Header, dataOff, size int64, m *meter, headerOnly bool) (*Table, error) {
	rowLen, rows, nf, t, err := tableShape(h)
	if err != nil {
		return nil, err
	}
	if rowLen <= 0 || rows < 0 || rows > (size-dataOff)/rowLen {
		return nil, fmt.Errorf("%w: NAXIS2 = %d rows of %d characters do not fit in the file", ErrBadFile, rows, rowLen)
	}
	t.Rows = int(rows)
	cols := make([]*asciiCol, 0, nf)
	for i := 1; i <= int(nf); i++ {
		ac, err := newASCIICol(h, i, rowLen)
		if err != nil {
			return nil, err
		}
		cols = append(cols, ac)
		t.Columns = append(t.Columns, ac.col)
	}
	if headerOnly {
		return t, nil
	}
	if err := m.need(asciiBytes(cols, rows)); err != nil {
		return nil, err
	}
	return t, decodeASCIIRows(r, cols, dataOff, int(rowLen), int(rows))
}

// asciiBytes bounds the memory of the decoded columns.
func asciiBytes(cols []*asciiCol, rows int64) int64 {
	var n int64
	for _, ac := range cols {
		if ac.col.Type == String {
			n += rows * int64(ac.width+4)
		} else {
			n += rows * int64(ac.col.width)
		}
	}
	return n
}

func decodeASCIIRows(r io.ReaderAt, cols []*asciiCol, dataOff int64, rowLen, rows int) error {
	return eachRowChunk(r, dataOff, rowLen, rows, func(chunk []byte, n int) {
		for i := range n {
			row := chunk[i*rowLen:][:rowLen]
			for _, ac := range cols {
				ac.decode(row[ac.start:][:ac.width])
			}
		}
	})
}
