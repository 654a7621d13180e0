package catalog

import (
	"bytes"
	"fmt"
	"io"
	"strconv"
	"unicode/utf8"
)

// maxRowBytes bounds one TABLEDATA row (<TR>...</TR>) held at once.
const maxRowBytes = 64 << 20

// maxCellBytes bounds one BINARY cell.
const maxCellBytes = 1 << 20

// meterRows is how often (in rows) a reader checks the memory budget.
const meterRows = 4096

// scanner is a growing window over a reader: buf[pos:] is unread. It
// holds at most one row (maxRowBytes) plus a read chunk.
type scanner struct {
	r   io.Reader
	buf []byte
	pos int
	eof bool
	err error
}

// fill reads one more chunk; false at the end of the input.
func (s *scanner) fill() bool {
	if s.eof {
		return false
	}
	if s.pos > 0 {
		n := copy(s.buf, s.buf[s.pos:])
		s.buf, s.pos = s.buf[:n], 0
	}
	if cap(s.buf)-len(s.buf) < readChunk {
		s.buf = append(make([]byte, 0, 2*cap(s.buf)+readChunk), s.buf...)
	}
	n, err := io.ReadFull(s.r, s.buf[len(s.buf):cap(s.buf)])
	s.buf = s.buf[:len(s.buf)+n]
	if err != nil {
		s.eof = true
		if err != io.EOF && err != io.ErrUnexpectedEOF {
			s.err = err
		}
	}
	return n > 0 || !s.eof
}

// index finds pat in the unread bytes, reading more as needed; the
// result is relative to pos, -1 if the input ends (or limit bytes pass)
// without it.
func (s *scanner) index(pat []byte, limit int) int {
	from := 0
	for {
		if i := bytes.Index(s.buf[s.pos+from:], pat); i >= 0 {
			return from + i
		}
		from = max(len(s.buf)-s.pos-len(pat)+1, 0)
		if from > limit || !s.fill() {
			return -1
		}
	}
}

// skipSpace skips white space and reports whether bytes remain.
func (s *scanner) skipSpace() bool {
	for {
		for s.pos < len(s.buf) && isSpace(s.buf[s.pos]) {
			s.pos++
		}
		if s.pos < len(s.buf) || !s.fill() {
			return s.pos < len(s.buf)
		}
	}
}

// has reports whether the unread bytes start with p.
func (s *scanner) has(p string) bool {
	for len(s.buf)-s.pos < len(p) {
		if !s.fill() {
			break
		}
	}
	return bytes.HasPrefix(s.buf[s.pos:], []byte(p))
}

// readTableData reads <TABLEDATA> rows into the fields' columns (the
// scanner starts at "<TABLEDATA"). A hand-written scanner: TABLEDATA is
// regular (TR holding TD), and encoding/xml is far too slow for a
// million rows.
func readTableData(s *scanner, t *Table, fields []*field, m *meter) error {
	end := s.index([]byte(">"), maxRowBytes)
	if end < 0 {
		return truncated(s, "TABLEDATA")
	}
	selfClosed := end > 0 && s.buf[s.pos+end-1] == '/'
	s.pos += end + 1
	if selfClosed {
		return nil
	}
	var scratch []byte
	for rows := 0; ; rows++ {
		if rows%meterRows == 0 {
			if err := m.need(used(t.Columns)); err != nil {
				return err
			}
		}
		if !s.skipSpace() {
			return truncated(s, "TABLEDATA")
		}
		switch {
		case s.has("</TABLEDATA"):
			t.Rows = rows
			return m.need(used(t.Columns))
		case s.has("<!--"):
			if err := s.skipComment(); err != nil {
				return err
			}
			rows--
		case s.has("<TR"):
			// Parse every complete row in the buffer at once: the rows
			// end at the last "</TR>" in it.
			if s.index([]byte("</TR>"), maxRowBytes) < 0 {
				return rowError(s, rows)
			}
			last := bytes.LastIndex(s.buf[s.pos:], []byte("</TR>")) + len("</TR>")
			n, rest, err := parseRows(s.buf[s.pos:s.pos+last], fields, &scratch)
			if err != nil {
				return fmt.Errorf("%w: row %d: %v", ErrBadFile, rows+n+1, err)
			}
			s.pos += last - len(rest)
			rows += n - 1
		default:
			return fmt.Errorf("%w: row %d: expected <TR>, found %q", ErrBadFile, rows+1, excerpt(s.buf[s.pos:]))
		}
	}
}

func (s *scanner) skipComment() error {
	n := s.index([]byte("-->"), maxRowBytes)
	if n < 0 {
		return truncated(s, "comment")
	}
	s.pos += n + 3
	return nil
}

func truncated(s *scanner, what string) error {
	if s.err != nil {
		return fmt.Errorf("read VOTable %s: %w", what, s.err)
	}
	return fmt.Errorf("%w: the file ends inside %s", ErrBadFile, what)
}

func rowError(s *scanner, rows int) error {
	if len(s.buf)-s.pos > maxRowBytes {
		return fmt.Errorf("%w: row %d is longer than %d bytes", ErrUnsupported, rows+1, maxRowBytes)
	}
	return truncated(s, "a row")
}

