package fits

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// WriteHDU describes one HDU to write. The first HDU of a file is the
// primary HDU; later ones become IMAGE extensions.
type WriteHDU struct {
	// Bitpix is 8, 16, 32, 64, -32 or -64.
	Bitpix int
	// Naxis holds NAXIS1..NAXISn, axis 1 varying fastest; empty for an
	// HDU without data.
	Naxis []int
	// ExtName is written as EXTNAME when not empty.
	ExtName string
	// BScale and BZero are written when either is non-zero (a zero
	// BScale is then written as 1).
	BScale, BZero float64
	// Blank is written as BLANK when HasBlank (integer BITPIX only).
	Blank    int64
	HasBlank bool
	// Cards are extra cards written after the structural ones, in order.
	// Structural keywords (SIMPLE, XTENSION, BITPIX, NAXIS*, EXTEND,
	// PCOUNT, GCOUNT, END, EXTNAME, BSCALE, BZERO, BLANK) are refused.
	Cards []Card
	// Data holds the raw (unscaled) values in FITS order for Write: a
	// []uint8, []int16, []int32, []int64, []float32 or []float64 that
	// matches Bitpix. The Encoder ignores it.
	Data any
}

// Write writes a FITS file: hdus[0] as the primary HDU, the rest as
// IMAGE extensions, each with its Data. It does not close w.
func Write(w io.Writer, hdus ...WriteHDU) error {
	e := NewEncoder(w)
	for _, h := range hdus {
		if err := e.WriteHeader(h); err != nil {
			return err
		}
		if h.Data != nil {
			if err := e.WriteData(h.Data); err != nil {
				return err
			}
		}
	}
	return e.Close()
}

// Encoder streams a FITS file: WriteHeader starts an HDU, WriteData
// appends raw values to its data unit (any number of calls), Close pads
// and flushes. Errors are sticky. An Encoder is not safe for concurrent
// use.
type Encoder struct {
	w       *bufio.Writer
	hdus    int   // HDUs started
	bitpix  int   // of the current HDU
	remain  int64 // data bytes still due in the current HDU
	written int64 // data bytes written in the current HDU
	scratch []byte
	err     error
}

// NewEncoder returns an Encoder writing to w through a buffer.
func NewEncoder(w io.Writer) *Encoder {
	return &Encoder{w: bufio.NewWriterSize(w, 1<<20), scratch: make([]byte, 64<<10)}
}

// WriteHeader finishes the previous HDU (failing with ErrBadData if its
// data is incomplete) and writes the header of h. It fails with
// ErrBadCard or ErrBadData for invalid descriptions.
func (e *Encoder) WriteHeader(h WriteHDU) error {
	if e.err != nil {
		return e.err
	}
	if err := e.finish(); err != nil {
		return e.fail(err)
	}
	hdr, size, err := headerBlock(h, e.hdus == 0)
	if err != nil {
		return e.fail(fmt.Errorf("fits: write HDU %d: %w", e.hdus, err))
	}
	e.w.WriteString(hdr)
	e.hdus++
	e.bitpix, e.remain, e.written = h.Bitpix, size, 0
	return nil
}

// headerBlock renders the padded header of h and returns it with the
// data size in bytes.
func headerBlock(h WriteHDU, primary bool) (string, int64, error) {
	cards, size, err := headerCards(h, primary)
	if err != nil {
		return "", 0, err
	}
	var b strings.Builder
	for _, c := range cards {
		recs, err := formatCard(c)
		if err != nil {
			return "", 0, err
		}
		for _, r := range recs {
			b.WriteString(r)
		}
	}
	b.WriteString(pad("END"))
	b.WriteString(strings.Repeat(" ", int(padded(int64(b.Len()))-int64(b.Len()))))
	return b.String(), size, nil
}

// FileSize returns the exact number of bytes Write produces for hdus
// (data is not needed), or the error Write would fail with.
func FileSize(hdus ...WriteHDU) (int64, error) {
	var total int64
	for i, h := range hdus {
		hdr, size, err := headerBlock(h, i == 0)
		if err != nil {
			return 0, fmt.Errorf("fits: HDU %d: %w", i, err)
		}
		total += int64(len(hdr)) + padded(size)
	}
	return total, nil
}

// Close finishes the last HDU and flushes; it does not close the
// underlying writer.
func (e *Encoder) Close() error {
	if e.err != nil {
		return e.err
	}
	if err := e.finish(); err != nil {
		return e.fail(err)
	}
	return e.fail(e.w.Flush())
}

