package fits

import (
	"fmt"
	"math/bits"
	"strconv"
	"strings"
)

// Kind is the kind of an HDU.
type Kind uint8

// HDU kinds. The primary HDU is KindImage (possibly without data).
const (
	KindImage Kind = iota
	KindBinTable
	KindTable
	KindOther
)

// String returns "IMAGE", "BINTABLE", "TABLE" or "OTHER".
func (k Kind) String() string {
	switch k {
	case KindImage:
		return "IMAGE"
	case KindBinTable:
		return "BINTABLE"
	case KindTable:
		return "TABLE"
	}
	return "OTHER"
}

// maxNaxis is the largest NAXIS the standard allows.
const maxNaxis = 999

// HDU describes one header-data unit. All fields are read-only after
// Open and safe for concurrent use.
type HDU struct {
	// Index is the 0-based position in the file (0 = primary).
	Index int
	// Kind is IMAGE for the primary HDU and IMAGE extensions.
	Kind Kind
	// XTension is the XTENSION value ("" for the primary HDU).
	XTension string
	// ExtName is the EXTNAME value, "" when absent.
	ExtName string
	// Header holds every card of the HDU.
	Header *Header
	// Bitpix is the BITPIX value: 8, 16, 32, 64, -32 or -64.
	Bitpix int
	// Naxis holds NAXIS1..NAXISn (empty when NAXIS = 0).
	Naxis []int
	// Layout is the axis layout; meaningful only when IsImage.
	Layout Layout

	dataOff  int64 // byte offset of the data unit in the file
	dataLen  int64 // data unit length without padding
	imageErr error // why an IMAGE HDU cannot be read, or nil
}

// Key returns the HDU number as text: "0", "1", ...
func (h *HDU) Key() string { return strconv.Itoa(h.Index) }

// Name returns the name the reference backend lists: "N" for the
// primary HDU and unnamed extensions, "N: EXTNAME" for named extensions.
func (h *HDU) Name() string {
	if h.Index == 0 || h.ExtName == "" {
		return h.Key()
	}
	return h.Key() + ": " + h.ExtName
}

// IsImage reports whether the HDU is an image this package can read:
// IMAGE kind, at least two axes, every axis non-empty and at most four
// non-degenerate axes. The reference lists exactly these HDUs.
func (h *HDU) IsImage() bool {
	return h.Kind == KindImage && len(h.Naxis) >= 2 && h.imageErr == nil
}

// ImageErr explains why an IMAGE HDU is not readable (nil when IsImage
// or when the HDU has fewer than two axes).
func (h *HDU) ImageErr() error { return h.imageErr }

// DataLen returns the length in bytes of the data unit, padding excluded.
func (h *HDU) DataLen() int64 { return h.dataLen }

// parseHDU parses the HDU whose header starts at b[off]. It checks the
// mandatory keywords and that the data unit lies inside b, and returns
// the HDU and the offset just after its (padded) data unit.
func parseHDU(b []byte, off int64, index int) (*HDU, int64, error) {
	hdr, n, err := ParseHeader(b[off:])
	if err != nil {
		return nil, 0, err
	}
	h := &HDU{Index: index, Header: hdr, dataOff: off + int64(n)}
	if err := h.parseFirstCard(); err != nil {
		return nil, 0, err
	}
	if err := h.parseStructure(); err != nil {
		return nil, 0, err
	}
	if err := h.sizeData(int64(len(b)) - h.dataOff); err != nil {
		return nil, 0, err
	}
	h.ExtName, _ = hdr.String("EXTNAME")
	if h.Kind == KindImage && len(h.Naxis) >= 2 {
		h.Layout, h.imageErr = newLayout(hdr, h.Naxis)
	}
	end := h.dataOff + padded(h.dataLen)
	return h, min(end, int64(len(b))), nil
}

// parseFirstCard checks SIMPLE = T (primary) or XTENSION (extensions)
// and sets Kind.
func (h *HDU) parseFirstCard() error {
	first := Card{}
	if len(h.Header.Cards) > 0 {
		first = h.Header.Cards[0]
	}
	if h.Index == 0 {
		if first.Name != "SIMPLE" || first.Type != TypeBool || first.Value != "T" {
			return fmt.Errorf("%w: first card is not SIMPLE = T", ErrNotFITS)
		}
		return nil
	}
	if first.Name != "XTENSION" || first.Type != TypeString {
		return fmt.Errorf("%w: extension header does not start with XTENSION", ErrNotFITS)
	}
	h.XTension = first.Value
	switch strings.ToUpper(first.Value) {
	case "IMAGE", "IUEIMAGE":
		h.Kind = KindImage
	case "BINTABLE", "A3DTABLE":
		h.Kind = KindBinTable
	case "TABLE":
		h.Kind = KindTable
	default:
		h.Kind = KindOther
	}
	return nil
}

