package zfp

import (
	"bytes"
	"errors"
	"math"
	"testing"
)

func TestEncodeAppends(t *testing.T) {
	var e Encoder
	data := generate("noise", 19, 9, 1)
	want := e.Encode(nil, data, 19, 9, 11)
	prefix := []byte("hdr")
	got := e.Encode(prefix, data, 19, 9, 11)
	if !bytes.Equal(got[:3], prefix) || !bytes.Equal(got[3:], want) {
		t.Fatal("Encode did not append the stream after dst's contents")
	}
	if len(want)%8 != 0 || len(want) > MaxSize(19, 9, 11) {
		t.Fatalf("stream of %d bytes: not whole words or over MaxSize %d", len(want), MaxSize(19, 9, 11))
	}
	if got := e.Encode(prefix, data, 0, 9, 11); !bytes.Equal(got, prefix) {
		t.Fatal("an empty array must append nothing")
	}
}

func TestEncodeDoesNotAllocate(t *testing.T) {
	var e Encoder
	data := generate("noise", 256, 256, 1)
	buf := make([]byte, 0, MaxSize(256, 256, 32))
	if n := testing.AllocsPerRun(10, func() { buf = e.Encode(buf[:0], data, 256, 256, 32) }); n != 0 {
		t.Fatalf("Encode allocated %v times with enough capacity", n)
	}
}

func TestEncodePanics(t *testing.T) {
	for _, c := range []struct {
		name       string
		n, w, h, p int
	}{
		{"short data", 15, 4, 4, 11},
		{"negative width", 16, -4, 4, 11},
	} {
		t.Run(c.name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Fatal("no panic")
				}
			}()
			var e Encoder
			e.Encode(nil, make([]float32, c.n), c.w, c.h, c.p)
		})
	}
}

// TestMaxSizeWorstCase drives a block to zfp's worst case: every
// coefficient significant from the top plane, all planes coded.
func TestMaxSizeWorstCase(t *testing.T) {
	var e Encoder
	for _, p := range []int{1, 11, 32} {
		worst := 0
		for seed := range uint64(2000) {
			r := rng(seed)
			data := make([]float32, 16)
			for i := range data {
				data[i] = math.Float32frombits(uint32(r.next()>>33) &^ (1 << 30))
			}
			worst = max(worst, len(e.Encode(nil, data, 4, 4, p)))
		}
		if worst > MaxSize(4, 4, p) {
			t.Fatalf("p=%d: stream of %d bytes over MaxSize %d", p, worst, MaxSize(4, 4, p))
		}
	}
}

func TestDecodeErrors(t *testing.T) {
	var e Encoder
	var d Decoder
	data := generate("noise", 16, 16, 3)
	stream := e.Encode(nil, data, 16, 16, 16)
	dst := []float32{7}
	got, err := d.Decode(dst, stream[:len(stream)-8], 16, 16, 16)
	if !errors.Is(err, ErrShortStream) || len(got) != 1 || got[0] != 7 {
		t.Fatalf("truncated stream: got %d values, err %v; want dst unchanged and ErrShortStream", len(got), err)
	}
	if _, err := d.Decode(nil, stream, -1, 16, 16); !errors.Is(err, ErrBadSize) {
		t.Fatalf("negative width: err %v, want ErrBadSize", err)
	}
	got, err = d.Decode(dst, stream, 16, 16, 16)
	if err != nil || len(got) != 1+256 || got[0] != 7 {
		t.Fatalf("Decode did not append: %d values, err %v", len(got), err)
	}
	if got, err := d.Decode(nil, nil, 0, 5, 11); err != nil || len(got) != 0 {
		t.Fatalf("empty array: %v values, err %v", len(got), err)
	}
}

// TestExactAtFullPrecision checks the one lossless case fixed precision
// offers for float32 in 2-D (zfp FAQ Q21: p-bit integers are lossless at
// precision p+4d+1): values that are 23-bit signed integers times a
// common power of two 2^e, e ≥ −97, survive precision 32 exactly.
func TestExactAtFullPrecision(t *testing.T) {
	var e Encoder
	var d Decoder
	for _, exp := range []int{-97, -40, -22, 0, 30, 104} {
		r := rng(uint64(exp + 1000))
		w, h := 37, 21
		data := make([]float32, w*h)
		for i := range data {
			data[i] = scaled(int64(r.next()>>41)-1<<22, exp)
		}
		stream := e.Encode(nil, data, w, h, 32)
		got, err := d.Decode(nil, stream, w, h, 32)
		if err != nil {
			t.Fatal(err)
		}
		for i := range data {
			if got[i] != data[i] {
				t.Fatalf("2^%d: value %d: %g decoded as %g", exp, i, data[i], got[i])
			}
		}
	}
}

// TestPrecisionClamp: 0 and anything from 32 up code every bit plane.
func TestPrecisionClamp(t *testing.T) {
	var e Encoder
	data := generate("range", 9, 7, 5)
	want := e.Encode(nil, data, 9, 7, 32)
	for _, p := range []int{0, -3, 33, 64, 1000} {
		if got := e.Encode(nil, data, 9, 7, p); !bytes.Equal(got, want) {
			t.Errorf("precision %d codes differently from 32", p)
		}
	}
}
