package contour

import (
	"encoding/binary"
	"math"
	"sync"

	"github.com/klauspost/compress/zstd"
)

// Limits applied to Encode's arguments, as the reference clamps them.
const (
	MaxCompressionLevel = 20 // zstd level; below 1 means raw floats
	MaxDecimation       = 32 // coordinates are rounded to 1/MaxDecimation pixel at finest
)

// maxDecoded bounds the uncompressed size Decode accepts (1 GiB).
const maxDecoded = 1 << 30

// Encoded is one chunk of a level's coordinates as a ContourSet carries
// them: raw_coordinates, uncompressed_coordinates_size and
// decimation_factor. Decimation 0 means Coordinates are plain float32.
type Encoded struct {
	Coordinates      []byte
	UncompressedSize int // bytes before zstd (4 per value)
	Decimation       int
}

// Encode encodes polyline vertices (x, y pairs) the way the reference's
// Session::SendContourData and RoundAndEncodeVertices do, for the
// frontend's decoder (see Decode).
//
// compressionLevel is clamped to 0..MaxCompressionLevel. Below 1 the
// vertices are sent as little-endian float32, UncompressedSize 4·N,
// Decimation 0. Otherwise, with d = decimation clamped to 1..MaxDecimation:
// each value is multiplied by d (in float32) and rounded to int32 (half to
// even in whole groups of four, half away from zero in the tail, as the
// reference's SSE and scalar paths do); x and y are delta-encoded
// separately along the whole array (the first pair against 0); each full
// group of four int32 is byte-shuffled (the four lowest bytes first, then
// the four second bytes, and so on; a tail of fewer than four values stays
// little-endian); and the 4·N bytes are zstd-compressed. Decimation = d.
//
// zstd levels map to the encoder's four speeds with
// zstd.EncoderLevelFromZstd: 1–2 fastest, 3–5 default, 6–9 better,
// 10–20 best (the frontend's default, 8, is "better"). Frames carry no
// checksum, like libzstd's ZSTD_compress.
//
// No vertices give the zero Encoded: the reference leaves the fields
// unset for an empty chunk.
func Encode(vertices []float32, compressionLevel, decimation int) Encoded {
	n := len(vertices)
	if n == 0 {
		return Encoded{}
	}
	level := min(max(compressionLevel, 0), MaxCompressionLevel)
	if level < 1 {
		b := make([]byte, 4*n)
		for i, v := range vertices {
			binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(v))
		}
		return Encoded{Coordinates: b, UncompressedSize: 4 * n}
	}
	d := min(max(decimation, 1), MaxDecimation)
	raw := shuffle(deltas(round(vertices, float32(d))))
	return Encoded{
		Coordinates:      encoder(level).EncodeAll(raw, make([]byte, 0, len(raw)/2)),
		UncompressedSize: len(raw),
		Decimation:       d,
	}
}

// round returns v·d rounded to int32 as the reference does.
func round(v []float32, d float32) []int32 {
	out := make([]int32, len(v))
	blocked := len(v) &^ 3
	for i, x := range v {
		p := float64(x * d)
		if i < blocked {
			out[i] = toInt32(math.RoundToEven(p)) // _mm_cvtps_epi32
		} else {
			out[i] = toInt32(math.Round(p)) // round()
		}
	}
	return out
}

// toInt32 converts like cvtps2dq: out of range (or NaN) gives MinInt32.
func toInt32(r float64) int32 {
	if !(r >= math.MinInt32 && r <= math.MaxInt32) {
		return math.MinInt32
	}
	return int32(r)
}

// deltas replaces each x (even index) and y (odd index) by its difference
// from the previous x or y, in place (wrapping on overflow). An odd last
// value is left alone, as in the reference.
func deltas(a []int32) []int32 {
	var lx, ly int32
	for i := 0; i+1 < len(a); i += 2 {
		x, y := a[i], a[i+1]
		a[i], a[i+1] = x-lx, y-ly
		lx, ly = x, y
	}
	return a
}

// shuffle writes a as bytes, each full group of four values transposed:
// byte 4·b+k of a group is byte b (little-endian) of its value k.
func shuffle(a []int32) []byte {
	out := make([]byte, 4*len(a))
	blocked := len(a) &^ 3
	for g := 0; g < blocked; g += 4 {
		o := out[4*g : 4*g+16]
		for k := range 4 {
			u := uint32(a[g+k])
			o[k], o[4+k], o[8+k], o[12+k] = byte(u), byte(u>>8), byte(u>>16), byte(u>>24)
		}
	}
	for i := blocked; i < len(a); i++ {
		binary.LittleEndian.PutUint32(out[4*i:], uint32(a[i]))
	}
	return out
}

