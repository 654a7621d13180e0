package tiles

import (
	"encoding/binary"
	"math"
)

// BlankValue is what the frontend's shader treats as a blank pixel
// (val <= -FLT_MAX): −3.4028235e38.
const BlankValue float32 = -math.MaxFloat32

var blankBits = math.Float32bits(BlankValue)

// AppendUncompressed appends data as little-endian float32 bytes, the
// image_data of a tile sent with compression NONE, and returns the
// extended slice. NaN is written as BlankValue: the frontend uploads
// uncompressed tiles as they are and ignores nan_encodings for them, and a
// real NaN would fail its shader's blank test. ±Inf are kept.
func AppendUncompressed(dst []byte, data []float32) []byte {
	n := len(dst)
	dst = growBytes(dst, 4*len(data))
	b := dst[n:]
	for i, v := range data {
		u := math.Float32bits(v)
		if v != v {
			u = blankBits
		}
		binary.LittleEndian.PutUint32(b[4*i:4*i+4], u)
	}
	return dst
}

// AppendNaNRuns appends the NaN run-length encoding of data to dst and
// returns the extended slice: lengths of alternating runs of non-NaN and
// NaN values in order, starting with a non-NaN run (0 if data[0] is NaN)
// and always ending with the last run, so they sum to len(data). A tile
// without NaN gives [len(data)]; an empty one [0]. Only NaN counts as
// blank here (±Inf do not), as in the reference backend's
// GetNanEncodingsBlock (carta-backend src/DataStream/Compression.cc).
func AppendNaNRuns(dst []int32, data []float32) []int32 {
	start, nan := 0, false
	for i, v := range data {
		if (v != v) != nan {
			dst = append(dst, int32(i-start))
			start, nan = i, !nan
		}
	}
	return append(dst, int32(len(data)-start))
}

// AppendNaNEncodings appends the NaN run-length encoding of data (see
// AppendNaNRuns) as little-endian int32 bytes — the nan_encodings field of
// a ZFP tile — and returns the extended slice.
func AppendNaNEncodings(dst []byte, data []float32) []byte {
	start, nan := 0, false
	for i, v := range data {
		if (v != v) != nan {
			dst = binary.LittleEndian.AppendUint32(dst, uint32(i-start))
			start, nan = i, !nan
		}
	}
	return binary.LittleEndian.AppendUint32(dst, uint32(len(data)-start))
}

// FillNaNBlocks prepares a w×h tile for ZFP as the reference backend
// does: in every 4×4 block of the ZFP block grid (clipped at the right
// and bottom edges) that holds both NaN and non-NaN values, each NaN is
// replaced by the float32 mean of the block's non-NaN values, summed
// column by column as the reference does so the values (and so the ZFP
// stream) match bit for bit. All-NaN blocks are left alone. Only NaN is
// tested, not ±Inf. Call AppendNaNRuns first: this destroys the NaNs.
func FillNaNBlocks(data []float32, w, h int) {
	data = data[:w*h]
	for bx := 0; bx < w; bx += 4 {
		for by := 0; by < h; by += 4 {
			fillBlock(data, w, bx, by, min(4, w-bx), min(4, h-by))
		}
	}
}

func fillBlock(data []float32, w, bx, by, bw, bh int) {
	var sum float32
	valid := 0
	for x := range bw {
		for y := range bh {
			if v := data[(by+y)*w+bx+x]; v == v {
				sum += v
				valid++
			}
		}
	}
	if valid == 0 || valid == bw*bh {
		return
	}
	mean := sum / float32(valid)
	for y := range bh {
		row := data[(by+y)*w+bx : (by+y)*w+bx+bw]
		for x, v := range row {
			if v != v {
				row[x] = mean
			}
		}
	}
}

// growBytes extends dst by n bytes, reallocating only when needed.
func growBytes(dst []byte, n int) []byte {
	if cap(dst)-len(dst) < n {
		nd := make([]byte, len(dst), len(dst)+n)
		copy(nd, dst)
		dst = nd
	}
	return dst[:len(dst)+n]
}
