package catalog

import (
	"bufio"
	"fmt"
	"io"
	"strings"
)

// fitsForm is a column's TFORM letter and, for unsigned types, TZERO.
var fitsForm = map[Type]struct {
	code  string
	tzero string
}{
	Bool: {"L", ""}, Uint8: {"B", ""}, Int8: {"B", "-128"}, Int16: {"I", ""}, Uint16: {"I", "32768"},
	Int32: {"J", ""}, Uint32: {"J", "2147483648"}, Int64: {"K", ""}, Uint64: {"K", "9223372036854775808"},
	Float: {"E", ""}, Double: {"D", ""},
}

// WriteFITSTable writes s as a FITS file: an empty primary HDU and one
// BINTABLE. Extra holds more cards for the table header, already
// formatted by Card.
func WriteFITSTable(w io.Writer, s *Spec, extra ...string) error {
	bw := bufio.NewWriterSize(w, 1<<20)
	writeHeader(bw, []string{Card("SIMPLE", "T"), Card("BITPIX", "8"), Card("NAXIS", "0"), Card("EXTEND", "T")})
	widths := make([]int, len(s.Columns))
	cards := []string{Card("XTENSION", "'BINTABLE'"), Card("BITPIX", "8"), Card("NAXIS", "2"), "", "",
		Card("PCOUNT", "0"), Card("GCOUNT", "1"), Card("TFIELDS", fmt.Sprint(len(s.Columns)))}
	if s.Description != "" {
		cards = append(cards, Card("EXTNAME", quote(s.Description)))
	}
	rowLen := 0
	for i, c := range s.Columns {
		n := i + 1
		form := fitsForm[c.Type]
		widths[i] = c.Type.width()
		if c.Type == String {
			widths[i] = 1
			for _, v := range c.Strings {
				widths[i] = max(widths[i], len(v))
			}
			form.code = fmt.Sprintf("%dA", widths[i])
		}
		if form.code == "" {
			return fmt.Errorf("catalog: FITS has no type for column %q", c.Name)
		}
		rowLen += widths[i]
		cards = append(cards, Card(fmt.Sprintf("TTYPE%d", n), quote(c.Name)), Card(fmt.Sprintf("TFORM%d", n), quote(form.code)))
		if form.tzero != "" {
			cards = append(cards, Card(fmt.Sprintf("TZERO%d", n), form.tzero))
		}
		if c.Unit != "" {
			cards = append(cards, Card(fmt.Sprintf("TUNIT%d", n), quote(c.Unit)))
		}
		if c.Description != "" {
			cards = append(cards, Card(fmt.Sprintf("TCOMM%d", n), quote(c.Description)))
		}
		if c.UCD != "" {
			cards = append(cards, Card(fmt.Sprintf("TUCD%d", n), quote(c.UCD)))
		}
	}
	cards[3], cards[4] = Card("NAXIS1", fmt.Sprint(rowLen)), Card("NAXIS2", fmt.Sprint(s.rows()))
	writeHeader(bw, append(cards, extra...))
	row := make([]byte, 0, rowLen)
	for r := range s.rows() {
		row = row[:0]
		for i, c := range s.Columns {
			row = appendFITSCell(row, c, widths[i], r)
		}
		bw.Write(row)
	}
	if pad := (fitsBlock - (rowLen*s.rows())%fitsBlock) % fitsBlock; pad > 0 {
		bw.Write(make([]byte, pad))
	}
	return bw.Flush()
}

func appendFITSCell(row []byte, c SpecColumn, width, r int) []byte {
	switch c.Type {
	case String:
		return append(row, (c.Strings[r] + strings.Repeat(" ", width))[:width]...)
	case Bool:
		return append(row, map[bool]byte{true: 'T', false: 'F'}[c.Values[r] != 0])
	case Int8:
		return append(row, byte(int8(c.Values[r]))^0x80)
	case Uint16, Uint32, Uint64:
		n := len(row)
		row = appendBE(row, c.Type, c.Values[r])
		row[n] ^= 0x80
		return row
	}
	return appendBE(row, c.Type, c.Values[r])
}

// Card formats a FITS card with a value already in FITS syntax
// ("'text'", "T", "12").
func Card(name, value string) string {
	if strings.HasPrefix(value, "'") {
		return fmt.Sprintf("%-8s= %-20s", name, value)
	}
	return fmt.Sprintf("%-8s= %20s", name, value)
}

func quote(s string) string {
	s = strings.ReplaceAll(s, "'", "''")
	return "'" + s + strings.Repeat(" ", max(8-len(s), 0)) + "'"
}

func writeHeader(bw *bufio.Writer, cards []string) {
	n := 0
	for _, c := range append(cards, "END") {
		bw.WriteString(fmt.Sprintf("%-80s", c)[:80])
		n += 80
	}
	bw.WriteString(strings.Repeat(" ", (fitsBlock-n%fitsBlock)%fitsBlock))
}
