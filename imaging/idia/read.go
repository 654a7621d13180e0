package idia

import (
	"fmt"

	"cartago/imaging/fits"
)

// slab returns the hyperslab of DATA for rows [y0, y0+rows) and columns
// [x0, x0+w) of plane (channel, stokes).
func (im *Image) slab(channel, stokes, x0, y0, w, rows int) (start, count []int, err error) {
	l := im.Layout
	if channel < 0 || channel >= l.Depth || stokes < 0 || stokes >= l.Stokes {
		return nil, nil, fmt.Errorf("idia: %s: %w: channel %d, Stokes %d of %d×%d", im.file.Path(), fits.ErrOutOfRange, channel, stokes, l.Depth, l.Stokes)
	}
	if x0 < 0 || y0 < 0 || w < 0 || rows < 0 || x0+w > l.Width || y0+rows > l.Height {
		return nil, nil, fmt.Errorf("idia: %s: %w: rectangle %d,%d %d×%d of %d×%d", im.file.Path(), fits.ErrOutOfRange, x0, y0, w, rows, l.Width, l.Height)
	}
	r := len(im.data.Shape)
	start, count = make([]int, r), make([]int, r)
	for i := range count {
		count[i] = 1
	}
	dim := func(axis int) int { return r - axis } // FITS axis (1-based) → dimension
	start[dim(1)], count[dim(1)] = x0, w
	start[dim(2)], count[dim(2)] = y0, rows
	if a := l.Axes.Depth; a > 0 {
		start[dim(a)] = channel
	}
	if a := l.Axes.Stokes; a > 0 {
		start[dim(a)] = stokes
	}
	return start, count, nil
}

// ReadPlane decodes plane (channel, stokes) into dst (Width×Height).
func (im *Image) ReadPlane(dst []float32, channel, stokes int) error {
	return im.ReadRect(dst, channel, stokes, 0, 0, im.Layout.Width, im.Layout.Height)
}

// ReadRows decodes rows [y0, y0+rows) of a plane into dst.
func (im *Image) ReadRows(dst []float32, channel, stokes, y0, rows int) error {
	return im.ReadRect(dst, channel, stokes, 0, y0, im.Layout.Width, rows)
}

// ReadRect decodes a rectangle of a plane into dst (w×rows, row major).
func (im *Image) ReadRect(dst []float32, channel, stokes, x0, y0, w, rows int) error {
	start, count, err := im.slab(channel, stokes, x0, y0, w, rows)
	if err != nil {
		return err
	}
	if len(dst) != w*rows {
		return fmt.Errorf("idia: %s: %w: buffer of %d for %d×%d", im.file.Path(), fits.ErrOutOfRange, len(dst), w, rows)
	}
	return im.data.ReadFloat32(dst, start, count)
}

// ReadSpectrum fills dst with channels [from, from+len(dst)) at pixel
// (x, y): from the swizzled copy when there is one (one contiguous run
// instead of one read per channel), else from DATA.
func (im *Image) ReadSpectrum(dst []float32, x, y, stokes, from int) error {
	l := im.Layout
	if from < 0 || from+len(dst) > l.Depth {
		return fmt.Errorf("idia: %s: %w: channels [%d, %d) of %d", im.file.Path(), fits.ErrOutOfRange, from, from+len(dst), l.Depth)
	}
	if len(dst) == 0 {
		return nil
	}
	start, count, err := im.slab(from, stokes, x, y, 1, 1)
	if err != nil {
		return err
	}
	if im.swizzled != nil {
		s, c := []int{x, y, from}, []int{1, 1, len(dst)}
		if len(im.swizzled.Shape) == 4 {
			s, c = append([]int{stokes}, s...), append([]int{1}, c...)
		}
		return im.swizzled.ReadFloat32(dst, s, c)
	}
	if a := l.Axes.Depth; a > 0 {
		count[len(count)-a] = len(dst)
	}
	return im.data.ReadFloat32(dst, start, count)
}

// HasMip reports whether mip level mip (m×m block means) is stored.
func (im *Image) HasMip(mip int) bool { return im.mips[mip] != nil }

// ReadMip reads rectangle [x0, x0+w)×[y0, y0+rows) of mip level mip of
// plane (channel, stokes), in the level's pixels.
func (im *Image) ReadMip(dst []float32, mip, channel, stokes, x0, y0, w, rows int) error {
	d := im.mips[mip]
	if d == nil {
		return fmt.Errorf("idia: %s: %w: no mip level %d", im.file.Path(), fits.ErrOutOfRange, mip)
	}
	start, count, err := im.slab(channel, stokes, 0, 0, 0, 0)
	if err != nil {
		return err
	}
	r := len(start)
	start[r-1], count[r-1] = x0, w
	start[r-2], count[r-2] = y0, rows
	if len(dst) != w*rows {
		return fmt.Errorf("idia: %s: %w: buffer of %d for %d×%d", im.file.Path(), fits.ErrOutOfRange, len(dst), w, rows)
	}
	return d.ReadFloat32(dst, start, count)
}

// ReadSpectra reads the spectra of the w×h pixels at (x0, y0) of a
// Stokes from the swizzled copy into dst (w·h·Depth values, ordered
// [x][y][channel] as stored: one contiguous run per column of pixels).
func (im *Image) ReadSpectra(dst []float32, stokes, x0, y0, w, h int) error {
	if im.swizzled == nil {
		return fmt.Errorf("idia: %s: %w: no swizzled data", im.file.Path(), fits.ErrOutOfRange)
	}
	if _, _, err := im.slab(0, stokes, x0, y0, w, h); err != nil {
		return err
	}
	s, c := []int{x0, y0, 0}, []int{w, h, im.Layout.Depth}
	if len(im.swizzled.Shape) == 4 {
		s, c = append([]int{stokes}, s...), append([]int{1}, c...)
	}
	return im.swizzled.ReadFloat32(dst, s, c)
}
