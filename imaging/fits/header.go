package fits

import (
	"fmt"
	"strconv"
	"strings"
)

// Header is the ordered list of cards of one HDU, END excluded. It is
// read-only after parsing and safe for concurrent use.
type Header struct {
	// Cards in file order; a long string with its CONTINUE cards is one
	// Card, and blank cards are dropped.
	Cards []Card
	index map[string]int // first card of each valued keyword
}

// MaxCards bounds the number of cards in one header (the largest real
// headers, long HISTORY logs, hold tens of thousands).
const MaxCards = 1 << 20

// ParseHeader parses the header starting at b[0]: 80-byte cards in
// 2880-byte blocks up to the END card. It returns the header and its
// length in bytes (a multiple of 2880). It does not check mandatory
// keywords; Open does.
//
// Errors: ErrTruncated when b ends before the END card's block does;
// ErrBadHeader when a card holds a byte outside printable ASCII (which
// also catches a header without END running into binary data);
// ErrUnsupported beyond MaxCards cards. Nothing is allocated before
// the END card has been found.
func ParseHeader(b []byte) (*Header, int, error) {
	end, err := findEnd(b)
	if err != nil {
		return nil, 0, err
	}
	h := &Header{index: make(map[string]int)}
	for off := 0; off < end; off += CardLen {
		h.add(string(b[off : off+CardLen]))
	}
	return h, (end/BlockLen + 1) * BlockLen, nil
}

// findEnd returns the offset of the END card after checking that every
// card before it is text and that its block is complete.
func findEnd(b []byte) (int, error) {
	for off := 0; ; off += CardLen {
		if off+CardLen > len(b) {
			return 0, fmt.Errorf("%w: no END card in the %d header bytes", ErrTruncated, len(b))
		}
		if off/CardLen >= MaxCards {
			return 0, fmt.Errorf("%w: header has more than %d cards", ErrUnsupported, MaxCards)
		}
		raw := b[off : off+CardLen]
		if i := nonText(raw); i >= 0 {
			return 0, fmt.Errorf("%w: byte 0x%02x at offset %d is not ASCII text (missing END card?)",
				ErrBadHeader, raw[i], off+i)
		}
		if string(raw[:3]) == "END" && strings.TrimRight(string(raw[3:8]), " ") == "" {
			if n := (off/BlockLen + 1) * BlockLen; n > len(b) {
				return 0, fmt.Errorf("%w: header block ends at byte %d, file has %d", ErrTruncated, n, len(b))
			}
			return off, nil
		}
	}
}

// nonText returns the index of the first byte outside ASCII 32..126, or -1.
func nonText(b []byte) int {
	for i, c := range b {
		if c < ' ' || c > '~' {
			return i
		}
	}
	return -1
}

// add appends one raw card, joining CONTINUE cards to a long string.
func (h *Header) add(card string) {
	if strings.TrimSpace(card) == "" {
		return
	}
	if strings.HasPrefix(card, "CONTINUE") && h.continueString(card) {
		return
	}
	c := parseCard(card)
	if c.Type != TypeNone || !isCommentary(c.Name) {
		if _, dup := h.index[c.Name]; !dup {
			h.index[c.Name] = len(h.Cards)
		}
	}
	h.Cards = append(h.Cards, c)
}

// continueString appends a CONTINUE card to the previous card when that
// is a string ending in '&' (the long-string convention) and reports
// whether it did; otherwise the CONTINUE card stands alone as commentary.
func (h *Header) continueString(card string) bool {
	if len(h.Cards) == 0 {
		return false
	}
	prev := &h.Cards[len(h.Cards)-1]
	if prev.Type != TypeString || !strings.HasSuffix(prev.Value, "&") {
		return false
	}
	s := strings.TrimLeft(card[8:], " ")
	if s == "" || s[0] != '\'' {
		return false
	}
	c := parseValue(s)
	prev.Value = prev.Value[:len(prev.Value)-1] + c.Value
	if c.Comment != "" {
		prev.Comment = strings.TrimSpace(prev.Comment + " " + c.Comment)
	}
	return true
}

// Len returns the number of cards.
func (h *Header) Len() int { return len(h.Cards) }

// Get returns the first card with a value for the keyword name.
func (h *Header) Get(name string) (Card, bool) {
	i, ok := h.index[name]
	if !ok {
		return Card{}, false
	}
	return h.Cards[i], true
}

// String returns the value of a string keyword.
func (h *Header) String(name string) (string, bool) {
	c, ok := h.Get(name)
	if !ok || c.Type != TypeString {
		return "", false
	}
	return c.Value, true
}

// Int returns the exact value of an integer keyword; ok is false when
// the keyword is missing, not an integer, or does not fit in int64.
func (h *Header) Int(name string) (int64, bool) {
	c, ok := h.Get(name)
	if !ok || c.Type != TypeInt {
		return 0, false
	}
	v, err := strconv.ParseInt(c.Value, 10, 64)
	return v, err == nil
}

// Float returns the value of an integer or real keyword.
func (h *Header) Float(name string) (float64, bool) {
	c, ok := h.Get(name)
	if !ok || (c.Type != TypeInt && c.Type != TypeFloat) {
		return 0, false
	}
	return c.Number, true
}

// Bool returns the value of a logical keyword.
func (h *Header) Bool(name string) (bool, bool) {
	c, ok := h.Get(name)
	if !ok || c.Type != TypeBool {
		return false, false
	}
	return c.Value == "T", true
}

// floatOr returns the numeric keyword name, or def when it is absent.
func (h *Header) floatOr(name string, def float64) float64 {
	if v, ok := h.Float(name); ok {
		return v
	}
	return def
}
