// Package wcs reads the celestial world coordinate system of a FITS
// header (WCS Papers I and II: Greisen & Calabretta 2002, Calabretta &
// Greisen 2002) and converts between image pixels and sky coordinates.
//
// Only the two celestial axes are modelled: CTYPEn pairs such as
// RA---SIN/DEC--SIN, GLON-CAR/GLAT-CAR or ELON-TAN/ELAT-TAN, with the
// zenithal projections TAN, SIN (with the PV slant parameters and the
// old NCP form), ARC, STG and ZEA and the all-sky projections CAR and
// AIT. The linear part comes from CRPIXn, CDELTn with PCi_j, CDi_j or
// the old CROTA2, and the spherical rotation from CRVALn with LONPOLE
// and LATPOLE. Terms that couple the celestial axes to other axes (a
// PCi_j between RA and a spectral axis, distortion tables) are ignored,
// as are PVi_1 and PVi_2 of the longitude axis (an offset native
// reference point).
//
// Pixel coordinates are 0-based with pixel centres at integers, as the
// CARTA protocol uses them (FITS pixel 1 is 0 here); x runs along the
// lower-numbered celestial axis. Sky coordinates are degrees in the
// image's own frame (see Frame); Convert moves them between frames.
//
// A Celestial is immutable and safe for concurrent use.
package wcs
