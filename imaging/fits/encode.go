package fits

import (
	"encoding/binary"
	"fmt"
	"math"
)

// WriteData appends raw values to the current data unit, big-endian.
// data must be a []uint8, []int16, []int32, []int64, []float32 or
// []float64 matching the HDU's BITPIX; it fails with ErrBadData when it
// does not, or when it would exceed NAXIS1 × ... × NAXISn values.
func (e *Encoder) WriteData(data any) error {
	if e.err != nil {
		return e.err
	}
	n, bitpix := dataLen(data)
	if e.hdus == 0 || bitpix != e.bitpix {
		return e.fail(fmt.Errorf("fits: write HDU %d: %w: %T does not match BITPIX %d", e.hdus-1, ErrBadData, data, e.bitpix))
	}
	if nb := int64(n) * int64(abs(bitpix)/8); nb > e.remain {
		return e.fail(fmt.Errorf("fits: write HDU %d: %w: %d bytes of data, only %d expected", e.hdus-1, ErrBadData, nb, e.remain))
	}
	per := abs(bitpix) / 8
	chunk := len(e.scratch) / per
	for off := 0; off < n; off += chunk {
		end := min(off+chunk, n)
		buf := e.scratch[:(end-off)*per]
		encodeRange(buf, data, off, end)
		if _, err := e.w.Write(buf); err != nil {
			return e.fail(err)
		}
		e.remain -= int64(len(buf))
		e.written += int64(len(buf))
	}
	return nil
}

// dataLen returns the number of values in data and the BITPIX its type
// maps to (0 for unsupported types).
func dataLen(data any) (int, int) {
	switch d := data.(type) {
	case []uint8:
		return len(d), 8
	case []int16:
		return len(d), 16
	case []int32:
		return len(d), 32
	case []int64:
		return len(d), 64
	case []float32:
		return len(d), -32
	case []float64:
		return len(d), -64
	}
	return 0, 0
}

// encodeRange writes data[off:end] big-endian into buf.
func encodeRange(buf []byte, data any, off, end int) {
	be := binary.BigEndian
	switch d := data.(type) {
	case []uint8:
		copy(buf, d[off:end])
	case []int16:
		for i, v := range d[off:end] {
			be.PutUint16(buf[2*i:], uint16(v))
		}
	case []int32:
		for i, v := range d[off:end] {
			be.PutUint32(buf[4*i:], uint32(v))
		}
	case []int64:
		for i, v := range d[off:end] {
			be.PutUint64(buf[8*i:], uint64(v))
		}
	case []float32:
		for i, v := range d[off:end] {
			be.PutUint32(buf[4*i:], math.Float32bits(v))
		}
	case []float64:
		for i, v := range d[off:end] {
			be.PutUint64(buf[8*i:], math.Float64bits(v))
		}
	}
}
