package idia

import (
	"errors"
	"fmt"
	"math"
	"regexp"
	"slices"
	"strconv"

	"cartago/imaging/fits"
	"cartago/imaging/hdf5"
)

// ErrSchema: the file is HDF5 but not an IDIA image this package reads.
var ErrSchema = errors.New("not an IDIA HDF5 image")

// Key is the only image ("HDU") of an IDIA file, as the reference lists.
const Key = "0"

// Image is the image of an IDIA file. Safe for concurrent use; valid
// while its hdf5.File is open.
type Image struct {
	*fits.HDU
	file *hdf5.File
	data *hdf5.Dataset
	// Optional datasets (nil when absent).
	swizzled *hdf5.Dataset
	mips     map[int]*hdf5.Dataset
	xy, xyz  *statsSet
}

// Open reads the image of group hdu ("" or "0").
func Open(f *hdf5.File, hdu string) (*Image, error) {
	if hdu == "" {
		hdu = Key
	}
	if hdu != Key {
		return nil, fmt.Errorf("%w: image %q (IDIA files have one image, %q)", fits.ErrNoHDU, hdu, Key)
	}
	g, err := f.Open(Key)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrSchema, err)
	}
	im := &Image{file: f, mips: map[int]*hdf5.Dataset{}}
	if err := im.readData(g); err != nil {
		return nil, err
	}
	if err := im.readHeader(g); err != nil {
		return nil, err
	}
	if err := im.readOptional(g); err != nil {
		return nil, fmt.Errorf("idia: %s: %w", f.Path(), err)
	}
	return im, nil
}

// Key returns the image's key, "0".
func (im *Image) Key() string { return Key }

// File returns the HDF5 file.
func (im *Image) File() *hdf5.File { return im.file }

func (im *Image) readData(g *hdf5.Object) error {
	o, err := g.Child("DATA")
	if err != nil {
		return fmt.Errorf("%w: %s: %v", ErrSchema, im.file.Path(), err)
	}
	if im.data, err = o.Dataset(); err != nil {
		return err
	}
	if r := len(im.data.Shape); r < 2 || r > 4 {
		return fmt.Errorf("%w: %s: DATA has %d dimensions", ErrSchema, im.file.Path(), r)
	}
	return nil
}

// dropped are header cards that describe the FITS data unit, not the
// image (DATA holds physical float values), the converter's own
// attributes, and the CONTINUE fragments fits2idia stores as an
// attribute of their own (the long string is whole in its keyword).
var dropped = map[string]bool{"BSCALE": true, "BZERO": true, "BLANK": true, "CONTINUE": true,
	"SCHEMA_VERSION": true, "HDF5_CONVERTER": true, "HDF5_CONVERTER_VERSION": true}

// readHeader turns the group's attributes into the FITS header of the
// image, its axes from DATA's shape (reversed).
func (im *Image) readHeader(g *hdf5.Object) error {
	attrs, err := g.Attrs()
	if err != nil {
		return fmt.Errorf("idia: %s: header: %w", im.file.Path(), err)
	}
	var cards []fits.Card
	for _, a := range attrs {
		c, ok := card(a)
		if ok && !dropped[c.Name] && fits.CheckCard(c) == nil {
			cards = append(cards, c)
		}
	}
	naxis := slices.Clone(im.data.Shape)
	slices.Reverse(naxis)
	h, err := fits.DescribeHDU(fits.WriteHDU{Bitpix: -32, Naxis: naxis, Cards: cards})
	if err != nil {
		return fmt.Errorf("idia: %s: %w", im.file.Path(), err)
	}
	if a := h.Layout.Axes; a.SpatialX != 1 || a.SpatialY != 2 {
		return fmt.Errorf("idia: %s: %w: render axes %d and %d (want 1 and 2)", im.file.Path(), fits.ErrUnsupported, a.SpatialX, a.SpatialY)
	}
	im.HDU = h
	return nil
}

// card converts an attribute as fits2idia wrote it from a card.
func card(a hdf5.Attr) (fits.Card, bool) {
	switch v := a.Value.(type) {
	case string:
		return fits.NewStringCard(a.Name, v, ""), true
	case bool:
		return fits.NewBoolCard(a.Name, v, ""), true
	case int64:
		return fits.NewIntCard(a.Name, v, ""), true
	case float64:
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return fits.Card{}, false
		}
		return fits.NewFloatCard(a.Name, v, ""), true
	}
	return fits.Card{}, false
}

var mipName = regexp.MustCompile(`^DATA_XY_(\d+)$`)

// readOptional finds the mip, statistics and swizzled datasets; one
// that is malformed is ignored (the image works without it) unless the
// file itself is unreadable.
func (im *Image) readOptional(g *hdf5.Object) error {
	if o, err := g.Child("MipMaps"); err == nil {
		if o, err = o.Child("DATA"); err == nil {
			im.readMips(o)
		}
	}
	l := im.Layout
	if o, err := g.Child("SwizzledData"); err == nil {
		name := map[int]string{3: "ZYX", 4: "ZYXW"}[len(im.data.Shape)]
		if c, err := o.Child(name); err == nil && l.Axes.Depth == 3 {
			d, err := c.Dataset()
			want := []int{l.Width, l.Height, l.Depth}
			if len(im.data.Shape) == 4 {
				want = append([]int{l.Stokes}, want...)
			}
			if err == nil && slices.Equal(d.Shape, want) {
				im.swizzled = d
			}
		}
	}
	if o, err := g.Child("Statistics"); err == nil {
		im.xy = im.readStats(o, "XY", len(im.data.Shape)-2)
		im.xyz = im.readStats(o, "XYZ", len(im.data.Shape)-3)
	}
	return nil
}

func (im *Image) readMips(o *hdf5.Object) {
	links, err := o.Links()
	if err != nil {
		return
	}
	l := im.Layout
	for _, ln := range links {
		m := mipName.FindStringSubmatch(ln.Name)
		if m == nil {
			continue
		}
		mip, err := strconv.Atoi(m[1])
		if err != nil || mip < 2 || mip&(mip-1) != 0 {
			continue
		}
		c, err := o.Child(ln.Name)
		if err != nil {
			continue
		}
		d, err := c.Dataset()
		if err != nil {
			continue
		}
		want := slices.Clone(im.data.Shape)
		want[len(want)-1] = (l.Width + mip - 1) / mip
		want[len(want)-2] = (l.Height + mip - 1) / mip
		if slices.Equal(d.Shape, want) {
			im.mips[mip] = d
		}
	}
}

// HasSwizzled reports whether spectra come from the swizzled copy.
func (im *Image) HasSwizzled() bool { return im.swizzled != nil }

// Mips lists the stored mip levels.
func (im *Image) Mips() []int {
	var out []int
	for m := range im.mips {
		out = append(out, m)
	}
	slices.Sort(out)
	return out
}
