package fits

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"reflect"
	"strings"
	"testing"
)

func TestFormatCard(t *testing.T) {
	tests := []struct {
		name string
		card Card
		want []string
	}{
		{"int", NewIntCard("NAXIS1", 512, "length"),
			[]string{"NAXIS1  =                  512 / length"}},
		{"float", NewFloatCard("CDELT1", -2.5e-4, ""),
			[]string{"CDELT1  =             -0.00025"}},
		{"float gets a point", NewFloatCard("BSCALE", 1, ""),
			[]string{"BSCALE  =                  1.0"}},
		{"float exponent", NewFloatCard("RESTFRQ", 2.30538e11, "Hz"),
			[]string{"RESTFRQ =          2.30538E+11 / Hz"}},
		{"bool", NewBoolCard("SIMPLE", true, ""),
			[]string{"SIMPLE  =                    T"}},
		{"string padded to 8", NewStringCard("BUNIT", "Jy", ""),
			[]string{"BUNIT   = 'Jy      '"}},
		{"string quote", NewStringCard("OBJECT", "O'Neil", "name"),
			[]string{"OBJECT  = 'O''Neil '           / name"}},
		{"undefined", Card{Name: "BLANK", Comment: "no value"},
			[]string{"BLANK   =  / no value"}},
		{"history", NewCommentCard("HISTORY", "made by a test"),
			[]string{"HISTORY made by a test"}},
		{"long comment card", NewCommentCard("COMMENT", strings.Repeat("a", 72)+"bc"),
			[]string{"COMMENT " + strings.Repeat("a", 72), "COMMENT bc"}},
		{"long string", NewStringCard("LONG", strings.Repeat("x", 70), "c"),
			[]string{"LONG    = '" + strings.Repeat("x", 67) + "&'", "CONTINUE  'xxx     '           / c"}},
		{"long string split before a quote pair", NewStringCard("LONG", strings.Repeat("x", 66)+"'y", ""),
			[]string{"LONG    = '" + strings.Repeat("x", 66) + "&'", "CONTINUE  '''y     '"}},
		{"comment truncated", NewStringCard("S", strings.Repeat("z", 68), "dropped"),
			[]string{"S       = '" + strings.Repeat("z", 68) + "'"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := formatCard(tt.card)
			if err != nil {
				t.Fatal(err)
			}
			for i := range tt.want {
				tt.want[i] = fmt.Sprintf("%-80s", tt.want[i])
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got\n%q\nwant\n%q", got, tt.want)
			}
		})
	}
}

func TestFormatCardErrors(t *testing.T) {
	for _, c := range []Card{
		NewIntCard("lower", 1, ""),
		NewIntCard("TOOLONGNAME", 1, ""),
		NewIntCard("", 1, ""),
		NewFloatCard("NAN", math.NaN(), ""),
		NewFloatCard("INF", math.Inf(1), ""),
		NewStringCard("UTF", "héllo", ""),
		NewStringCard("TAB", "ok", "a\tb"),
		{Name: "BOOL", Type: TypeBool, Value: "yes"},
		{Name: "INT", Type: TypeInt, Value: "1.5"},
		{Name: "FLT", Type: TypeFloat, Value: "abc", Number: 1},
		{Name: "TYPE", Type: ValueType(42)},
	} {
		if _, err := formatCard(c); !errors.Is(err, ErrBadCard) {
			t.Errorf("formatCard(%+v) err = %v, want ErrBadCard", c, err)
		}
	}
}

// TestLongStringRoundTrip writes strings of many lengths with quotes at
// every position across the CONTINUE boundaries and reads them back.
func TestLongStringRoundTrip(t *testing.T) {
	for n := 60; n < 220; n += 7 {
		for q := 0; q < n; q += 5 {
			s := []byte(strings.Repeat("a", n))
			s[q] = '\''
			if q+1 < n {
				s[q+1] = '\''
			}
			recs, err := formatCard(NewStringCard("LONG", string(s), "tail comment"))
			if err != nil {
				t.Fatal(err)
			}
			hdr, _, err := ParseHeader(rawFITS(rawHDU{cards: append([]string{kv("SIMPLE", true)}, recs...)}))
			if err != nil {
				t.Fatal(err)
			}
			if got, _ := hdr.String("LONG"); got != string(s) {
				t.Fatalf("n=%d q=%d: got %q, want %q", n, q, got, s)
			}
		}
	}
}

