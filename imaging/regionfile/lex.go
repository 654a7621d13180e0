package regionfile

import (
	"strings"
)

// splitTop splits s at sep where it is outside brackets, braces,
// parentheses and quotes, trimming spaces; empty pieces are kept so
// that positions stay meaningful.
func splitTop(s string, sep byte) []string {
	var out []string
	depth, start := 0, 0
	var quote byte
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case c == '"' || c == '\'':
			quote = c
		case c == '[' || c == '(' || c == '{':
			depth++
		case c == ']' || c == ')' || c == '}':
			depth--
		case c == sep && depth <= 0:
			out = append(out, strings.TrimSpace(s[start:i]))
			start = i + 1
		}
	}
	return append(out, strings.TrimSpace(s[start:]))
}

// closing returns the index of the bracket closing the one at s[open],
// or -1.
func closing(s string, open int) int {
	o := s[open]
	c := map[byte]byte{'[': ']', '(': ')', '{': '}'}[o]
	depth := 0
	var quote byte
	for i := open; i < len(s); i++ {
		switch ch := s[i]; {
		case quote != 0:
			if ch == quote {
				quote = 0
			}
		case ch == '"' || ch == '\'':
			quote = ch
		case ch == o:
			depth++
		case ch == c:
			if depth--; depth == 0 {
				return i
			}
		}
	}
	return -1
}

// unquote strips one pair of matching quotes or braces around s.
func unquote(s string) string {
	s = strings.TrimSpace(s)
	if len(s) >= 2 {
		switch f, l := s[0], s[len(s)-1]; {
		case (f == '"' || f == '\'') && l == f, f == '{' && l == '}':
			return s[1 : len(s)-1]
		}
	}
	return s
}

// inner returns what is inside the brackets of s ("[a, b]" gives
// "a, b"), or ok false when s is not bracketed.
func inner(s string) (string, bool) {
	s = strings.TrimSpace(s)
	if len(s) < 2 || s[0] != '[' || closing(s, 0) != len(s)-1 {
		return "", false
	}
	return s[1 : len(s)-1], true
}

// fieldsQuoted splits s at spaces outside quotes and braces.
func fieldsQuoted(s string) []string {
	var out []string
	for _, f := range splitTop(s, ' ') {
		if f != "" {
			out = append(out, f)
		}
	}
	return out
}
