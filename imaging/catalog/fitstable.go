package catalog

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"

	"cartago/imaging/fits"
)

const (
	fitsBlock = 2880
	// maxFITSHeader bounds one header read while looking for the table.
	maxFITSHeader = fits.MaxCards * 80
	// fitsChunk is the table bytes decoded at a time.
	fitsChunk = 4 << 20
)

// readFITSTable reads the first table extension of a FITS file, binary
// or ASCII (the reference opens the first table HDU with cfitsio's
// fits_open_table).
func readFITSTable(r io.ReaderAt, size int64, m *meter, headerOnly bool) (*Table, error) {
	for off := int64(0); off < size; {
		h, hlen, err := readFITSHeader(r, off, size)
		if err != nil {
			return nil, err
		}
		dataLen, err := fitsDataLen(h)
		if err != nil {
			return nil, err
		}
		dataOff := off + int64(hlen)
		switch xt, _ := h.String("XTENSION"); strings.TrimSpace(xt) {
		case "BINTABLE":
			return readBinTable(r, h, dataOff, size, m, headerOnly)
		case "TABLE":
			return readASCIITable(r, h, dataOff, size, m, headerOnly)
		}
		off = dataOff + (dataLen+fitsBlock-1)/fitsBlock*fitsBlock
	}
	return nil, fmt.Errorf("%w: the FITS file has no table", ErrNotCatalog)
}

// readFITSHeader reads the header at off, growing the read until its
// END card is in.
func readFITSHeader(r io.ReaderAt, off, size int64) (*fits.Header, int, error) {
	var buf []byte
	for n := int64(fitsBlock); ; n = min(2*n, maxFITSHeader) {
		n = min(n, size-off)
		if n < fitsBlock {
			return nil, 0, fmt.Errorf("%w: FITS header at byte %d is truncated", ErrBadFile, off)
		}
		if int64(len(buf)) < n {
			buf = make([]byte, n)
			if _, err := r.ReadAt(buf, off); err != nil && err != io.EOF {
				return nil, 0, fmt.Errorf("read FITS header: %w", err)
			}
		}
		h, hlen, err := fits.ParseHeader(buf)
		if err == nil {
			return h, hlen, nil
		}
		if !errors.Is(err, fits.ErrTruncated) || n >= size-off || n >= maxFITSHeader {
			return nil, 0, fmt.Errorf("%w: FITS header at byte %d: %v", ErrBadFile, off, err)
		}
	}
}

// fitsDataLen is the data size of an HDU (standard 4.0, eq. 2 and 4),
// with overflow checks.
func fitsDataLen(h *fits.Header) (int64, error) {
	bitpix, _ := h.Int("BITPIX")
	naxis, _ := h.Int("NAXIS")
	if naxis < 0 || naxis > 999 || (bitpix != 8 && bitpix != 16 && bitpix != 32 && bitpix != 64 && bitpix != -32 && bitpix != -64) {
		return 0, fmt.Errorf("%w: BITPIX %d, NAXIS %d", ErrBadFile, bitpix, naxis)
	}
	if naxis == 0 {
		return 0, nil
	}
	n := int64(1)
	for i := 1; i <= int(naxis); i++ {
		v, ok := h.Int("NAXIS" + strconv.Itoa(i))
		if i == 1 && v == 0 { // random groups
			continue
		}
		if !ok || v < 0 || (v > 0 && n > math.MaxInt64/8/v) {
			return 0, fmt.Errorf("%w: NAXIS%d", ErrBadFile, i)
		}
		n *= v
	}
	pcount, _ := h.Int("PCOUNT")
	gcount, ok := h.Int("GCOUNT")
	if !ok {
		gcount = 1
	}
	if pcount < 0 || gcount < 0 || pcount > math.MaxInt64/16 || gcount > math.MaxInt32 {
		return 0, fmt.Errorf("%w: PCOUNT %d GCOUNT %d", ErrBadFile, pcount, gcount)
	}
	w := int64(abs64(bitpix) / 8)
	total := n + pcount
	if total > math.MaxInt64/w/max(gcount, 1) {
		return 0, fmt.Errorf("%w: data size overflows", ErrBadFile)
	}
	return w * gcount * total, nil
}

func abs64(v int64) int64 {
	if v < 0 {
		return -v
	}
	return v
}

// fitsCol is how one TFORM column is decoded.
type fitsCol struct {
	col     *Column
	off     int  // byte offset in the row
	width   int  // bytes in the row
	code    byte // TFORM type letter
	scale   float64
	zero    float64
	tnull   int64
	hasNull bool
	scaled  bool // integers to Double: scaling or TNULL
	flip    bool // unsigned (or signed byte) convention: flip the sign bit
}