func TestWriteRoundTrip(t *testing.T) {
	tests := []struct {
		name string
		hdu  WriteHDU
		want []float32
	}{
		{"uint8", WriteHDU{Bitpix: 8, Data: []uint8{0, 9, 255}, Blank: 9, HasBlank: true}, []float32{0, nan, 255}},
		{"int16 scaled", WriteHDU{Bitpix: 16, Data: []int16{1000, -32768, 2}, BScale: 0.5, BZero: 10, Blank: -32768, HasBlank: true},
			[]float32{510, nan, 11}},
		{"int32", WriteHDU{Bitpix: 32, Data: []int32{-7, 1 << 30, 0}}, []float32{-7, 1 << 30, 0}},
		{"int64 BZERO only", WriteHDU{Bitpix: 64, Data: []int64{1, 2, 3}, BZero: 100}, []float32{101, 102, 103}},
		{"float32", WriteHDU{Bitpix: -32, Data: []float32{1.25, nan, -3}}, []float32{1.25, nan, -3}},
		{"float64", WriteHDU{Bitpix: -64, Data: []float64{0.5, math.NaN(), 1e10}}, []float32{0.5, nan, 1e10}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.hdu.Naxis = []int{3, 1}
			tt.hdu.Cards = []Card{NewStringCard("CTYPE1", "RA---SIN", ""), NewStringCard("NOTE", strings.Repeat("long ", 30), "c")}
			var buf bytes.Buffer
			if err := Write(&buf, tt.hdu); err != nil {
				t.Fatal(err)
			}
			if buf.Len()%BlockLen != 0 {
				t.Errorf("file length %d is not a multiple of %d", buf.Len(), BlockLen)
			}
			f := mustOpen(t, writeTemp(t, "w.fits", buf.Bytes()))
			p, err := mustImage(t, f, "").Plane(0, 0)
			if err != nil || !sameFloats(p.Data, tt.want) {
				t.Errorf("plane %v, %v; want %v", p.Data, err, tt.want)
			}
			hdr := f.HDUs()[0].Header
			if v, _ := hdr.String("NOTE"); v != strings.Repeat("long ", 30)[:149] {
				t.Errorf("NOTE = %q", v)
			}
		})
	}
}

func TestWriteMultiHDU(t *testing.T) {
	var buf bytes.Buffer
	err := Write(&buf,
		WriteHDU{Bitpix: 8, Cards: []Card{NewStringCard("OBJECT", "M42", "")}},
		WriteHDU{Bitpix: -32, Naxis: []int{2, 2}, ExtName: "SCI", Data: []float32{1, 2, 3, 4}},
		WriteHDU{Bitpix: 16, Naxis: []int{1, 2}, ExtName: "DQ", Data: []int16{5, 6}},
	)
	if err != nil {
		t.Fatal(err)
	}
	f := mustOpen(t, writeTemp(t, "m.fits", buf.Bytes()))
	if want := []string{"1: SCI", "2: DQ"}; !reflect.DeepEqual(f.ImageNames(), want) {
		t.Errorf("ImageNames %q, want %q", f.ImageNames(), want)
	}
	if x, _ := f.HDUs()[1].Header.String("XTENSION"); x != "IMAGE" {
		t.Errorf("XTENSION %q", x)
	}
	p, err := mustImage(t, f, "DQ").Plane(0, 0)
	if err != nil || !sameFloats(p.Data, []float32{5, 6}) {
		t.Errorf("DQ plane %v, %v", p.Data, err)
	}
}

