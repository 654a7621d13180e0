package catalog

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"io"
	"unicode/utf16"
)

// readBinary reads a BINARY or BINARY2 base64 STREAM (the scanner
// starts at "<BINARY"). BINARY2 rows start with a bit per field, set
// for nulls.
func readBinary(s *scanner, t *Table, fields []*field, m *meter, nullFlags bool) error {
	i := s.index([]byte("<STREAM"), maxHeaderBytes)
	if i < 0 {
		return truncated(s, "BINARY (no STREAM)")
	}
	s.pos += i
	end := s.index([]byte(">"), maxHeaderBytes)
	if end < 0 {
		return truncated(s, "STREAM")
	}
	tag := s.buf[s.pos : s.pos+end]
	s.pos += end + 1
	if bytes.Contains(tag, []byte("href")) {
		return fmt.Errorf("%w: VOTable STREAM in an external file", ErrUnsupported)
	}
	if !bytes.Contains(tag, []byte("base64")) {
		return fmt.Errorf("%w: VOTable STREAM encoding other than base64", ErrUnsupported)
	}
	if tag[len(tag)-1] == '/' {
		return nil
	}
	r := bufio.NewReaderSize(base64.NewDecoder(base64.StdEncoding, &streamText{s: s}), readChunk)
	return readBinaryRows(r, t, fields, m, nullFlags)
}

func readBinaryRows(r *bufio.Reader, t *Table, fields []*field, m *meter, nullFlags bool) error {
	if !nullFlags && zeroWidth(fields) {
		return fmt.Errorf("%w: BINARY rows of zero bytes", ErrBadFile)
	}
	flags := make([]byte, (len(fields)+7)/8)
	var cell []byte
	for rows := 0; ; rows++ {
		if rows%meterRows == 0 {
			if err := m.need(used(t.Columns)); err != nil {
				return err
			}
		}
		if _, err := r.Peek(1); err == io.EOF {
			t.Rows = rows
			return m.need(used(t.Columns))
		}
		if nullFlags {
			if _, err := io.ReadFull(r, flags); err != nil {
				return binaryError(rows, err)
			}
		}
		for i, f := range fields {
			var err error
			if cell, err = f.read(r, cell); err != nil {
				return binaryError(rows, err)
			}
			if nullFlags && flags[i/8]&(0x80>>(i%8)) != 0 {
				f.col.appendNull()
				continue
			}
			f.store(cell)
		}
	}
}

func binaryError(rows int, err error) error {
	if err == io.EOF || err == io.ErrUnexpectedEOF {
		return fmt.Errorf("%w: the BINARY stream ends inside row %d", ErrBadFile, rows+1)
	}
	return fmt.Errorf("%w: BINARY row %d: %v", ErrBadFile, rows+1, err)
}

// read reads one cell's bytes into buf.
func (f *field) read(r *bufio.Reader, buf []byte) ([]byte, error) {
	n := f.count
	if f.variable {
		var prefix [4]byte
		if _, err := io.ReadFull(r, prefix[:]); err != nil {
			return buf, err
		}
		v := binary.BigEndian.Uint32(prefix[:])
		if v > maxCellBytes {
			return buf, fmt.Errorf("field %q: array of %d elements", f.col.Name, v)
		}
		n *= int(v)
	}
	size := n * f.elem
	if f.datatype == "bit" {
		size = (n + 7) / 8
	}
	if size > maxCellBytes || (f.elem == 0 && f.datatype != "bit") {
		return buf, fmt.Errorf("field %q: unknown datatype %q or cell over %d bytes", f.col.Name, f.datatype, maxCellBytes)
	}
	if cap(buf) < size {
		buf = make([]byte, size)
	}
	buf = buf[:size]
	_, err := io.ReadFull(r, buf)
	return buf, err
}

// store appends a cell read by read to the column.
func (f *field) store(cell []byte) {
	c := f.col
	switch c.Type {
	case Unsupported:
	case String:
		c.appendString(binaryString(cell, f.datatype == "unicodeChar"))
	case Bool:
		switch cell[0] {
		case 'T', 't', '1':
			c.appendInt(1)
		default:
			c.appendInt(0)
		}
	default:
		c.appendBE(cell)
	}
}

// binaryString ends a string at its first NUL; unicodeChar is UCS-2.
func binaryString(b []byte, ucs2 bool) []byte {
	if !ucs2 {
		if i := bytes.IndexByte(b, 0); i >= 0 {
			b = b[:i]
		}
		return b
	}
	units := make([]uint16, 0, len(b)/2)
	for i := 0; i+1 < len(b); i += 2 {
		u := binary.BigEndian.Uint16(b[i:])
		if u == 0 {
			break
		}
		units = append(units, u)
	}
	return []byte(string(utf16.Decode(units)))
}

// streamText reads the base64 text of a STREAM up to its closing tag,
// dropping white space (base64.NewDecoder skips only newlines).
type streamText struct {
	s    *scanner
	done bool
}

func (st *streamText) Read(p []byte) (int, error) {
	s := st.s
	n := 0
	for n < len(p) && !st.done {
		if s.pos >= len(s.buf) && !s.fill() {
			if s.err != nil {
				return n, s.err
			}
			return n, io.ErrUnexpectedEOF
		}
		for s.pos < len(s.buf) && n < len(p) {
			ch := s.buf[s.pos]
			if ch == '<' {
				st.done = true
				break
			}
			s.pos++
			if !isSpace(ch) {
				p[n] = ch
				n++
			}
		}
	}
	if n == 0 && st.done {
		return 0, io.EOF
	}
	return n, nil
}

// zeroWidth reports rows that take no bytes, which a stream could
// repeat without end.
func zeroWidth(fields []*field) bool {
	for _, f := range fields {
		if f.variable || f.count*f.elem > 0 || (f.datatype == "bit" && f.count > 0) {
			return false
		}
	}
	return true
}
