package fits

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

// headerBytes pads cards and appends END unless noEnd.
func headerBytes(noEnd bool, cards ...string) []byte {
	b := rawFITS(rawHDU{cards: cards, noEnd: noEnd})
	return b
}

func TestParseHeaderContinue(t *testing.T) {
	b := headerBytes(false,
		kv("SIMPLE", true),
		"LONGSTR = 'This is a long string value that &'  / first part",
		"CONTINUE  'continues over O''Brien&'",
		"CONTINUE  ' cards.'  / last part",
		"HISTORY first",
		"CONTINUE  'orphan'",
		"COMMENT second",
		"",
		kv("AFTER", 1),
	)
	h, n, err := ParseHeader(b)
	if err != nil {
		t.Fatal(err)
	}
	if n != BlockLen {
		t.Errorf("header length %d, want %d", n, BlockLen)
	}
	long, _ := h.Get("LONGSTR")
	if want := "This is a long string value that continues over O'Brien cards."; long.Value != want {
		t.Errorf("long string %q, want %q", long.Value, want)
	}
	if long.Comment != "first part last part" {
		t.Errorf("long string comment %q", long.Comment)
	}
	var names []string
	for _, c := range h.Cards {
		names = append(names, c.Name)
	}
	if got := strings.Join(names, ","); got != "SIMPLE,LONGSTR,HISTORY,CONTINUE,COMMENT,AFTER" {
		t.Errorf("card order %s", got)
	}
	if v, ok := h.Int("AFTER"); !ok || v != 1 {
		t.Errorf("AFTER = %d, %v", v, ok)
	}
}

func TestHeaderLookups(t *testing.T) {
	h, _, err := ParseHeader(headerBytes(false,
		kv("SIMPLE", true), kv("BIG", "9007199254740993"), "BIGINT  =  9007199254740993",
		kv("F", 1.5), "DUP     =                    1", "DUP     =                    2",
		kv("S", "text"), "HUGE    = 99999999999999999999"))
	if err != nil {
		t.Fatal(err)
	}
	if v, ok := h.Int("BIGINT"); !ok || v != 9007199254740993 {
		t.Errorf("Int(BIGINT) = %d, %v; want exact 64-bit value", v, ok)
	}
	if _, ok := h.Int("BIG"); ok {
		t.Error("Int on a string card succeeded")
	}
	if _, ok := h.Int("HUGE"); ok {
		t.Error("Int on an overflowing integer succeeded")
	}
	if v, ok := h.Float("HUGE"); !ok || v != 1e20 {
		t.Errorf("Float(HUGE) = %v, %v", v, ok)
	}
	if v, ok := h.Float("F"); !ok || v != 1.5 {
		t.Errorf("Float(F) = %v, %v", v, ok)
	}
	if v, _ := h.Int("DUP"); v != 1 {
		t.Errorf("duplicate keyword gave %d, want the first (1)", v)
	}
	if v, ok := h.String("S"); !ok || v != "text" {
		t.Errorf("String(S) = %q, %v", v, ok)
	}
	if v, ok := h.Bool("SIMPLE"); !ok || !v {
		t.Errorf("Bool(SIMPLE) = %v, %v", v, ok)
	}
	if _, ok := h.Get("MISSING"); ok {
		t.Error("Get(MISSING) found a card")
	}
}

func TestParseHeaderErrors(t *testing.T) {
	full := headerBytes(false, kv("SIMPLE", true))
	noEnd := headerBytes(true, kv("SIMPLE", true))
	binary := append(append([]byte{}, noEnd...), bigEndian(make([]float32, BlockLen/4))...)
	binary[len(noEnd)+1] = 0x80 // a float32 value with a non-ASCII byte
	tests := []struct {
		name string
		in   []byte
		want error
	}{
		{"empty", nil, ErrTruncated},
		{"no END before EOF", noEnd, ErrTruncated},
		{"END block cut short", full[:CardLen*2], ErrTruncated},
		{"missing END runs into data", binary, ErrBadHeader},
		{"control character", append([]byte(fmt.Sprintf("%-80s", "SIMPLE  =                    T\n")), full...), ErrBadHeader},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := ParseHeader(tt.in)
			if !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
		})
	}
}
