package zfp

import (
	"math/bits"
	"testing"
)

// refGroupCode is encode_ints's group-test loop for one plane, bit by
// bit: the definition groupCode must match.
func refGroupCode(x uint64, n int) (code uint64, ln uint, adv int) {
	put := func(bit uint64) bool {
		code |= bit << ln
		ln++
		return bit != 0
	}
	start := n
	for n < blockSize {
		if !put(min(x>>n, 1)) {
			break // group test 0
		}
		for n < blockSize-1 && !put(x>>n&1) {
			n++
		}
		n++
	}
	return code, ln, n - start
}

// TestGroupCode compares groupCode with the bit-by-bit loop for every
// plane value and every count of significant coefficients.
func TestGroupCode(t *testing.T) {
	for n := 0; n < blockSize; n++ {
		for x := uint64(0); x < 1<<blockSize; x += 1 << n {
			code, ln, adv := groupCode(x>>n, n)
			wc, wl, wa := refGroupCode(x, n)
			if code != wc || ln != wl || adv != wa {
				t.Fatalf("n=%d x=%016b: code %b len %d adv %d, want %b len %d adv %d", n, x, code, ln, adv, wc, wl, wa)
			}
		}
	}
}

// TestPlaneTiles compares the multiply-gather with extracting each bit.
func TestPlaneTiles(t *testing.T) {
	r := rng(9)
	for range 1000 {
		var u [blockSize]uint32
		for i := range u {
			u[i] = uint32(r.next() >> uint(r.intn(64)))
		}
		var tiles planeTiles
		tiles.build(&u, 0, intprec)
		for k := uint(0); k < intprec; k++ {
			var want uint64
			for i, v := range u {
				want |= uint64(v>>k&1) << i
			}
			if got := tiles.plane(k); got != want {
				t.Fatalf("plane %d: %016b, want %016b (%d ones)", k, got, want, bits.OnesCount64(want))
			}
		}
	}
}

// TestBitWriter writes random-length fields and reads them back.
func TestBitWriter(t *testing.T) {
	r := rng(4)
	type field struct {
		v uint64
		n uint
	}
	var fs []field
	w := bitWriter{buf: make([]byte, 1<<16)}
	total := 0
	for range 5000 {
		n := uint(r.intn(64))
		v := r.next() & (1<<n - 1)
		fs = append(fs, field{v, n})
		w.write(v, n)
		total += int(n)
	}
	w.flush()
	if w.pos != (total+63)/64*8 {
		t.Fatalf("%d bytes for %d bits", w.pos, total)
	}
	br := bitReader{buf: w.buf[:w.pos]}
	for i, f := range fs {
		if got := br.read(f.n); got != f.v {
			t.Fatalf("field %d (%d bits): read %x, wrote %x", i, f.n, got, f.v)
		}
	}
	if br.short {
		t.Fatal("reader ran short")
	}
}

// TestFwdOrderMatchesPerm keeps the unrolled fwdOrder in step with perm.
func TestFwdOrderMatchesPerm(t *testing.T) {
	var p [blockSize]int32
	for i := range p {
		p[i] = int32(i*7919 - 50000)
	}
	var u [blockSize]uint32
	fwdOrder(&u, &p)
	for i, j := range perm {
		if fromNegabinary(u[i]) != p[j] {
			t.Fatalf("coefficient %d is p[%d], want p[%d]", i, fromNegabinary(u[i]), j)
		}
	}
}
