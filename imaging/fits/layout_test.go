package fits

import (
	"errors"
	"fmt"
	"reflect"
	"testing"
)

func TestLayout(t *testing.T) {
	tests := []struct {
		name   string
		naxis  []int
		ctypes []string
		extra  []string
		want   Layout
		err    error
	}{
		{"2-D", []int{4, 3}, []string{"RA---SIN", "DEC--SIN"}, nil,
			Layout{Width: 4, Height: 3, Depth: 1, Stokes: 1, Axes: AxisNumbers{1, 2, 0, 0, 0}}, nil},
		{"3-D FREQ", []int{4, 3, 5}, []string{"RA---SIN", "DEC--SIN", "FREQ"}, nil,
			Layout{Width: 4, Height: 3, Depth: 5, Stokes: 1, Axes: AxisNumbers{1, 2, 3, 0, 3}}, nil},
		{"4-D FREQ STOKES", []int{4, 3, 5, 4}, []string{"RA---SIN", "DEC--SIN", "FREQ", "STOKES"}, nil,
			Layout{Width: 4, Height: 3, Depth: 5, Stokes: 4, Axes: AxisNumbers{1, 2, 3, 4, 3}, StokesValues: []int{1, 2, 3, 4}}, nil},
		{"4-D STOKES before FREQ", []int{4, 3, 2, 5}, []string{"RA---SIN", "DEC--SIN", "STOKES", "VRAD"},
			[]string{kv("CRVAL3", 1.0), kv("CDELT3", 3.0), kv("CRPIX3", 1.0)},
			Layout{Width: 4, Height: 3, Depth: 5, Stokes: 2, Axes: AxisNumbers{1, 2, 4, 3, 4}, StokesValues: []int{1, 4}}, nil},
		{"4-D degenerate", []int{4, 3, 1, 1}, []string{"RA---SIN", "DEC--SIN", "FREQ", "STOKES"}, nil,
			Layout{Width: 4, Height: 3, Depth: 1, Stokes: 1, Axes: AxisNumbers{1, 2, 3, 4, 3}, StokesValues: []int{1}}, nil},
		{"circular Stokes", []int{4, 3, 1, 2}, []string{"RA---SIN", "DEC--SIN", "FREQ", "STOKES"},
			[]string{kv("CRVAL4", -1.0), kv("CDELT4", -1.0), kv("CRPIX4", 1.0)},
			Layout{Width: 4, Height: 3, Depth: 1, Stokes: 2, Axes: AxisNumbers{1, 2, 3, 4, 3}, StokesValues: []int{-1, -2}}, nil},
		{"3-D without CTYPE", []int{4, 3, 5}, nil, nil,
			Layout{Width: 4, Height: 3, Depth: 5, Stokes: 1, Axes: AxisNumbers{1, 2, 0, 0, 3}}, nil},
		{"4-D without CTYPE", []int{4, 3, 5, 2}, nil, nil,
			Layout{Width: 4, Height: 3, Depth: 5, Stokes: 2, Axes: AxisNumbers{1, 2, 0, 4, 3}, StokesValues: []int{1, 2}}, nil},
		{"3-D Stokes only", []int{4, 3, 2}, []string{"RA---SIN", "DEC--SIN", "stokes"}, nil,
			Layout{Width: 4, Height: 3, Depth: 1, Stokes: 2, Axes: AxisNumbers{1, 2, 0, 3, 0}, StokesValues: []int{1, 2}}, nil},
		{"spectral axis first", []int{5, 4, 3}, []string{"FREQ", "RA---SIN", "DEC--SIN"}, nil,
			Layout{Width: 4, Height: 3, Depth: 5, Stokes: 1, Axes: AxisNumbers{2, 3, 1, 0, 1}}, nil},
		{"lower-case velocity", []int{4, 3, 6}, []string{"GLON-CAR", "GLAT-CAR", "velo-lsr"}, nil,
			Layout{Width: 4, Height: 3, Depth: 6, Stokes: 1, Axes: AxisNumbers{1, 2, 3, 0, 3}}, nil},
		{"position-velocity", []int{4, 3}, []string{"OFFSET", "VRAD"}, nil,
			Layout{Width: 4, Height: 3, Depth: 1, Stokes: 1, Axes: AxisNumbers{1, 2, 2, 0, 0}}, nil},
		{"5 axes, last degenerate", []int{4, 3, 5, 2, 1}, []string{"RA---SIN", "DEC--SIN", "FREQ", "STOKES", "TIME"}, nil,
			Layout{Width: 4, Height: 3, Depth: 5, Stokes: 2, Axes: AxisNumbers{1, 2, 3, 4, 3}, StokesValues: []int{1, 2}}, nil},
		{"5 axes, none degenerate", []int{4, 3, 5, 2, 2}, []string{"RA---SIN", "DEC--SIN", "FREQ", "STOKES", "TIME"}, nil,
			Layout{}, ErrUnsupported},
		{"empty axis", []int{4, 0}, nil, nil, Layout{}, ErrUnsupported},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cards := imageCards(true, -32, tt.naxis...)
			for i, ct := range tt.ctypes {
				cards = append(cards, kv(fmt.Sprintf("CTYPE%d", i+1), ct))
			}
			hdr, _, err := ParseHeader(rawFITS(rawHDU{cards: append(cards, tt.extra...)}))
			if err != nil {
				t.Fatal(err)
			}
			got, err := newLayout(hdr, tt.naxis)
			if !errors.Is(err, tt.err) {
				t.Fatalf("err = %v, want %v", err, tt.err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("layout\n got %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestSpectralCtype(t *testing.T) {
	for _, ct := range []string{"FREQ", "FREQUENCY", "VRAD", "VOPT", "VELO-LSR", "VELOCITY", "FELO-HEL", "WAVE", "AWAV", "ZOPT", "BETA", "ENER", "wavn"} {
		if !IsSpectralCtype(ct) {
			t.Errorf("IsSpectralCtype(%q) = false", ct)
		}
	}
	for _, ct := range []string{"RA---SIN", "DEC--SIN", "STOKES", "FRE", "", "OFFSET"} {
		if IsSpectralCtype(ct) {
			t.Errorf("IsSpectralCtype(%q) = true", ct)
		}
	}
}

func TestStokesName(t *testing.T) {
	want := map[int]string{1: "I", 2: "Q", 3: "U", 4: "V", -1: "RR", -2: "LL", -3: "RL", -4: "LR",
		-5: "XX", -6: "YY", -7: "XY", -8: "YX", 0: "", 5: "", -9: ""}
	for code, name := range want {
		if got := StokesName(code); got != name {
			t.Errorf("StokesName(%d) = %q, want %q", code, got, name)
		}
	}
}

func TestBeam(t *testing.T) {
	tests := []struct {
		name  string
		cards []string
		want  Beam
		ok    bool
	}{
		{"full", []string{kv("BMAJ", 1e-3), kv("BMIN", 5e-4), kv("BPA", 30.0)}, Beam{1e-3, 5e-4, 30}, true},
		{"no BPA", []string{kv("BMAJ", 1e-3), kv("BMIN", 5e-4)}, Beam{1e-3, 5e-4, 0}, true},
		{"no BMIN", []string{kv("BMAJ", 1e-3)}, Beam{}, false},
		{"zero", []string{kv("BMAJ", 0.0), kv("BMIN", 0.0)}, Beam{}, false},
		{"none", nil, Beam{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hdr, _, err := ParseHeader(rawFITS(rawHDU{cards: append(imageCards(true, 8), tt.cards...)}))
			if err != nil {
				t.Fatal(err)
			}
			got, ok := (&HDU{Header: hdr}).Beam()
			if got != tt.want || ok != tt.ok {
				t.Errorf("Beam() = %+v, %v; want %+v, %v", got, ok, tt.want, tt.ok)
			}
		})
	}
}