// TestEncoderStreams writes a cube plane by plane.
func TestEncoderStreams(t *testing.T) {
	var buf bytes.Buffer
	e := NewEncoder(&buf)
	if err := e.WriteHeader(WriteHDU{Bitpix: -32, Naxis: []int{5, 4, 3, 2}, Cards: []Card{
		NewStringCard("CTYPE3", "FREQ", ""), NewStringCard("CTYPE4", "STOKES", "")}}); err != nil {
		t.Fatal(err)
	}
	plane := make([]float32, 20)
	for k := 0; k < 2; k++ {
		for c := 0; c < 3; c++ {
			for i := range plane {
				plane[i] = cubeValue(i%5, i/5, c, k)
			}
			if err := e.WriteData(plane); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	checkCube(t, mustImage(t, mustOpen(t, writeTemp(t, "e.fits", buf.Bytes())), ""), 5, 4, 3, 2)
}

func TestWriteErrors(t *testing.T) {
	tests := []struct {
		name string
		hdus []WriteHDU
		want error
	}{
		{"bad BITPIX", []WriteHDU{{Bitpix: 12}}, ErrBadData},
		{"negative axis", []WriteHDU{{Bitpix: 8, Naxis: []int{-1, 2}}}, ErrBadData},
		{"wrong data type", []WriteHDU{{Bitpix: 16, Naxis: []int{2}, Data: []float32{1, 2}}}, ErrBadData},
		{"unsupported data type", []WriteHDU{{Bitpix: 16, Naxis: []int{2}, Data: []int{1, 2}}}, ErrBadData},
		{"too much data", []WriteHDU{{Bitpix: 8, Naxis: []int{2}, Data: []uint8{1, 2, 3}}}, ErrBadData},
		{"missing data", []WriteHDU{{Bitpix: 8, Naxis: []int{2}, Data: []uint8{1}}}, ErrBadData},
		{"no data at all", []WriteHDU{{Bitpix: 8, Naxis: []int{2}}}, ErrBadData},
		{"reserved keyword", []WriteHDU{{Bitpix: 8, Cards: []Card{NewIntCard("NAXIS3", 1, "")}}}, ErrBadCard},
		{"reserved BSCALE", []WriteHDU{{Bitpix: 8, Cards: []Card{NewFloatCard("BSCALE", 1, "")}}}, ErrBadCard},
		{"bad keyword", []WriteHDU{{Bitpix: 8, Cards: []Card{NewIntCard("bad", 1, "")}}}, ErrBadCard},
		{"BLANK out of range", []WriteHDU{{Bitpix: 16, Blank: 1 << 20, HasBlank: true}}, ErrBadCard},
		{"BLANK on float", []WriteHDU{{Bitpix: -32, Blank: 0, HasBlank: true}}, ErrBadCard},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := Write(&bytes.Buffer{}, tt.hdus...); !errors.Is(err, tt.want) {
				t.Errorf("err = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestEncoderStickyError(t *testing.T) {
	e := NewEncoder(&bytes.Buffer{})
	if err := e.WriteData([]uint8{1}); !errors.Is(err, ErrBadData) {
		t.Fatalf("WriteData before WriteHeader: %v", err)
	}
	if err := e.WriteHeader(WriteHDU{Bitpix: 8}); !errors.Is(err, ErrBadData) {
		t.Errorf("error not sticky: %v", err)
	}
}

func TestFileSize(t *testing.T) {
	hdus := []WriteHDU{
		{Bitpix: 8, Cards: []Card{NewStringCard("LONG", strings.Repeat("x", 300), ""), NewCommentCard("HISTORY", "h")}},
		{Bitpix: -32, Naxis: []int{100, 30}, ExtName: "SCI", Data: make([]float32, 3000)},
		{Bitpix: 16, Naxis: []int{7, 3}, Data: make([]int16, 21), BScale: 2, Blank: -1, HasBlank: true},
	}
	var buf bytes.Buffer
	if err := Write(&buf, hdus...); err != nil {
		t.Fatal(err)
	}
	n, err := FileSize(hdus...)
	if err != nil || n != int64(buf.Len()) {
		t.Errorf("FileSize = %d, %v; Write wrote %d", n, err, buf.Len())
	}
	if _, err := FileSize(WriteHDU{Bitpix: 3}); !errors.Is(err, ErrBadData) {
		t.Errorf("FileSize(bad) err = %v", err)
	}
}

func TestFormatFloatFits20Columns(t *testing.T) {
	for _, v := range []float64{1, -1, 0.5, 2.30538e11, -5.555555555555556e-05, 0.00023333333333333336,
		math.MaxFloat64, -math.SmallestNonzeroFloat64, 1.0 / 3, -2.0 / 3 * 1e-300} {
		s := formatFloat(v)
		if len(s) > valueCols {
			t.Errorf("formatFloat(%v) = %q, longer than %d", v, s, valueCols)
		}
		c := parseCard(fmt.Sprintf("%-80s", "X       = "+s))
		if c.Type != TypeFloat || math.Abs(c.Number-v) > 1e-12*math.Abs(v) {
			t.Errorf("formatFloat(%v) = %q reads back as %v (%v)", v, s, c.Number, c.Type)
		}
	}
}