// parseStructure reads BITPIX, NAXIS and NAXISn.
func (h *HDU) parseStructure() error {
	bp, ok := h.Header.Int("BITPIX")
	if !ok {
		return fmt.Errorf("%w: missing or non-integer BITPIX", ErrBadHeader)
	}
	switch bp {
	case 8, 16, 32, 64, -32, -64:
		h.Bitpix = int(bp)
	default:
		return fmt.Errorf("%w: bad BITPIX %d (want 8, 16, 32, 64, -32 or -64)", ErrBadHeader, bp)
	}
	naxis, ok := h.Header.Int("NAXIS")
	if !ok || naxis < 0 || naxis > maxNaxis {
		c, _ := h.Header.Get("NAXIS")
		return fmt.Errorf("%w: bad or missing NAXIS %q", ErrBadHeader, c.Value)
	}
	h.Naxis = make([]int, naxis)
	for i := range h.Naxis {
		key := "NAXIS" + strconv.Itoa(i+1)
		v, ok := h.Header.Int(key)
		if !ok || v < 0 || v > int64(maxInt) {
			c, _ := h.Header.Get(key)
			return fmt.Errorf("%w: bad or missing %s %q", ErrBadHeader, key, c.Value)
		}
		h.Naxis[i] = int(v)
	}
	return nil
}

const maxInt = int(^uint(0) >> 1)

// sizeData computes the data unit length from BITPIX, NAXISn, PCOUNT
// and GCOUNT and checks it against the avail bytes left in the file.
func (h *HDU) sizeData(avail int64) error {
	pcount, gcount := int64(0), int64(1)
	g, _ := h.Header.Bool("GROUPS")
	groups := h.Index == 0 && g && len(h.Naxis) > 0 && h.Naxis[0] == 0
	if h.Index > 0 || groups {
		var ok bool
		if pcount, ok = h.intOr("PCOUNT", 0); !ok || pcount < 0 {
			return fmt.Errorf("%w: bad PCOUNT", ErrBadHeader)
		}
		if gcount, ok = h.intOr("GCOUNT", 1); !ok || gcount < 0 {
			return fmt.Errorf("%w: bad GCOUNT", ErrBadHeader)
		}
	}
	if groups {
		h.Kind = KindOther // random groups: not an image
	}
	elems, ok := h.elements(groups)
	if ok {
		elems, ok = addCheck(elems, uint64(pcount))
	}
	if ok {
		elems, ok = mulCheck(elems, uint64(gcount))
	}
	if ok {
		elems, ok = mulCheck(elems, uint64(abs(h.Bitpix)/8))
	}
	if !ok || elems > 1<<62 {
		return fmt.Errorf("%w: data size from NAXISn %v overflows int64", ErrBadHeader, h.Naxis)
	}
	h.dataLen = int64(elems)
	if h.dataLen > avail {
		return fmt.Errorf("%w: data unit needs %d bytes (BITPIX %d, NAXISn %v) but only %d remain",
			ErrTruncated, h.dataLen, h.Bitpix, h.Naxis, avail)
	}
	return nil
}

// elements returns the product of NAXISn (skipping NAXIS1 for random
// groups), 0 when NAXIS = 0, and false on overflow.
func (h *HDU) elements(groups bool) (uint64, bool) {
	if len(h.Naxis) == 0 {
		return 0, true
	}
	axes := h.Naxis
	if groups {
		axes = axes[1:]
	}
	p := uint64(1)
	for _, n := range axes {
		var ok bool
		if p, ok = mulCheck(p, uint64(n)); !ok {
			return 0, false
		}
	}
	return p, true
}

// intOr returns an integer keyword, def when absent, and false when the
// keyword is present but not an integer.
func (h *HDU) intOr(name string, def int64) (int64, bool) {
	if _, present := h.Header.Get(name); !present {
		return def, true
	}
	return h.Header.Int(name)
}

func mulCheck(a, b uint64) (uint64, bool) {
	hi, lo := bits.Mul64(a, b)
	return lo, hi == 0
}

func addCheck(a, b uint64) (uint64, bool) {
	s, carry := bits.Add64(a, b, 0)
	return s, carry == 0
}

func abs(v int) int {
	if v < 0 {
		return -v
	}
	return v
}

// padded rounds n up to a whole number of blocks.
func padded(n int64) int64 {
	return (n + BlockLen - 1) / BlockLen * BlockLen
}
