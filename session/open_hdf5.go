package session

import (
	"fmt"
	"os"

	"cartago/icd"
	"cartago/imaging/cache"
	"cartago/imaging/fits"
	"cartago/imaging/hdf5"
	"cartago/imaging/idia"
)

// IDIA HDF5 images (fits2idia's schema) open like FITS images: their
// header attributes become a FITS header (same file information and
// WCS), their pixels come through an *idia.Image as the planeSource,
// and the precomputed statistics, mip levels and swizzled copy answer
// histograms, low-zoom tiles and spectra without reading the cube
// (hdf5_stats.go).

// hdf5Frame makes the frame of the image of an open HDF5 file; on error
// the caller closes file.
func hdf5Frame(s *Session, folder *Folder, file *cache.File, id int32, dir, name, hdu string) (*frame, error) {
	img, err := idia.Open(file.HDF5(), hdu)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	px := newPixelsOf(img, img.Layout, img.Key(), s.mem, s.cache, file.ID())
	if err := checkImageFits(s.mem, s.cache, px, name); err != nil {
		return nil, err
	}
	f := &frame{id: id, dir: dir, name: name, hdu: img.Key(), file: file, img: &fits.Image{HDU: img.HDU}, px: px}
	return f.start(s, folder), nil
}

// idiaOf returns the IDIA image a frame reads, nil for other images.
func idiaOf(f *frame) *idia.Image {
	img, _ := f.px.src.(*idia.Image)
	return img
}

// fileTypeOf is the file type FILE_INFO and OPEN_FILE_ACK report.
func fileTypeOf(file *cache.File) icd.FileType {
	if file != nil && file.HDF5() != nil {
		return icd.FileType_HDF5
	}
	return icd.FileType_FITS
}

// hdf5FileInfo answers FILE_INFO_REQUEST for an HDF5 file: its one
// image, "0", as the reference lists it.
func hdf5FileInfo(name, path, hdu string) (*icd.FileInfoResponse, error) {
	osf, err := fits.OpenRegular(path)
	if err != nil {
		return nil, err
	}
	h, err := hdf5.OpenFile(osf)
	if err != nil {
		return nil, err
	}
	defer h.Close()
	img, err := idia.Open(h, hdu)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	resp := &icd.FileInfoResponse{Success: true, FileInfoExtended: map[string]*icd.FileInfoExtended{
		img.Key(): extendedInfo(name, img.HDU),
	}}
	var size, mtime int64
	if fi, err := os.Stat(path); err == nil {
		size, mtime = fi.Size(), fi.ModTime().Unix()
	}
	resp.FileInfo = fileInfo(name, size, mtime, []string{img.Key()})
	resp.FileInfo.Type = icd.FileType_HDF5
	return resp, nil
}
