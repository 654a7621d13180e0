package ws

import "testing"

func TestFrameBufClasses(t *testing.T) {
	for _, c := range []struct{ n, class, capacity int }{
		{1, -1, 1}, {512, -1, 512}, {513, 0, 1024}, {1024, 0, 1024}, {1025, 1, 2048},
		{70_000, 7, 1 << 17}, {1 << 22, 12, 1 << 22}, {1<<22 + 1, -1, 1<<22 + 1},
	} {
		if got := bufClass(c.n); got != c.class {
			t.Errorf("bufClass(%d) = %d, want %d", c.n, got, c.class)
		}
		b, pooled := getFrameBuf(c.n)
		if len(b) != 0 || cap(b) != c.capacity || pooled != (c.class >= 0) {
			t.Errorf("getFrameBuf(%d): len %d cap %d pooled %v, want 0, %d, %v", c.n, len(b), cap(b), pooled, c.capacity, c.class >= 0)
		}
		putFrameBuf(b)
	}
	// A buffer grown past its class by an append is not pooled: its
	// capacity is no class size.
	putFrameBuf(make([]byte, 0, 3000))
}
