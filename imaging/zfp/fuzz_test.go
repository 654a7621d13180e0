package zfp

import (
	"bytes"
	"encoding/binary"
	"errors"
	"math"
	"testing"
)

// Fuzz modes: how FuzzRoundTrip turns its bytes into floats.
const (
	fuzzFinite  = iota // any finite float32 below 2^127 (see errorBound on overflow)
	fuzzExact          // 23-bit integers times 2^e, e ≥ −97: exact at p ≥ 32
	fuzzAnyBits        // raw bits, NaN and ±Inf included: no bound, no panic
	fuzzModes
)

// fuzzArray fills n floats from raw, cycling through it 4 bytes at a time.
func fuzzArray(raw []byte, n int, mode uint8) []float32 {
	d := make([]float32, n)
	if len(raw) < 4 {
		return d
	}
	e := -97 + int(raw[0])%200 // fuzzExact's common exponent
	for i := range d {
		j := 4 * i % (len(raw) - len(raw)%4)
		u := binary.LittleEndian.Uint32(raw[j:]) + uint32(i/(len(raw)/4))*0x9e3779b9
		switch mode % fuzzModes {
		case fuzzFinite:
			if (u>>23)&0xff >= 254 {
				u &^= 1 << 30 // finite and below 2^127
			}
			d[i] = math.Float32frombits(u)
		case fuzzExact:
			d[i] = scaled(int64(int32(u)>>9), e)
		default:
			d[i] = math.Float32frombits(u)
		}
	}
	return d
}

// FuzzRoundTrip encodes fuzzed arrays at fuzzed sizes and precisions and
// checks: the stream is whole words within MaxSize and does not depend on
// what the Encoder or dst held before; it decodes without error; decoded
// values stay within errorBound (finite modes), and the exact mode
// round-trips bit for bit at precision ≥ 32.
//
//	go test ./imaging/zfp -run XXX -fuzz FuzzRoundTrip
func FuzzRoundTrip(f *testing.F) {
	for _, gen := range []string{"noise", "smooth", "range", "blocks", "denorm", "tiny", "special"} {
		d := generate(gen, 8, 8, 1)
		f.Add(floatBytes(d), uint8(8), uint8(8), uint8(11), uint8(fuzzFinite))
	}
	f.Add(floatBytes(generate("noise", 5, 3, 2)), uint8(5), uint8(3), uint8(32), uint8(fuzzExact))
	f.Add(floatBytes(generate("special", 4, 4, 3)), uint8(4), uint8(4), uint8(1), uint8(fuzzAnyBits))
	var enc Encoder
	var dec Decoder
	dirty := make([]byte, 0, 1<<16)
	f.Fuzz(func(t *testing.T, raw []byte, wb, hb, pb, mode uint8) {
		w, h, p := 1+int(wb)%40, 1+int(hb)%40, int(pb)%40
		data := fuzzArray(raw, w*h, mode)
		stream := enc.Encode(nil, data, w, h, p)
		if len(stream)%8 != 0 || len(stream) > MaxSize(w, h, p) {
			t.Fatalf("stream of %d bytes: not whole words or over MaxSize %d", len(stream), MaxSize(w, h, p))
		}
		dirty = append(dirty[:0], 0xff, 0xee)
		if again := enc.Encode(dirty, data, w, h, p); !bytes.Equal(again[2:], stream) {
			t.Fatal("stream depends on the destination's contents")
		}
		got, err := dec.Decode(nil, stream, w, h, p)
		if err != nil {
			t.Fatalf("decoding our own stream: %v", err)
		}
		switch mode % fuzzModes {
		case fuzzFinite:
			checkBound(t, data, got, w, h, p)
		case fuzzExact:
			checkBound(t, data, got, w, h, p)
			if clampPrecision(p) >= intprec {
				for i := range data {
					if got[i] != data[i] {
						t.Fatalf("value %d: %g decoded as %g at full precision", i, data[i], got[i])
					}
				}
			}
		}
	})
}

// FuzzDecode feeds arbitrary bytes to the decoder: it must return values
// or ErrShortStream, never panic.
func FuzzDecode(f *testing.F) {
	var enc Encoder
	f.Add(enc.Encode(nil, generate("noise", 8, 8, 1), 8, 8, 11), uint8(8), uint8(8), uint8(11))
	f.Add(enc.Encode(nil, generate("smooth", 5, 9, 1), 5, 9, 32), uint8(5), uint8(9), uint8(32))
	f.Add([]byte{}, uint8(1), uint8(1), uint8(1))
	var dec Decoder
	f.Fuzz(func(t *testing.T, stream []byte, wb, hb, pb uint8) {
		w, h, p := int(wb)%64, int(hb)%64, int(pb)%40
		got, err := dec.Decode(nil, stream, w, h, p)
		if err != nil {
			if !errors.Is(err, ErrShortStream) {
				t.Fatalf("unexpected error: %v", err)
			}
			return
		}
		if len(got) != w*h {
			t.Fatalf("%d values for a %d×%d array", len(got), w, h)
		}
	})
}
