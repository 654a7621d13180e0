// Package idia reads images in the IDIA HDF5 schema, as the fits2idia
// converter writes them and the CARTA reference backend reads them
// (carta-backend src/ImageData/Hdf5Loader.cc): group "0" holds the FITS
// header cards as attributes and the pixels in dataset DATA with the
// axes reversed ([stokes][channel][y][x]); optional datasets hold mip
// levels (MipMaps/DATA/DATA_XY_<m>: m×m block means of finite values),
// per-plane and per-cube statistics and histograms (Statistics/XY and
// Statistics/XYZ) and a spectral-axis-first copy for spectra
// (SwizzledData/ZYX, ZYXW: [stokes][x][y][channel]).
//
// The header becomes a *fits.HDU (fits.DescribeHDU), so file
// information, WCS and every header-driven feature reuse the FITS
// code; Image reads planes, rows, rectangles and spectra as float32
// like fits.Image, spectra from the swizzled copy when there is one.
package idia
