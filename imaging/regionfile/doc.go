// Package regionfile reads and writes region files: CRTF (the CASA
// region text format) and DS9 region files. It is pure: text in,
// regions in 0-based pixel coordinates of one image out, and back; the
// image's sky mapping comes in as an interface.
//
// Coordinates follow the formats' conventions: CRTF pixels are 0-based,
// DS9 image pixels 1-based; world coordinates are converted through the
// image's celestial WCS, between ICRS, FK5 J2000, galactic and ecliptic
// J2000 frames when the file's frame differs from the image's.
package regionfile