// Decode inverts Encode the way the frontend does (processContourSet and
// decodeArray in carta_computation.cc): Decimation < 1 means raw
// little-endian float32. Otherwise Coordinates is zstd-decompressed into
// UncompressedSize bytes; each full group of 16 bytes is un-shuffled into
// four int32, every int32 is converted to float32 and multiplied by
// float32(1/Decimation), and x and y are then summed along the array in
// float32. The arithmetic is the frontend's, so the result is what it
// draws: exact multiples of 1/d for powers of two d, while for other d
// the float32 running sums drift by a few ulps of the coordinates.
//
// It returns ErrCorrupt for a raw length or uncompressed size that is not
// a whole number of floats, an uncompressed size above 1 GiB, or zstd data
// that does not decompress to exactly UncompressedSize bytes.
func Decode(e Encoded) ([]float32, error) {
	if e.Decimation < 1 {
		return rawFloats(e.Coordinates)
	}
	size := e.UncompressedSize
	if size%4 != 0 || size < 0 || size > maxDecoded {
		return nil, ErrCorrupt
	}
	if size == 0 && len(e.Coordinates) == 0 {
		return []float32{}, nil
	}
	b, err := decoder().DecodeAll(e.Coordinates, make([]byte, 0, size))
	if err != nil || len(b) != size {
		return nil, ErrCorrupt
	}
	n := size / 4
	scale := float32(1 / float64(e.Decimation))
	out := make([]float32, n)
	blocked := n &^ 3
	for g := 0; g < blocked; g += 4 {
		o := b[4*g : 4*g+16]
		for k := range 4 {
			u := uint32(o[k]) | uint32(o[4+k])<<8 | uint32(o[8+k])<<16 | uint32(o[12+k])<<24
			out[g+k] = float32(int32(u)) * scale
		}
	}
	for i := blocked; i < n; i++ {
		out[i] = float32(int32(binary.LittleEndian.Uint32(b[4*i:]))) * scale
	}
	var lx, ly float32
	for i := 0; i+1 < n; i += 2 {
		lx += out[i]
		ly += out[i+1]
		out[i], out[i+1] = lx, ly
	}
	return out, nil
}

func rawFloats(b []byte) ([]float32, error) {
	if len(b)%4 != 0 {
		return nil, ErrCorrupt
	}
	out := make([]float32, len(b)/4)
	for i := range out {
		out[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
	}
	return out, nil
}

// EncodeStarts returns polyline start indices as raw_start_indices:
// little-endian int32.
func EncodeStarts(starts []int32) []byte {
	b := make([]byte, 4*len(starts))
	for i, s := range starts {
		binary.LittleEndian.PutUint32(b[4*i:], uint32(s))
	}
	return b
}

// DecodeStarts inverts EncodeStarts; it returns ErrCorrupt unless len(b)
// is a multiple of 4 (the frontend's Int32Array would throw).
func DecodeStarts(b []byte) ([]int32, error) {
	if len(b)%4 != 0 {
		return nil, ErrCorrupt
	}
	out := make([]int32, len(b)/4)
	for i := range out {
		out[i] = int32(binary.LittleEndian.Uint32(b[4*i:]))
	}
	return out, nil
}

// One shared encoder per encoder speed (EncodeAll is safe for concurrent
// use), created on first use.
var (
	encMu   sync.Mutex
	encs    = map[zstd.EncoderLevel]*zstd.Encoder{}
	decOnce = sync.OnceValue(func() *zstd.Decoder {
		d, err := zstd.NewReader(nil, zstd.WithDecoderConcurrency(0), zstd.WithDecodeAllCapLimit(true))
		if err != nil {
			panic("contour: zstd decoder: " + err.Error()) // only for invalid options
		}
		return d
	})
)

func decoder() *zstd.Decoder { return decOnce() }

func encoder(level int) *zstd.Encoder {
	l := zstd.EncoderLevelFromZstd(level)
	encMu.Lock()
	defer encMu.Unlock()
	if e, ok := encs[l]; ok {
		return e
	}
	e, err := zstd.NewWriter(nil, zstd.WithEncoderLevel(l), zstd.WithEncoderCRC(false))
	if err != nil {
		panic("contour: zstd encoder: " + err.Error()) // only for invalid options
	}
	encs[l] = e
	return e
}
