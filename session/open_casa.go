package session

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"cartago/icd"
	"cartago/imaging/cache"
	"cartago/imaging/casa"
	"cartago/imaging/fits"
)

// CASA images are directories, recognised by content as the reference
// does (casacore's ImageOpener: a table whose table.info says Image).
// They are read by imaging/casa and served through the FITS code paths:
// the coordinate record becomes a FITS header (casa.Image.Header), and
// the pixels a planeSource.

// casaPath returns the absolute path of dir/name if it is a CASA image
// inside the folder.
func (f *Folder) casaPath(dir, name string) (string, bool) {
	_, abs, err := f.entry(dir, name)
	if err != nil {
		return "", false
	}
	if fi, err := os.Stat(abs); err != nil || !fi.IsDir() {
		return "", false
	}
	return abs, casa.IsImage(abs)
}

// openCasaFrame opens the CASA image at path for file id.
func openCasaFrame(ctx context.Context, s *Session, folder *Folder, id int32, dir, name, path string) (*frame, error) {
	im, err := casa.Open(path)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	fi, err := im.DataInfo()
	if err != nil {
		im.Close()
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	opened := false
	file, err := s.cache.OpenOther(ctx, path, fi, func() (io.Closer, error) { opened = true; return im, nil })
	if !opened {
		im.Close() // another session has it open, or the open failed
	}
	if err != nil {
		return nil, errFileAccess(folder, dir, name, err)
	}
	shared := file.Other().(*casa.Image)
	if _, err := shared.Beams(); err != nil {
		file.Close()
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	h, err := casaHDU(shared)
	if err != nil {
		file.Close()
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	px := newPixelsOf(casaSource{im: shared, layout: h.Layout}, h.Layout, "casa", s.mem, s.cache, file.ID())
	if err := checkImageFits(s.mem, s.cache, px, name); err != nil {
		file.Close()
		return nil, err
	}
	f := &frame{id: id, dir: dir, name: name, hdu: "", file: file, img: &fits.Image{HDU: h}, px: px}
	return f.start(s, folder), nil
}

// casaHDU is the FITS header equivalent to a CASA image's keywords.
func casaHDU(im *casa.Image) (*fits.HDU, error) {
	cards, err := im.Header()
	if err != nil {
		return nil, err
	}
	h, err := fits.DescribeHDU(fits.WriteHDU{Bitpix: -32, Naxis: im.Shape, Cards: cards})
	if err != nil {
		return nil, fmt.Errorf("CASA image header: %w", err)
	}
	return h, nil
}

// casaFileInfo answers FILE_INFO_REQUEST for a CASA image: one entry,
// keyed "" as the reference keys formats without HDUs.
func casaFileInfo(name, path string) (*icd.FileInfoResponse, error) {
	im, err := casa.Open(path)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	defer im.Close()
	h, err := casaHDU(im)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	size, mtime := casaSize(path)
	return &icd.FileInfoResponse{Success: true,
		FileInfo:         casaInfo(name, size, mtime),
		FileInfoExtended: map[string]*icd.FileInfoExtended{"": extendedInfo(name, h)}}, nil
}

// casaInfo is the FileInfo of a CASA image.
func casaInfo(name string, size, mtime int64) *icd.FileInfo {
	return &icd.FileInfo{Name: name, Type: icd.FileType_CASA, Size: size, HDUList: []string{""}, Date: mtime}
}

// casaSize is the size of an image directory (its files and those of
// its sub-tables, one level down, as casacore writes them) and its
// modification time.
func casaSize(dir string) (int64, int64) {
	fi, err := os.Stat(dir)
	if err != nil {
		return 0, 0
	}
	var size int64
	add := func(d string, deeper bool) {
		entries, _ := readDir(d)
		for _, e := range entries {
			info, err := e.Info()
			switch {
			case err != nil:
			case info.Mode().IsRegular():
				size += info.Size()
			case info.IsDir() && deeper:
				sub, _ := readDir(filepath.Join(d, e.Name()))
				for _, s := range sub {
					if si, err := s.Info(); err == nil && si.Mode().IsRegular() {
						size += si.Size()
					}
				}
			}
		}
	}
	add(dir, true)
	return size, fi.ModTime().Unix()
}

// casaSource reads planes of a CASA image by the layout's axes.
type casaSource struct {
	im     *casa.Image
	layout fits.Layout
}

// box is the pixel box of a rectangle of one plane, or of a spectrum
// (depth channels from channel when depth > 1).
func (c casaSource) box(channel, stokes, x0, y0, w, rows, depth int) ([]int, []int) {
	n := len(c.im.Shape)
	start, count := make([]int, n), make([]int, n)
	for i := range count {
		count[i] = 1
	}
	a := c.layout.Axes
	start[a.SpatialX-1], count[a.SpatialX-1] = x0, w
	start[a.SpatialY-1], count[a.SpatialY-1] = y0, rows
	if a.Depth > 0 {
		start[a.Depth-1], count[a.Depth-1] = channel, depth
	} else if channel != 0 || depth != 1 {
		start[0] = -1 // out of range: no such channel
	}
	if a.Stokes > 0 {
		start[a.Stokes-1] = stokes
	} else if stokes != 0 {
		start[0] = -1
	}
	return start, count
}

func (c casaSource) ReadPlane(dst []float32, channel, stokes int) error {
	return c.ReadRect(dst, channel, stokes, 0, 0, c.layout.Width, c.layout.Height)
}

func (c casaSource) ReadRows(dst []float32, channel, stokes, y0, rows int) error {
	return c.ReadRect(dst, channel, stokes, 0, y0, c.layout.Width, rows)
}

// ReadRect reads rows of w pixels, x varying fastest: the box's order
// when the x axis precedes the y axis, else transposed.
func (c casaSource) ReadRect(dst []float32, channel, stokes, x0, y0, w, rows int) error {
	if len(dst) < w*rows {
		return fmt.Errorf("%w: buffer of %d for %d×%d pixels", fits.ErrOutOfRange, len(dst), w, rows)
	}
	start, count := c.box(channel, stokes, x0, y0, w, rows, 1)
	a := c.layout.Axes
	if a.SpatialX < a.SpatialY {
		return casaErr(c.im.ReadBox(dst[:w*rows], start, count))
	}
	tmp := make([]float32, w*rows)
	if err := c.im.ReadBox(tmp, start, count); err != nil {
		return casaErr(err)
	}
	for y := 0; y < rows; y++ {
		for x := 0; x < w; x++ {
			dst[y*w+x] = tmp[x*rows+y]
		}
	}
	return nil
}

func (c casaSource) ReadSpectrum(dst []float32, x, y, stokes, from int) error {
	if len(dst) == 0 {
		return nil
	}
	start, count := c.box(from, stokes, x, y, 1, 1, len(dst))
	return casaErr(c.im.ReadBox(dst, start, count))
}

// casaErr makes the reader's range errors the FITS reader's, which the
// session turns into protocol errors.
func casaErr(err error) error {
	if err != nil && errors.Is(err, casa.ErrOutOfRange) {
		return fmt.Errorf("%w: %v", fits.ErrOutOfRange, err)
	}
	return err
}

// openedInfo is the FileInfo of OPEN_FILE_ACK: a CASA image's, or a
// FITS file's naming the HDU opened.
func (f *frame) openedInfo(name string) *icd.FileInfo {
	if f.file.Other() != nil {
		size, mtime := casaSize(f.file.Path())
		return casaInfo(name, size, mtime)
	}
	size, mtime := statFile(f.file.Path())
	info := fileInfo(name, size, mtime, []string{f.img.HDU.Key()})
	info.Type = fileTypeOf(f.file)
	return info
}

// reopen is another reference to a frame's file, for a generated image
// that names it as its source: a FITS file is opened again by path, so
// one replaced on disk meanwhile is read anew; other formats share the
// open image.
func (s *Session) reopen(ctx context.Context, file *cache.File) (*cache.File, error) {
	if file.Other() != nil {
		return file.Ref(), nil
	}
	return s.cache.Open(ctx, file.Path(), openOptions(s.mem))
}

// casaBeams is the beam table of a CASA image with a beam per plane
// (channel and Stokes, axes in arcsec), or nil: the frontend then shows
// each channel's beam.
func (f *frame) casaBeams() []*icd.Beam {
	if f.file == nil {
		return nil
	}
	im, ok := f.file.Other().(*casa.Image)
	if !ok {
		return nil
	}
	beams, _ := im.Beams() // checked when opened
	var out []*icd.Beam
	for _, b := range beams {
		out = append(out, &icd.Beam{Channel: int32(b.Channel), Stokes: int32(b.Stokes),
			MajorAxis: float32(b.Major * 3600), MinorAxis: float32(b.Minor * 3600), Pa: float32(b.PA)})
	}
	return out
}