func excerpt(b []byte) string {
	return string(b[:min(len(b), 20)])
}

// parseRows parses the rows at the start of text (white space and
// comments between them), up to the first thing that is not a row; it
// returns how many it parsed and the text after them.
func parseRows(text []byte, fields []*field, scratch *[]byte) (int, []byte, error) {
	n := 0
	for {
		text = trimLeft(text)
		switch {
		case bytes.HasPrefix(text, []byte("<TR")):
		case bytes.HasPrefix(text, []byte("<!--")):
			j := bytes.Index(text, []byte("-->"))
			if j < 0 {
				return n, text, nil
			}
			text = text[j+3:]
			continue
		default:
			return n, text, nil
		}
		rest, err := parseRow(text, fields, scratch)
		if err != nil {
			return n, text, err
		}
		text = rest
		n++
		if n%meterRows == 0 {
			return n, text, nil // let the caller check the budget
		}
	}
}

// parseRow parses one row from "<TR" up to its "</TR>", appending one
// value to every column (missing cells are empty, as the reference's
// PopulateRows fills them), and returns the text after it.
func parseRow(row []byte, fields []*field, scratch *[]byte) ([]byte, error) {
	i := bytes.IndexByte(row, '>')
	if i < 0 {
		return nil, fmt.Errorf("unclosed <TR")
	}
	row = row[i+1:]
	col := 0
	for {
		row = trimLeft(row)
		if bytes.HasPrefix(row, []byte("</TR>")) {
			row = row[len("</TR>"):]
			break
		}
		if bytes.HasPrefix(row, []byte("<!--")) {
			j := bytes.Index(row, []byte("-->"))
			if j < 0 {
				return nil, fmt.Errorf("unclosed comment")
			}
			row = row[j+3:]
			continue
		}
		if !bytes.HasPrefix(row, []byte("<TD")) {
			return nil, fmt.Errorf("expected <TD> or </TR>, found %q", excerpt(row))
		}
		cell, rest, err := cellText(row)
		if err != nil {
			return nil, err
		}
		row = rest
		if col < len(fields) {
			*scratch, err = unescape((*scratch)[:0], cell)
			if err != nil {
				return nil, err
			}
			fields[col].col.appendText(*scratch)
		}
		col++
	}
	for ; col < len(fields); col++ {
		fields[col].col.appendNull()
	}
	return row, nil
}

// cellText splits "<TD ...>text</TD>rest" (or "<TD/>rest").
func cellText(row []byte) (cell, rest []byte, err error) {
	i := bytes.IndexByte(row, '>')
	if i < 0 {
		return nil, nil, fmt.Errorf("unclosed <TD")
	}
	if row[i-1] == '/' {
		return nil, row[i+1:], nil
	}
	row = row[i+1:]
	j := bytes.IndexByte(row, '<') // the end tag, unless the cell holds CDATA
	if j < 0 || !bytes.HasPrefix(row[j:], []byte("</TD>")) {
		j = bytes.Index(row, []byte("</TD>"))
	}
	if j < 0 {
		return nil, nil, fmt.Errorf("<TD> without </TD>")
	}
	return row[:j], row[j+len("</TD>"):], nil
}

func trimLeft(b []byte) []byte {
	for len(b) > 0 && isSpace(b[0]) {
		b = b[1:]
	}
	return b
}

// unescape appends text with XML entities and CDATA sections resolved.
func unescape(dst, text []byte) ([]byte, error) {
	if bytes.IndexByte(text, '&') < 0 && bytes.IndexByte(text, '<') < 0 {
		return append(dst, text...), nil
	}
	for len(text) > 0 {
		switch text[0] {
		case '&':
			j := bytes.IndexByte(text, ';')
			if j < 0 {
				return dst, fmt.Errorf("unterminated entity")
			}
			var err error
			if dst, err = entity(dst, text[1:j]); err != nil {
				return dst, err
			}
			text = text[j+1:]
		case '<':
			if !bytes.HasPrefix(text, []byte("<![CDATA[")) {
				return dst, fmt.Errorf("markup inside <TD>")
			}
			text = text[len("<![CDATA["):]
			j := bytes.Index(text, []byte("]]>"))
			if j < 0 {
				return dst, fmt.Errorf("unterminated CDATA")
			}
			dst = append(dst, text[:j]...)
			text = text[j+3:]
		default:
			dst = append(dst, text[0])
			text = text[1:]
		}
	}
	return dst, nil
}

func entity(dst, name []byte) ([]byte, error) {
	switch string(name) {
	case "lt":
		return append(dst, '<'), nil
	case "gt":
		return append(dst, '>'), nil
	case "amp":
		return append(dst, '&'), nil
	case "quot":
		return append(dst, '"'), nil
	case "apos":
		return append(dst, '\''), nil
	}
	if len(name) > 1 && name[0] == '#' {
		base, digits := 10, name[1:]
		if digits[0] == 'x' {
			base, digits = 16, digits[1:]
		}
		v, err := strconv.ParseUint(string(digits), base, 32)
		if err == nil && utf8.ValidRune(rune(v)) {
			return utf8.AppendRune(dst, rune(v)), nil
		}
	}
	return dst, fmt.Errorf("unknown entity &%s;", excerpt(name))
}