// finish checks the current data unit is complete and pads it.
func (e *Encoder) finish() error {
	if e.hdus == 0 {
		return nil
	}
	if e.remain != 0 {
		return fmt.Errorf("fits: write HDU %d: %w: %d data bytes missing", e.hdus-1, ErrBadData, e.remain)
	}
	clear(e.scratch)
	_, err := e.w.Write(e.scratch[:padded(e.written)-e.written])
	e.written = 0
	return err
}

func (e *Encoder) fail(err error) error {
	if err != nil && e.err == nil {
		e.err = err
	}
	return err
}

// headerCards returns the cards of an HDU and its data size in bytes.
func headerCards(h WriteHDU, primary bool) ([]Card, int64, error) {
	switch h.Bitpix {
	case 8, 16, 32, 64, -32, -64:
	default:
		return nil, 0, fmt.Errorf("%w: bad BITPIX %d", ErrBadData, h.Bitpix)
	}
	size, err := dataSize(h)
	if err != nil {
		return nil, 0, err
	}
	var cs []Card
	if primary {
		cs = append(cs, NewBoolCard("SIMPLE", true, "conforms to FITS standard"))
	} else {
		cs = append(cs, NewStringCard("XTENSION", "IMAGE", "image extension"))
	}
	cs = append(cs, NewIntCard("BITPIX", int64(h.Bitpix), "bits per data value"),
		NewIntCard("NAXIS", int64(len(h.Naxis)), "number of axes"))
	for i, n := range h.Naxis {
		cs = append(cs, NewIntCard("NAXIS"+strconv.Itoa(i+1), int64(n), ""))
	}
	if primary {
		cs = append(cs, NewBoolCard("EXTEND", true, "extensions may follow"))
	} else {
		cs = append(cs, NewIntCard("PCOUNT", 0, ""), NewIntCard("GCOUNT", 1, ""))
	}
	cs, err = appendOptional(cs, h)
	if err != nil {
		return nil, 0, err
	}
	for _, c := range h.Cards {
		if reservedKeyword(c.Name) {
			return nil, 0, fmt.Errorf("%w: %s is written by the encoder", ErrBadCard, c.Name)
		}
	}
	return append(cs, h.Cards...), size, nil
}

// appendOptional adds EXTNAME, BSCALE/BZERO and BLANK.
func appendOptional(cs []Card, h WriteHDU) ([]Card, error) {
	if h.ExtName != "" {
		cs = append(cs, NewStringCard("EXTNAME", h.ExtName, "extension name"))
	}
	if h.BScale != 0 || h.BZero != 0 {
		scale := h.BScale
		if scale == 0 {
			scale = 1
		}
		cs = append(cs, NewFloatCard("BSCALE", scale, "physical = BZERO + BSCALE * array"),
			NewFloatCard("BZERO", h.BZero, ""))
	}
	if h.HasBlank {
		lo, hi := intRange(h.Bitpix)
		if h.Bitpix < 0 || h.Blank < lo || h.Blank > hi {
			return nil, fmt.Errorf("%w: BLANK %d does not fit BITPIX %d", ErrBadCard, h.Blank, h.Bitpix)
		}
		cs = append(cs, NewIntCard("BLANK", h.Blank, "raw value of blank pixels"))
	}
	return cs, nil
}

// dataSize returns the data unit size, checking the axes.
func dataSize(h WriteHDU) (int64, error) {
	if len(h.Naxis) > maxNaxis {
		return 0, fmt.Errorf("%w: %d axes", ErrBadData, len(h.Naxis))
	}
	if len(h.Naxis) == 0 {
		return 0, nil
	}
	p := uint64(abs(h.Bitpix) / 8)
	for i, n := range h.Naxis {
		var ok bool
		if p, ok = mulCheck(p, uint64(n)); n < 0 || !ok || p > 1<<62 {
			return 0, fmt.Errorf("%w: bad NAXIS%d %d", ErrBadData, i+1, n)
		}
	}
	return int64(p), nil
}

// reservedKeyword reports keywords the encoder writes itself.
func reservedKeyword(name string) bool {
	switch name {
	case "SIMPLE", "XTENSION", "BITPIX", "EXTEND", "PCOUNT", "GCOUNT", "END",
		"EXTNAME", "BSCALE", "BZERO", "BLANK", "CONTINUE":
		return true
	}
	return strings.HasPrefix(name, "NAXIS")
}
