package fits

import (
	"errors"
	"reflect"
	"testing"
)

// multiHDUFile builds: 0 primary without data, 1 IMAGE 'SCI', 2
// BINTABLE 'EVENTS', 3 unnamed IMAGE, 4 IMAGE with NAXIS = 1.
func multiHDUFile(t *testing.T) string {
	t.Helper()
	table := []string{kv("XTENSION", "BINTABLE"), kv("BITPIX", 8), kv("NAXIS", 2), kv("NAXIS1", 8),
		kv("NAXIS2", 2), kv("PCOUNT", 0), kv("GCOUNT", 1), kv("TFIELDS", 1), kv("TFORM1", "1D"), kv("EXTNAME", "EVENTS")}
	return writeTemp(t, "multi.fits", rawFITS(
		rawHDU{cards: append(imageCards(true, 8), kv("EXTEND", true))},
		rawHDU{cards: append(imageCards(false, 16, 3, 2), kv("EXTNAME", "SCI")), data: bigEndian([]int16{1, 2, 3, 4, 5, 6})},
		rawHDU{cards: table, data: make([]byte, 16)},
		rawHDU{cards: imageCards(false, -32, 2, 2), data: bigEndian([]float32{7, 8, 9, 10})},
		rawHDU{cards: imageCards(false, -32, 3), data: bigEndian([]float32{1, 2, 3})},
	))
}

func TestMultiHDU(t *testing.T) {
	f := mustOpen(t, multiHDUFile(t))
	var names []string
	var kinds []Kind
	var images []bool
	for _, h := range f.HDUs() {
		names = append(names, h.Name())
		kinds = append(kinds, h.Kind)
		images = append(images, h.IsImage())
	}
	if want := []string{"0", "1: SCI", "2: EVENTS", "3", "4"}; !reflect.DeepEqual(names, want) {
		t.Errorf("names %q, want %q", names, want)
	}
	if want := []Kind{KindImage, KindImage, KindBinTable, KindImage, KindImage}; !reflect.DeepEqual(kinds, want) {
		t.Errorf("kinds %v, want %v", kinds, want)
	}
	if want := []bool{false, true, false, true, false}; !reflect.DeepEqual(images, want) {
		t.Errorf("IsImage %v, want %v", images, want)
	}
	if want := []string{"1: SCI", "3"}; !reflect.DeepEqual(f.ImageNames(), want) {
		t.Errorf("ImageNames %q, want %q", f.ImageNames(), want)
	}
	p, err := mustImage(t, f, "3").Plane(0, 0)
	if err != nil || !sameFloats(p.Data, []float32{7, 8, 9, 10}) {
		t.Errorf("HDU 3 plane %v, %v", p.Data, err)
	}
}

func TestHDULookup(t *testing.T) {
	f := mustOpen(t, multiHDUFile(t))
	tests := []struct {
		key      string
		index    int
		err      error
		imageErr error
	}{
		{"", 1, nil, nil},
		{"0", 0, nil, ErrNotImage},
		{"1", 1, nil, nil},
		{"1: SCI", 1, nil, nil},
		{" 1:SCI ", 1, nil, nil},
		{"sci", 1, nil, nil},
		{"2", 2, nil, ErrNotImage},
		{"EVENTS", 2, nil, ErrNotImage},
		{"3", 3, nil, nil},
		{"4", 4, nil, ErrNotImage},
		{"5", 0, ErrNoHDU, ErrNoHDU},
		{"-1", 0, ErrNoHDU, ErrNoHDU},
		{"NOPE", 0, ErrNoHDU, ErrNoHDU},
	}
	for _, tt := range tests {
		t.Run(tt.key, func(t *testing.T) {
			h, err := f.HDU(tt.key)
			if !errors.Is(err, tt.err) {
				t.Fatalf("HDU(%q) err = %v, want %v", tt.key, err, tt.err)
			}
			if err == nil && h.Index != tt.index {
				t.Errorf("HDU(%q) = %d, want %d", tt.key, h.Index, tt.index)
			}
			if _, err := f.Image(tt.key); !errors.Is(err, tt.imageErr) {
				t.Errorf("Image(%q) err = %v, want %v", tt.key, err, tt.imageErr)
			}
		})
	}
}

func TestFirstImageIsPrimaryWithData(t *testing.T) {
	f := mustOpen(t, writeTemp(t, "p.fits", rawFITS(
		rawHDU{cards: imageCards(true, 8, 2, 1), data: []byte{1, 2}},
		rawHDU{cards: imageCards(false, 8, 2, 1), data: []byte{3, 4}},
	)))
	h, err := f.HDU("")
	if err != nil || h.Index != 0 {
		t.Fatalf("HDU(\"\") = %v, %v; want the primary", h, err)
	}
	if want := []string{"0", "1"}; !reflect.DeepEqual(f.ImageNames(), want) {
		t.Errorf("ImageNames %q", f.ImageNames())
	}
}

func TestNoImage(t *testing.T) {
	f := mustOpen(t, writeTemp(t, "n.fits", rawFITS(rawHDU{cards: imageCards(true, 8)})))
	if _, err := f.Image(""); !errors.Is(err, ErrNoHDU) {
		t.Errorf("Image(\"\") err = %v, want ErrNoHDU", err)
	}
	if f.ImageNames() != nil {
		t.Errorf("ImageNames = %q", f.ImageNames())
	}
}

func TestUnsupportedLayoutIsNotImage(t *testing.T) {
	f := mustOpen(t, writeTemp(t, "u.fits", rawFITS(
		rawHDU{cards: imageCards(true, 8, 2, 2, 2, 2, 2), data: make([]byte, 32)})))
	if _, err := f.Image("0"); !errors.Is(err, ErrNotImage) || !errors.Is(err, ErrUnsupported) {
		t.Errorf("Image err = %v, want ErrNotImage and ErrUnsupported", err)
	}
	if f.HDUs()[0].ImageErr() == nil {
		t.Error("ImageErr is nil")
	}
}
