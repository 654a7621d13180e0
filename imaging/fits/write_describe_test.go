package fits

import (
	"errors"
	"testing"
)

func TestDescribeHDUHasTheLayoutOfTheWrittenFile(t *testing.T) {
	h, err := DescribeHDU(WriteHDU{Bitpix: -32, Naxis: []int{8, 6, 3, 4}, Cards: []Card{
		NewStringCard("CTYPE3", "FREQ", ""), NewStringCard("CTYPE4", "STOKES", ""),
		NewFloatCard("CRVAL4", 1, ""), NewFloatCard("CDELT4", 1, ""), NewFloatCard("CRPIX4", 1, ""),
	}})
	if err != nil {
		t.Fatal(err)
	}
	l := h.Layout
	if l.Width != 8 || l.Height != 6 || l.Depth != 3 || l.Stokes != 4 || len(l.StokesValues) != 4 || l.StokesValues[3] != 4 {
		t.Fatalf("layout %+v", l)
	}
	if !h.IsImage() {
		t.Fatal("not an image")
	}
	if v, _ := h.Header.String("CTYPE4"); v != "STOKES" {
		t.Fatalf("CTYPE4 %q", v)
	}
}

func TestCheckCardRefusesWhatTheEncoderRefuses(t *testing.T) {
	for _, c := range []Card{NewIntCard("NAXIS1", 3, ""), {Name: "BAD KEY", Value: "1", Type: TypeInt}, {Name: "X", Value: "abc", Type: TypeInt}} {
		if err := CheckCard(c); !errors.Is(err, ErrBadCard) {
			t.Errorf("%+v: %v", c, err)
		}
	}
	if err := CheckCard(NewFloatCard("CRPIX1", 1.5, "")); err != nil {
		t.Fatal(err)
	}
}
