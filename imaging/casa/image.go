package casa

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
)

// maxHeaderBytes caps table.dat and storage manager headers read whole;
// an image's are a few KiB.
const maxHeaderBytes = 64 << 20

// Image is an open CASA image.
type Image struct {
	// Shape is the pixel count per axis, axis 0 varying fastest, in the
	// order of the coordinate system's pixel axes (as FITS NAXISn).
	Shape []int
	// Keywords are the table's keywords: coords, imageinfo, units,
	// miscinfo, masks.
	Keywords *Record
	// Dir is the image directory.
	Dir string

	data *cubeReader
	mask *cubeReader // nil without a default mask
}

// IsImage reports whether dir looks like a CASA image by its content,
// as the reference's file list decides (table.info says Type = Image
// and table.dat exists). It reads one small file.
func IsImage(dir string) bool {
	if _, err := os.Stat(filepath.Join(dir, "table.dat")); err != nil {
		return false
	}
	typ, err := tableType(dir)
	return err == nil && typ == "Image"
}

// tableType reads the type line of table.info.
func tableType(dir string) (string, error) {
	f, err := openRegular(filepath.Join(dir, "table.info"))
	if err != nil {
		return "", err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, 4096))
	if err != nil {
		return "", err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if k, v, ok := strings.Cut(line, "="); ok && strings.TrimSpace(k) == "Type" {
			return strings.TrimSpace(v), nil
		}
	}
	return "", nil
}

// Open opens the image in directory dir.
func Open(dir string) (*Image, error) {
	if typ, err := tableType(dir); err != nil || typ != "Image" {
		if err == nil {
			err = fmt.Errorf("table.info says type %q", typ)
		}
		return nil, fmt.Errorf("%w: %s: %v", ErrNotImage, dir, err)
	}
	t, err := readTable(dir)
	if err != nil {
		return nil, err
	}
	data, err := openColumn(dir, t, "map")
	if err != nil {
		return nil, fmt.Errorf("%s: %w", dir, err)
	}
	if data.c.typ != tpFloat && data.c.typ != tpDouble {
		data.close()
		return nil, fmt.Errorf("%w: %s: pixels of data type %s (Float and Double images are read)", ErrUnsupported, dir, typeName(data.c.typ))
	}
	im := &Image{Shape: data.c.shape, Keywords: t.keywords, Dir: dir, data: data}
	if err := im.openMask(); err != nil {
		data.close()
		return nil, fmt.Errorf("%s: mask: %w", dir, err)
	}
	return im, nil
}

// readTable reads and parses dir/table.dat.
func readTable(dir string) (*table, error) {
	b, err := readCapped(filepath.Join(dir, "table.dat"))
	if err != nil {
		return nil, err
	}
	t, err := parseTable(b)
	if err != nil {
		return nil, fmt.Errorf("%s: table.dat: %w", dir, err)
	}
	if t.rows != 1 {
		return nil, fmt.Errorf("%w: %s: %d rows (an image has 1)", ErrNotImage, dir, t.rows)
	}
	return t, nil
}

// readCapped reads a whole header file of at most maxHeaderBytes.
func readCapped(name string) ([]byte, error) {
	f, err := openRegular(name)
	if err != nil {
		return nil, fmt.Errorf("casa: %w", err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxHeaderBytes+1))
	if err != nil {
		return nil, fmt.Errorf("casa: %s: %w", name, err)
	}
	if len(b) > maxHeaderBytes {
		return nil, fmt.Errorf("%w: %s larger than %d MiB", ErrFormat, name, maxHeaderBytes>>20)
	}
	return b, nil
}

// openColumn opens the array in column name of a one-row table.
func openColumn(dir string, t *table, name string) (*cubeReader, error) {
	col, dm, err := t.column(name)
	if err != nil {
		return nil, err
	}
	if dm.typ != "TiledCellStMan" && dm.typ != "TiledShapeStMan" {
		return nil, fmt.Errorf("%w: column %q held by a %s (only tiled storage managers are read)", ErrUnsupported, name, dm.typ)
	}
	hb, err := readCapped(filepath.Join(dir, fmt.Sprintf("table.f%d", dm.seq)))
	if err != nil {
		return nil, err
	}
	c, err := tiledHeader(hb, dm.typ)
	if err != nil {
		return nil, fmt.Errorf("table.f%d: %w", dm.seq, err)
	}
	if c.typ != col.typ {
		return nil, fmt.Errorf("%w: column %q of type %d stored as type %d", ErrFormat, name, col.typ, c.typ)
	}
	return openCube(c, filepath.Join(dir, fmt.Sprintf("table.f%d_TSM%d", dm.seq, c.file)))
}

// openMask opens the default mask, if the image names one.
func (im *Image) openMask() error {
	name, ok := im.Keywords.String("Image_defaultmask")
	if !ok || name == "" {
		return nil
	}
	m := im.Keywords.Sub("masks").Sub(name)
	ref, _ := m.Get("mask")
	rel, ok := ref.(TableRef)
	if !ok {
		return fmt.Errorf("%w: mask %q is not a paged mask", ErrUnsupported, name)
	}
	sub, err := subTable(im.Dir, string(rel))
	if err != nil {
		return err
	}
	t, err := readTable(sub)
	if err != nil {
		return err
	}
	r, err := openColumn(sub, t, "PagedArray")
	if err != nil {
		return err
	}
	if !sameShape(r.c.shape, im.Shape) {
		r.close()
		return fmt.Errorf("%w: mask shape %v, image shape %v", ErrFormat, r.c.shape, im.Shape)
	}
	im.mask = r
	return nil
}

// subTable resolves a table keyword's path ("././mask0": relative to
// the image) and refuses one that leaves the image directory.
func subTable(dir, rel string) (string, error) {
	clean := path.Clean(strings.TrimPrefix(rel, "./"))
	if clean == "." || path.IsAbs(clean) || clean == ".." || strings.HasPrefix(clean, "../") {
		return "", fmt.Errorf("%w: sub-table %q outside the image", ErrUnsupported, rel)
	}
	p := filepath.Join(dir, filepath.FromSlash(clean))
	if fi, err := os.Lstat(p); err != nil || !fi.IsDir() {
		if err == nil {
			err = fs.ErrInvalid
		}
		return "", fmt.Errorf("casa: sub-table %s: %w", rel, err)
	}
	return p, nil
}

func sameShape(a, b []int) bool { return slices.Equal(a, b) }

// HasMask reports whether the image has a default pixel mask.
func (im *Image) HasMask() bool { return im.mask != nil }

// ReadBox fills dst with the pixels of the box starting at start with
// count pixels per axis, in Fortran order; masked pixels are NaN.
func (im *Image) ReadBox(dst []float32, start, count []int) error {
	if err := im.data.readFloats(dst, start, count); err != nil {
		return err
	}
	if im.mask != nil {
		return im.mask.applyMask(dst, start, count)
	}
	return nil
}

// Close closes the data files.
func (im *Image) Close() error {
	err := im.data.close()
	if im.mask != nil {
		err = errors.Join(err, im.mask.close())
	}
	return err
}

// DataInfo is the stat of the pixel data file, which identifies the
// pixels: casacore rewrites it when they change.
func (im *Image) DataInfo() (os.FileInfo, error) { return im.data.f.Stat() }
