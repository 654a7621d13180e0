package fits

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Card constructors for the Encoder.

// NewStringCard returns a string-valued card; values longer than one
// card are written with CONTINUE cards.
func NewStringCard(name, value, comment string) Card {
	return Card{Name: name, Value: value, Type: TypeString, Comment: comment}
}

// NewIntCard returns an integer-valued card.
func NewIntCard(name string, value int64, comment string) Card {
	return Card{Name: name, Value: strconv.FormatInt(value, 10), Type: TypeInt, Number: float64(value), Comment: comment}
}

// NewFloatCard returns a real-valued card. The value must be finite.
func NewFloatCard(name string, value float64, comment string) Card {
	return Card{Name: name, Value: formatFloat(value), Type: TypeFloat, Number: value, Comment: comment}
}

// NewBoolCard returns a logical card (T or F).
func NewBoolCard(name string, value bool, comment string) Card {
	c := Card{Name: name, Value: "F", Type: TypeBool, Comment: comment}
	if value {
		c.Value, c.Number = "T", 1
	}
	return c
}

// NewCommentCard returns a commentary card: name is "HISTORY",
// "COMMENT" or ""; text longer than 72 characters spans several cards.
func NewCommentCard(name, text string) Card {
	return Card{Name: name, Value: text}
}

// formatFloat writes a finite float so that it reads back as a real:
// the shortest exact form when it fits the 20-column fixed format, else
// as many significant digits as fit.
func formatFloat(v float64) string {
	s := strconv.FormatFloat(v, 'G', -1, 64)
	for prec := 15; len(s) > valueCols && prec > 0; prec-- {
		s = strconv.FormatFloat(v, 'E', prec, 64)
	}
	if !strings.ContainsAny(s, ".EN") {
		s += ".0"
	}
	return s
}

// Field widths of the fixed format.
const (
	valueCols    = 20 // columns 11-30 hold a right-justified number
	maxQuoted    = CardLen - 10 - 2
	commentaryLn = CardLen - 8
)

// formatCard renders a card as one or more 80-character records.
func formatCard(c Card) ([]string, error) {
	if err := checkText(c.Value); err != nil {
		return nil, fmt.Errorf("%w: %s value: %v", ErrBadCard, c.Name, err)
	}
	if err := checkText(c.Comment); err != nil {
		return nil, fmt.Errorf("%w: %s comment: %v", ErrBadCard, c.Name, err)
	}
	if c.Type == TypeNone && isCommentary(c.Name) {
		return formatCommentary(c.Name, c.Value), nil
	}
	if err := checkKeyword(c.Name); err != nil {
		return nil, err
	}
	if c.Type == TypeString {
		return formatString(c), nil
	}
	v, err := numberField(c)
	if err != nil {
		return nil, err
	}
	return []string{withComment(fmt.Sprintf("%-8s= %s", c.Name, v), c.Comment)}, nil
}

// numberField returns the value field of a non-string card.
func numberField(c Card) (string, error) {
	v := c.Value
	switch c.Type {
	case TypeNone:
		return "", nil
	case TypeBool:
		if v != "T" && v != "F" {
			return "", fmt.Errorf("%w: %s: logical value %q is not T or F", ErrBadCard, c.Name, v)
		}
	case TypeInt:
		if !isIntText(v) {
			return "", fmt.Errorf("%w: %s: %q is not an integer", ErrBadCard, c.Name, v)
		}
	case TypeFloat:
		if math.IsNaN(c.Number) || math.IsInf(c.Number, 0) {
			return "", fmt.Errorf("%w: %s: FITS cannot store %v", ErrBadCard, c.Name, c.Number)
		}
		if v == "" {
			v = formatFloat(c.Number)
		}
		if !isFloatText(v) {
			return "", fmt.Errorf("%w: %s: %q is not a real number", ErrBadCard, c.Name, v)
		}
	default:
		return "", fmt.Errorf("%w: %s: unknown value type %d", ErrBadCard, c.Name, c.Type)
	}
	return fmt.Sprintf("%*s", valueCols, v), nil
}

// formatString renders a string card, splitting long values over
// CONTINUE cards with the '&' convention.
func formatString(c Card) []string {
	esc := strings.ReplaceAll(c.Value, "'", "''")
	var chunks []string
	for len(esc) > maxQuoted {
		n := maxQuoted - 1
		if quotesBefore(esc, n)%2 == 1 {
			n-- // do not split a doubled quote
		}
		chunks = append(chunks, esc[:n]+"&")
		esc = esc[n:]
	}
	chunks = append(chunks, esc)
	out := make([]string, len(chunks))
	for i, ch := range chunks {
		name := c.Name
		if i > 0 {
			name = "CONTINUE"
		}
		quoted := fmt.Sprintf("'%-8s'", ch)
		out[i] = fmt.Sprintf("%-8s%s%-*s", name, valueIndicator(i), valueCols, quoted)
	}
	out[len(out)-1] = withComment(out[len(out)-1], c.Comment)
	for i := range out {
		out[i] = pad(out[i])
	}
	return out
}

// quotesBefore counts the quotes ending at s[n-1].
func quotesBefore(s string, n int) int {
	k := 0
	for n-1-k >= 0 && s[n-1-k] == '\'' {
		k++
	}
	return k
}

func valueIndicator(i int) string {
	if i == 0 {
		return "= "
	}
	return "  "
}

// formatCommentary splits commentary text into 72-character cards.
func formatCommentary(name, text string) []string {
	var out []string
	for {
		n := min(len(text), commentaryLn)
		out = append(out, pad(fmt.Sprintf("%-8s%s", name, text[:n])))
		text = text[n:]
		if text == "" {
			return out
		}
	}
}

// withComment appends " / comment", truncated to fit, and pads to 80.
func withComment(s, comment string) string {
	if comment != "" && len(s)+3 < CardLen {
		s += " / " + comment
	}
	return pad(s)
}

// pad cuts or pads s to one card.
func pad(s string) string {
	if len(s) >= CardLen {
		return s[:CardLen]
	}
	return s + strings.Repeat(" ", CardLen-len(s))
}

// checkKeyword accepts 1-8 characters of A-Z, 0-9, '-' and '_'.
func checkKeyword(name string) error {
	if name == "" || len(name) > 8 {
		return fmt.Errorf("%w: keyword %q must have 1 to 8 characters", ErrBadCard, name)
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !(c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return fmt.Errorf("%w: keyword %q: only A-Z, 0-9, '-' and '_' are allowed", ErrBadCard, name)
		}
	}
	return nil
}

// checkText rejects bytes outside printable ASCII.
func checkText(s string) error {
	for i := 0; i < len(s); i++ {
		if s[i] < ' ' || s[i] > '~' {
			return fmt.Errorf("byte 0x%02x at %d is not printable ASCII", s[i], i)
		}
	}
	return nil
}
