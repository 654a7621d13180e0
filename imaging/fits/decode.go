package fits

import (
	"encoding/binary"
	"math"
)

// nan32 is the NaN written for blank pixels.
var nan32 = float32(math.NaN())

// decoder turns big-endian raw values into physical float32 values:
// BZERO + BSCALE × raw, with BLANK (compared on the raw integer) → NaN.
type decoder struct {
	bitpix      int
	scale, zero float64
	scaled      bool // scale != 1 || zero != 0
	blank       int64
	hasBlank    bool // integer data with a BLANK in the type's range
}

// newDecoder reads BSCALE, BZERO and BLANK for an HDU.
func newDecoder(h *HDU) decoder {
	d := decoder{bitpix: h.Bitpix, scale: h.Header.floatOr("BSCALE", 1), zero: h.Header.floatOr("BZERO", 0)}
	d.scaled = d.scale != 1 || d.zero != 0
	if b, ok := h.Header.Int("BLANK"); ok && h.Bitpix > 0 {
		lo, hi := intRange(h.Bitpix)
		d.blank, d.hasBlank = b, b >= lo && b <= hi
	}
	return d
}

// intRange returns the raw value range of an integer BITPIX.
func intRange(bitpix int) (int64, int64) {
	switch bitpix {
	case 8:
		return 0, math.MaxUint8
	case 16:
		return math.MinInt16, math.MaxInt16
	case 32:
		return math.MinInt32, math.MaxInt32
	}
	return math.MinInt64, math.MaxInt64
}

// bytesPer returns the size of one raw value.
func (d *decoder) bytesPer() int { return abs(d.bitpix) / 8 }

// run decodes len(dst) contiguous values from src, which must hold at
// least len(dst)*bytesPer bytes.
func (d *decoder) run(dst []float32, src []byte) {
	switch d.bitpix {
	case -32:
		if !d.scaled {
			decodeF32(dst, src)
		} else {
			decodeF32Scaled(dst, src, d.scale, d.zero)
		}
	case -64:
		decodeF64(dst, src, d.scale, d.zero)
	case 8:
		decodeU8(dst, src, d)
	case 16:
		decodeI16(dst, src, d)
	case 32:
		decodeI32(dst, src, d)
	case 64:
		decodeI64(dst, src, d)
	}
}

// at decodes the single value at the start of src.
func (d *decoder) at(src []byte) float32 {
	var v [1]float32
	d.run(v[:], src)
	return v[0]
}

// physical scales a raw integer, or returns NaN for BLANK.
func (d *decoder) physical(raw int64) float32 {
	if d.hasBlank && raw == d.blank {
		return nan32
	}
	return float32(float64(raw)*d.scale + d.zero)
}

func decodeF32(dst []float32, src []byte) {
	src = src[:4*len(dst)]
	// Four values a step through fixed-size slices, so the compiler
	// drops the bounds checks: the plain loop decodes about a third
	// slower.
	for len(dst) >= 4 {
		d, s := dst[:4:4], src[:16:16]
		d[0] = math.Float32frombits(binary.BigEndian.Uint32(s[0:4]))
		d[1] = math.Float32frombits(binary.BigEndian.Uint32(s[4:8]))
		d[2] = math.Float32frombits(binary.BigEndian.Uint32(s[8:12]))
		d[3] = math.Float32frombits(binary.BigEndian.Uint32(s[12:16]))
		dst, src = dst[4:], src[16:]
	}
	for i := range dst {
		dst[i] = math.Float32frombits(binary.BigEndian.Uint32(src[4*i:]))
	}
}

func decodeF32Scaled(dst []float32, src []byte, scale, zero float64) {
	src = src[:4*len(dst)]
	for len(dst) >= 4 { // as in decodeF32
		d, s := dst[:4:4], src[:16:16]
		d[0] = float32(float64(math.Float32frombits(binary.BigEndian.Uint32(s[0:4])))*scale + zero)
		d[1] = float32(float64(math.Float32frombits(binary.BigEndian.Uint32(s[4:8])))*scale + zero)
		d[2] = float32(float64(math.Float32frombits(binary.BigEndian.Uint32(s[8:12])))*scale + zero)
		d[3] = float32(float64(math.Float32frombits(binary.BigEndian.Uint32(s[12:16])))*scale + zero)
		dst, src = dst[4:], src[16:]
	}
	for i := range dst {
		v := math.Float32frombits(binary.BigEndian.Uint32(src[4*i:]))
		dst[i] = float32(float64(v)*scale + zero)
	}
}

func decodeF64(dst []float32, src []byte, scale, zero float64) {
	src = src[:8*len(dst)]
	for i := range dst {
		v := math.Float64frombits(binary.BigEndian.Uint64(src[8*i:]))
		dst[i] = float32(v*scale + zero)
	}
}

func decodeU8(dst []float32, src []byte, d *decoder) {
	src = src[:len(dst)]
	s, z, blank, hasBlank := d.scale, d.zero, uint8(d.blank), d.hasBlank
	for i, r := range src {
		if hasBlank && r == blank {
			dst[i] = nan32
			continue
		}
		dst[i] = float32(float64(r)*s + z)
	}
}

func decodeI16(dst []float32, src []byte, d *decoder) {
	src = src[:2*len(dst)]
	s, z, blank, hasBlank := d.scale, d.zero, int16(d.blank), d.hasBlank
	for i := range dst {
		r := int16(binary.BigEndian.Uint16(src[2*i:]))
		if hasBlank && r == blank {
			dst[i] = nan32
			continue
		}
		dst[i] = float32(float64(r)*s + z)
	}
}

func decodeI32(dst []float32, src []byte, d *decoder) {
	src = src[:4*len(dst)]
	s, z, blank, hasBlank := d.scale, d.zero, int32(d.blank), d.hasBlank
	for i := range dst {
		r := int32(binary.BigEndian.Uint32(src[4*i:]))
		if hasBlank && r == blank {
			dst[i] = nan32
			continue
		}
		dst[i] = float32(float64(r)*s + z)
	}
}

func decodeI64(dst []float32, src []byte, d *decoder) {
	src = src[:8*len(dst)]
	for i := range dst {
		dst[i] = d.physical(int64(binary.BigEndian.Uint64(src[8*i:])))
	}
}
