package ws

import (
	"math/bits"
	"sync"
)

// Reused buffers for outgoing frames. A view's tiles are about 70 kB
// each and a session's first view about 1 MB: marshalling each into a
// new buffer made fresh memory for every message (the kernel zeroes it
// and the collector scans for it), which showed as most of the copying
// in BenchmarkExtraSession's profile. Frames marshal into a buffer of a
// power-of-two size class instead and give it back once written or
// dropped. Bound: sync.Pool keeps what the last two collections left,
// so at most about twice what was in flight between them.
const (
	minBufShift = 10 // 1 KiB: smaller frames are cheap to allocate
	maxBufShift = 22 // 4 MiB: bigger ones are rare (file lists, catalogs)
)

var frameBufs [maxBufShift - minBufShift + 1]sync.Pool

// bufClass is the size class of a buffer holding n bytes, or −1 when
// n is outside the pooled sizes.
func bufClass(n int) int {
	if n <= 1<<minBufShift/2 || n > 1<<maxBufShift {
		return -1
	}
	return max(bits.Len(uint(n-1)), minBufShift) - minBufShift
}

// getFrameBuf returns an empty buffer with room for n bytes, and
// whether it came from (and should go back to) the pools.
func getFrameBuf(n int) ([]byte, bool) {
	c := bufClass(n)
	if c < 0 {
		return make([]byte, 0, n), false
	}
	if p, ok := frameBufs[c].Get().(*[]byte); ok {
		return (*p)[:0], true
	}
	return make([]byte, 0, 1<<(c+minBufShift)), true
}

// putFrameBuf gives back a buffer of getFrameBuf. The caller must not
// use it, or anything sliced from it, afterwards.
func putFrameBuf(b []byte) {
	c := bufClass(cap(b))
	if c < 0 || cap(b) != 1<<(c+minBufShift) {
		return // grown past its class by an append: let it go
	}
	frameBufs[c].Put(&b)
}
