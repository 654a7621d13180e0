package fits

import (
	"strconv"
	"strings"
)

// CardLen is the length of one header card; BlockLen of one FITS block.
const (
	CardLen  = 80
	BlockLen = 2880
)

// ValueType is the type of a card's value.
type ValueType uint8

// Value types. TypeNone marks commentary cards (HISTORY, COMMENT, blank
// keyword, or no "= " value indicator) and keywords with an undefined
// value.
const (
	TypeNone ValueType = iota
	TypeString
	TypeInt
	TypeFloat
	TypeBool
)

// String returns "none", "string", "int", "float" or "bool".
func (t ValueType) String() string {
	switch t {
	case TypeString:
		return "string"
	case TypeInt:
		return "int"
	case TypeFloat:
		return "float"
	case TypeBool:
		return "bool"
	}
	return "none"
}

// Card is one keyword record of a header. A long string continued over
// CONTINUE cards is one Card holding the whole string.
type Card struct {
	// Name is the keyword ("CRVAL1", "HISTORY"); for HIERARCH cards it is
	// the whole text before '=' ("HIERARCH ESO DET CHIP").
	Name string
	// Value is the value as text: strings unquoted (doubled quotes undone) with
	// trailing blanks removed; numbers as written (e.g. "1.5D+02");
	// logicals "T" or "F"; for commentary cards the text after column 8.
	Value string
	// Type says how Value was parsed. Unparseable unquoted values (for
	// example complex numbers) are TypeString with the raw text.
	Type ValueType
	// Number is the numeric value of TypeInt and TypeFloat cards, 1 or 0
	// for TypeBool, else 0. Use Header.Int for exact 64-bit integers.
	Number float64
	// Comment is the text after the '/' separator, trimmed.
	Comment string
}

// isCommentary reports whether a keyword never carries a value.
func isCommentary(name string) bool {
	return name == "" || name == "COMMENT" || name == "HISTORY"
}

// parseCard parses one 80-byte card already checked to be printable
// ASCII. It never fails: anything unparseable becomes a string or a
// commentary card, as readers of real-world headers must be lenient.
func parseCard(card string) Card {
	key := strings.TrimRight(card[:8], " ")
	if key == "HIERARCH" {
		if eq := strings.IndexByte(card, '='); eq > 8 {
			c := parseValue(card[eq+1:])
			c.Name = strings.TrimSpace(card[:eq])
			return c
		}
	}
	if isCommentary(key) || card[8:10] != "= " {
		return Card{Name: key, Value: strings.TrimRight(card[8:], " ")}
	}
	c := parseValue(card[10:])
	c.Name = key
	return c
}

// parseValue parses the value field (and comment) of a card.
func parseValue(s string) Card {
	s = strings.TrimLeft(s, " ")
	if s == "" || s[0] == '/' {
		return Card{Comment: commentAfter(s)}
	}
	if s[0] == '\'' {
		v, rest := parseQuoted(s)
		return Card{Value: v, Type: TypeString, Comment: commentAfter(rest)}
	}
	tok, rest := s, ""
	if i := strings.IndexByte(s, '/'); i >= 0 {
		tok, rest = s[:i], s[i:]
	}
	tok = strings.TrimSpace(tok)
	c := Card{Value: tok, Type: TypeString, Comment: commentAfter(rest)}
	switch {
	case tok == "T" || tok == "F":
		c.Type = TypeBool
		if tok == "T" {
			c.Number = 1
		}
	case isIntText(tok):
		c.Type = TypeInt
		c.Number, _ = strconv.ParseFloat(tok, 64)
	case isFloatText(tok):
		f, err := strconv.ParseFloat(strings.NewReplacer("D", "E", "d", "E").Replace(tok), 64)
		if err == nil {
			c.Type, c.Number = TypeFloat, f
		}
	}
	return c
}

// parseQuoted parses a quoted string starting at a quote, undoing
// doubled quotes and dropping trailing blanks; it returns the value and the
// text after the closing quote. An unterminated string runs to the end.
func parseQuoted(s string) (value, rest string) {
	var b strings.Builder
	i := 1
	for i < len(s) {
		j := strings.IndexByte(s[i:], '\'')
		if j < 0 {
			b.WriteString(s[i:])
			i = len(s)
			break
		}
		b.WriteString(s[i : i+j])
		i += j + 1
		if i < len(s) && s[i] == '\'' {
			b.WriteByte('\'')
			i++
			continue
		}
		return strings.TrimRight(b.String(), " "), s[i:]
	}
	return strings.TrimRight(b.String(), " "), ""
}

// commentAfter returns the comment in s: the text after the first '/'.
func commentAfter(s string) string {
	i := strings.IndexByte(s, '/')
	if i < 0 {
		return ""
	}
	return strings.TrimSpace(s[i+1:])
}

// isIntText reports whether s is [+-]digits.
func isIntText(s string) bool {
	if s != "" && (s[0] == '+' || s[0] == '-') {
		s = s[1:]
	}
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// isFloatText reports whether s uses only the characters of a FITS
// real number, so that strconv never sees "Inf", "NaN" or hex floats.
func isFloatText(s string) bool {
	digits := false
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c >= '0' && c <= '9':
			digits = true
		case c == '+' || c == '-' || c == '.' || c == 'E' || c == 'e' || c == 'D' || c == 'd':
		default:
			return false
		}
	}
	return digits
}