// tableShape reads what binary and ASCII table headers share: row
// length, rows and fields, and an empty table named by EXTNAME.
func tableShape(h *fits.Header) (rowLen, rows, nf int64, t *Table, err error) {
	rowLen, _ = h.Int("NAXIS1")
	rows, _ = h.Int("NAXIS2")
	nf, _ = h.Int("TFIELDS")
	if nf <= 0 || nf > 999 {
		return 0, 0, 0, nil, fmt.Errorf("%w: TFIELDS = %d", ErrBadFile, nf)
	}
	t = &Table{Type: FITSTable}
	if name, ok := h.String("EXTNAME"); ok {
		t.Description = strings.TrimSpace(name)
	}
	return rowLen, rows, nf, t, nil
}

func readBinTable(r io.ReaderAt, h *fits.Header, dataOff, size int64, m *meter, headerOnly bool) (*Table, error) {
	rowLen, rows, nf, t, err := tableShape(h)
	if err != nil {
		return nil, err
	}
	cols := make([]*fitsCol, 0, nf)
	off := 0
	for i := 1; i <= int(nf); i++ {
		fc, err := newFITSCol(h, i, off)
		if err != nil {
			return nil, err
		}
		off += fc.width
		cols = append(cols, fc)
		t.Columns = append(t.Columns, fc.col)
	}
	if int64(off) != rowLen {
		return nil, fmt.Errorf("%w: NAXIS1 = %d but the TFORMs add up to %d bytes", ErrBadFile, rowLen, off)
	}
	if rows < 0 || (rowLen > 0 && rows > (size-dataOff)/rowLen) {
		return nil, fmt.Errorf("%w: NAXIS2 = %d rows of %d bytes do not fit in the file", ErrBadFile, rows, rowLen)
	}
	t.Rows = int(rows)
	if headerOnly || rowLen == 0 {
		return t, nil
	}
	if err := m.need(tableBytes(cols, rows)); err != nil {
		return nil, err
	}
	for _, fc := range cols {
		fc.reserve(int(rows))
	}
	return t, decodeRows(r, cols, dataOff, int(rowLen), int(rows))
}

// tableBytes is the memory the columns will hold (strings at their full
// width, an upper bound).
func tableBytes(cols []*fitsCol, rows int64) int64 {
	var n int64
	for _, fc := range cols {
		switch fc.col.Type {
		case String:
			n += rows * int64(fc.width+4)
		default:
			n += rows * int64(fc.col.width)
		}
	}
	return n
}

func (fc *fitsCol) reserve(rows int) {
	switch fc.col.Type {
	case String:
		fc.col.send = make([]uint32, 0, rows)
		fc.col.sdat = make([]byte, 0, rows*fc.width)
	case Unsupported:
	default:
		fc.col.raw = make([]byte, 0, rows*fc.col.width)
	}
}

func decodeRows(r io.ReaderAt, cols []*fitsCol, dataOff int64, rowLen, rows int) error {
	return eachRowChunk(r, dataOff, rowLen, rows, func(chunk []byte, n int) {
		for _, fc := range cols {
			if fc.plain() {
				fc.swapRows(chunk, rowLen, n)
				continue
			}
			for i := range n {
				fc.decode(chunk[i*rowLen+fc.off:][:fc.width])
			}
		}
	})
}

// eachRowChunk reads a table's rows about fitsChunk bytes at a time and
// hands each chunk (n whole rows) to fn.
func eachRowChunk(r io.ReaderAt, dataOff int64, rowLen, rows int, fn func(chunk []byte, n int)) error {
	per := max(fitsChunk/rowLen, 1)
	buf := make([]byte, min(per, rows)*rowLen)
	for done := 0; done < rows; {
		n := min(per, rows-done)
		chunk := buf[:n*rowLen]
		if _, err := r.ReadAt(chunk, dataOff+int64(done)*int64(rowLen)); err != nil && err != io.EOF {
			return fmt.Errorf("read FITS table rows: %w", err)
		}
		fn(chunk, n)
		done += n
	}
	return nil
}

// plain reports a numeric column stored as is (no scaling, nulls or
// sign flip): its values are byte-swapped in a tight loop.
func (fc *fitsCol) plain() bool {
	t := fc.col.Type
	return t != String && t != Bool && t != Unsupported && !fc.flip && !fc.scaled && fc.width == fc.col.width
}

// swapRows appends n big-endian values of a plain column.
func (fc *fitsCol) swapRows(chunk []byte, rowLen, n int) {
	c := fc.col
	w := c.width
	base := len(c.raw)
	c.raw = slices.Grow(c.raw, n*w)[:base+n*w]
	dst := c.raw[base:]
	src := chunk[fc.off:]
	switch w {
	case 1:
		for i := range n {
			dst[i] = src[i*rowLen]
		}
	case 2:
		for i := range n {
			binary.LittleEndian.PutUint16(dst[2*i:], binary.BigEndian.Uint16(src[i*rowLen:]))
		}
	case 4:
		for i := range n {
			binary.LittleEndian.PutUint32(dst[4*i:], binary.BigEndian.Uint32(src[i*rowLen:]))
		}
	case 8:
		for i := range n {
			binary.LittleEndian.PutUint64(dst[8*i:], binary.BigEndian.Uint64(src[i*rowLen:]))
		}
	}
}
