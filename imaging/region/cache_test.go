package region

import (
	"errors"
	"sync"
	"testing"

	"cartago/imaging/budget"
)

func TestCache(t *testing.T) {
	c := NewCache(3)
	d := rect(10, 10, 4, 4, 0)
	m1, err := c.Mask(1, d, 64, 64)
	if err != nil {
		t.Fatal(err)
	}
	// Same geometry (also after float32 rounding): the same mask.
	same := rect(10+1e-9, 10, 4, 4, 0)
	if m, _ := c.Mask(1, same, 64, 64); m != m1 {
		t.Error("equal description: mask recomputed")
	}
	// The caller's slice may change afterwards without affecting the entry.
	d.Points[0].X = 20
	if m, _ := c.Mask(1, rect(10, 10, 4, 4, 0), 64, 64); m != m1 {
		t.Error("cache shares the caller's points")
	}
	// An edit recomputes.
	m2, _ := c.Mask(1, rect(11, 10, 4, 4, 0), 64, 64)
	if m2 == m1 || m2.Bounds().Min.X != 9 {
		t.Errorf("edited region: got %v", m2.Bounds())
	}
	// Another image size is another entry.
	if m, _ := c.Mask(1, rect(11, 10, 4, 4, 0), 32, 32); m == m2 {
		t.Error("different image size shares a mask")
	}
	// Errors are cached and returned.
	if _, err := c.Mask(2, rect(-50, -50, 4, 4, 0), 64, 64); !errors.Is(err, ErrNoPixels) {
		t.Errorf("outside region: %v", err)
	}
	if c.Len() != 3 {
		t.Errorf("Len %d, want 3", c.Len())
	}
	// Full: the least recently used entry (region 1 on 64×64) goes.
	c.Mask(1, rect(11, 10, 4, 4, 0), 32, 32)
	c.Mask(3, rect(5, 5, 2, 2, 0), 64, 64)
	if c.Len() != 3 {
		t.Errorf("Len %d after eviction, want 3", c.Len())
	}
	if m, _ := c.Mask(1, rect(11, 10, 4, 4, 0), 64, 64); m == m2 {
		t.Error("least recently used entry kept")
	}
	c.Invalidate(1)
	if c.Len() != 1 {
		t.Errorf("Len %d after Invalidate(1), want 1", c.Len())
	}
}

func TestCacheConcurrent(t *testing.T) {
	c := NewCache(0)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 200 {
				id := (g + i) % 5
				if _, err := c.Mask(id, rect(float64(10+i%3), 10, 4, 4, 0), 64, 64); err != nil {
					t.Error(err)
					return
				}
				if i%50 == 0 {
					c.Invalidate(id)
				}
			}
		})
	}
	wg.Wait()
}

func TestCacheBoundedByBytesAndCharged(t *testing.T) {
	mem := budget.NewMemory(1 << 20)
	one, err := rect(50, 50, 80, 80, 0).Mask(100, 100)
	if err != nil {
		t.Fatal(err)
	}
	size := int64(one.SizeBytes())
	c := NewCacheLimits(CacheLimits{Bytes: 2*size + size/2, Memory: mem})
	for id := range 3 {
		if _, err := c.Mask(id, rect(50, 50, 80, 80, 0), 100, 100); err != nil {
			t.Fatal(err)
		}
	}
	if c.Len() != 2 || c.Bytes() != 2*size || mem.Stats().Used != 2*size {
		t.Fatalf("Len %d, Bytes %d, charged %d; want 2 masks of %d bytes", c.Len(), c.Bytes(), mem.Stats().Used, size)
	}
	// A mask over the byte bound is returned, not kept.
	if m, err := NewCacheLimits(CacheLimits{Bytes: size - 1}).Mask(9, rect(50, 50, 80, 80, 0), 100, 100); m == nil || err != nil {
		t.Fatalf("oversized mask: %v, %v", m, err)
	}
	// A budget that refuses: returned, not kept.
	full := budget.NewMemory(size - 1)
	tight := NewCacheLimits(CacheLimits{Memory: full})
	if m, _ := tight.Mask(1, rect(50, 50, 80, 80, 0), 100, 100); m == nil || tight.Len() != 0 || full.Stats().Used != 0 {
		t.Fatalf("refused charge: mask %v, Len %d, used %d", m, tight.Len(), full.Stats().Used)
	}
	c.Invalidate(2)
	if mem.Stats().Used != size {
		t.Fatalf("after Invalidate: charged %d, want %d", mem.Stats().Used, size)
	}
	c.Clear()
	if c.Len() != 0 || c.Bytes() != 0 || mem.Stats().Used != 0 {
		t.Fatalf("after Clear: Len %d, Bytes %d, charged %d", c.Len(), c.Bytes(), mem.Stats().Used)
	}
}
