// Package region turns CARTA regions into pixel masks and computes what
// the frontend asks about them — statistics, histograms and spectral
// profiles — the way the reference backend (CARTAvis/carta-backend with
// casacore) does. It is pure computation: no protobuf, no sockets.
//
// A Desc is a region as SET_REGION describes it: a Kind, control points
// in image pixel coordinates (0-based, pixel centres at integers) and a
// rotation in degrees. Desc.Mask turns it into a Mask for an image of a
// given size: the pixels whose centres lie inside or on the boundary of
// the shape, by casacore's own rules (LCPolygon for rectangles and
// polygons, LCEllipsoid for ellipses, LCBox for points), reproduced in
// float32 arithmetic so that boundary pixels match. Masks are stored as
// runs of pixels per row over the region's bounding box, clipped to the
// image, so their size is bounded by the image whatever the region.
// Cache keeps masks per region id and recomputes them when the region
// changes.
//
// Convert carries a region to another image through a PixelMap (for
// images over the same sky, wcs.PixelMap), as the reference's
// RegionConverter does for spatially matched images; MaskOn keeps a
// mask per image for such regions.
//
// Compute, Histogram and SpectralProfile summarise the pixels of a mask
// as stats.Basic values (float64 sums, finite values only); Value turns
// one into the number the protocol sends for a statistic, with the
// reference's rules for empty sets and flux density.
//
// Functions are safe for concurrent use; a Mask is immutable. Long
// computations run on GOMAXPROCS goroutines and return ctx.Err() when
// ctx is cancelled.
package region
