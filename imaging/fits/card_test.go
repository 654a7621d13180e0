package fits

import (
	"fmt"
	"testing"
)

func TestParseCard(t *testing.T) {
	tests := []struct {
		name string
		card string
		want Card
	}{
		{"int", "NAXIS1  =                  512 / length of axis 1",
			Card{Name: "NAXIS1", Value: "512", Type: TypeInt, Number: 512, Comment: "length of axis 1"}},
		{"negative int", "BITPIX  =                  -32",
			Card{Name: "BITPIX", Value: "-32", Type: TypeInt, Number: -32}},
		{"float", "CDELT1  =  -2.7777777777778E-04",
			Card{Name: "CDELT1", Value: "-2.7777777777778E-04", Type: TypeFloat, Number: -2.7777777777778e-4}},
		{"D exponent", "RESTFRQ =        2.30538D+11 / rest frequency",
			Card{Name: "RESTFRQ", Value: "2.30538D+11", Type: TypeFloat, Number: 2.30538e11, Comment: "rest frequency"}},
		{"float without exponent", "EQUINOX =               2000.0",
			Card{Name: "EQUINOX", Value: "2000.0", Type: TypeFloat, Number: 2000}},
		{"logical T", "SIMPLE  =                    T / standard",
			Card{Name: "SIMPLE", Value: "T", Type: TypeBool, Number: 1, Comment: "standard"}},
		{"logical F", "EXTEND  =                    F",
			Card{Name: "EXTEND", Value: "F", Type: TypeBool}},
		{"string", "CTYPE1  = 'RA---SIN'           / axis type",
			Card{Name: "CTYPE1", Value: "RA---SIN", Type: TypeString, Comment: "axis type"}},
		{"string escapes and slash", "OBJECT  = 'O''Neil / 1'",
			Card{Name: "OBJECT", Value: "O'Neil / 1", Type: TypeString}},
		{"string leading blanks kept", "S       = '  ab  '",
			Card{Name: "S", Value: "  ab", Type: TypeString}},
		{"empty string", "BUNIT   = ''",
			Card{Name: "BUNIT", Value: "", Type: TypeString}},
		{"unterminated string", "BUNIT   = 'Jy/beam",
			Card{Name: "BUNIT", Value: "Jy/beam", Type: TypeString}},
		{"undefined value", "BLANK   =                      / undefined",
			Card{Name: "BLANK", Type: TypeNone, Comment: "undefined"}},
		{"history", "HISTORY cleaned with tclean niter=1000",
			Card{Name: "HISTORY", Value: "cleaned with tclean niter=1000"}},
		{"comment with equals", "COMMENT = not a value",
			Card{Name: "COMMENT", Value: "= not a value"}},
		{"blank keyword", "        free text",
			Card{Name: "", Value: "free text"}},
		{"no value indicator", "DATE    2020-01-01",
			Card{Name: "DATE", Value: "2020-01-01"}},
		{"complex kept as text", "CVAL    = (1.0, 2.0)",
			Card{Name: "CVAL", Value: "(1.0, 2.0)", Type: TypeString}},
		{"not a number", "X       = 1.2.3x",
			Card{Name: "X", Value: "1.2.3x", Type: TypeString}},
		{"inf is not a number", "X       = Inf",
			Card{Name: "X", Value: "Inf", Type: TypeString}},
		{"hierarch", "HIERARCH ESO DET CHIP = 5 / chip",
			Card{Name: "HIERARCH ESO DET CHIP", Value: "5", Type: TypeInt, Number: 5, Comment: "chip"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := parseCard(fmt.Sprintf("%-80s", tt.card))
			if got != tt.want {
				t.Errorf("parseCard(%q)\n got %+v\nwant %+v", tt.card, got, tt.want)
			}
		})
	}
}
