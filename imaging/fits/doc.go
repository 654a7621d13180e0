// Package fits reads and writes FITS files (FITS standard 4.0) for the
// image viewer: the primary HDU and IMAGE extensions with BITPIX 8, 16,
// 32, 64, -32 and -64, BSCALE/BZERO scaling and BLANK values.
//
// Open memory-maps an uncompressed file read-only, so opening a large
// cube costs only the header parse; planes and spectra are decoded on
// demand into float32. Gzip-compressed files (.fits.gz) are decompressed
// into memory, bounded by Options.MaxGunzipBytes.
//
// Every HDU is listed (tables too, so HDU numbers match the file), but
// only images with at least two axes can be read. HDU keys follow the
// CARTA reference backend: "N" or "N: EXTNAME", N being the 0-based
// position of the HDU in the file; see File.HDU.
//
// Errors wrap the sentinels in errors.go with the file name and detail;
// a malformed or hostile file yields an error, never a panic, and no
// allocation is sized by a header number before it has been checked
// against the file size.
//
// Encoder and Write produce FITS files (primary HDU plus IMAGE
// extensions) for tests and the sample data generator.
package fits
