package ws

import (
	"bytes"

	"google.golang.org/protobuf/proto"

	"cartago/icd"
)

// Per-message compression. When the peer negotiated permessage-deflate
// (every browser offers it, and the frontend cannot refuse it), each
// outgoing message is deflated only if that pays: deflating costs
// server CPU (shared by all sessions) and client CPU on every message,
// and saves bytes only on messages that are not already compressed or
// noise. Deflating a message that shrinks by a fraction s at S MB/s
// wins only on links slower than about s·S MB/s.
//
// Measured by BenchmarkMessageCompression (compress_bench_test.go) on
// messages our server sent for the sample data (4096² noisy float32
// image with NaN patches, 512²×200 cube), each message deflated on its
// own as without context takeover; ratio = deflated/raw, speed = raw
// MB/s at flate level 1 on this 2-core machine (loaded, so ±30%):
//
//	message                               raw/msg   ratio L1 (L6)   MB/s L1 (L6)   rule
//	------------------------------------  --------  -------------   ------------   ----------
//	RASTER_TILE_DATA ZFP q11, fit (16)    68.5 kB   1.000 (0.994)    195 (36)      raw
//	RASTER_TILE_DATA ZFP q11, full (48)   67.4 kB   1.000 (0.993)    230 (28)      raw
//	RASTER_TILE_DATA float32, fit (16)   262.2 kB   0.892 (0.888)    108 (25)      raw [1]
//	CONTOUR_IMAGE_DATA zstd 8 (5 levels)   8.3 kB   1.001 (0.954)    188 (26)      raw
//	CONTOUR_IMAGE_DATA float32 vertices   26.4 kB   0.609 (0.579)     52 (36)      deflate
//	SPATIAL_PROFILE_DATA x+y of 4096²     32.8 kB   0.933 (0.933)    309 (30)      raw [2]
//	SPECTRAL_PROFILE_DATA 200 channels      829 B   1.007 (1.005)     29 (3)       raw
//	REGION_HISTOGRAM_DATA 4096 bins       16.5 kB   0.141 (0.118)    152 (25)      deflate
//	FILE_LIST_RESPONSE 1000 FITS files    68.0 kB   0.130 (0.094)    452 (65)      deflate
//	FILE_INFO_RESPONSE (FITS header)       2.0 kB   0.685 (0.666)     56 (47)      deflate
//	OPEN_FILE_ACK                          2.0 kB   0.688 (0.671)     41 (29)      deflate
//	FILE_LIST_RESPONSE 3 FITS files         217 B   0.535 (0.502)     39 (19)      deflate
//	REGION_STATS_DATA (7 statistics)        102 B   1.059 (0.873)     22 (10)      raw
//	RASTER_TILE_SYNC                         19 B   1.316 (1.000)      8 (1)       raw (size)
//	SET_REGION_ACK                           15 B   1.400 (1.133)     13 (2)       raw (size)
//
// [1] noise does not compress; the frontend asks for ZFP anyway.
// [2] 7% saved pays only below ~20 MB/s, and the cursor is latency-bound.
// Vector overlay tiles and PV previews were not measured: they carry the
// same ZFP or float32 encodings as raster tiles.
//
// Over a whole view (BenchmarkViewportTilesDeflate, medians of 5 runs,
// CPU of server and client together): deflating the 48 ZFP tiles of a
// full-resolution 1920×1080 view cost 9 ms of CPU (42 → 33 ms) and 4 ms
// of wall time (22.0 → 17.7 ms, as without the extension) for nothing
// on the wire (3.24 MB either way); the fit view's 16 tiles 2 ms of CPU.
//
// Hence the rule (compressWorthIt): binary payloads that are compressed
// or noise go raw whatever their size: tiles (raster and vector, ZFP or
// float32), zstd contours, profiles, statistics, PV previews. Everything
// else (lists, headers, acks, histograms, catalogs, float32 contours) is
// deflated when at least compressMinBytes long: a 217-byte file list
// still halves, but messages under ~100 B grow, and each deflate costs
// a fixed ~5 µs.
// The level is gorilla's default, 1 (BestSpeed): level 6 saves at most
// 4% of the raw size more on file lists for 7× the time.

// compressMinBytes is the smallest message worth deflating.
const compressMinBytes = 128

// zstdMagic starts every zstd frame (contour coordinates at a
// compression level ≥ 1).
var zstdMagic = []byte{0x28, 0xb5, 0x2f, 0xfd}

// compressWorthIt says whether the frame of n bytes carrying m (event
// type t) should be deflated when the peer negotiated permessage-deflate.
func compressWorthIt(t icd.EventType, m proto.Message, n int) bool {
	if n < compressMinBytes {
		return false
	}
	switch t {
	case icd.EventType_RASTER_TILE_DATA, icd.EventType_VECTOR_OVERLAY_TILE_DATA, icd.EventType_PV_PREVIEW_DATA,
		icd.EventType_SPATIAL_PROFILE_DATA, icd.EventType_SPECTRAL_PROFILE_DATA, icd.EventType_REGION_STATS_DATA:
		return false
	case icd.EventType_CONTOUR_IMAGE_DATA:
		return !zstdContours(m)
	}
	return true
}

// zstdContours reports whether a contour message carries zstd-compressed
// coordinates (the frontend's default); float32 vertices deflate well.
func zstdContours(m proto.Message) bool {
	c, ok := m.(*icd.ContourImageData)
	if !ok {
		return false
	}
	for _, s := range c.GetContourSets() {
		if bytes.HasPrefix(s.GetRawCoordinates(), zstdMagic) {
			return true
		}
	}
	return false
}
