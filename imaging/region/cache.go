package region

import "sync"

// DefaultCacheEntries is the number of masks a Cache made with
// NewCache(0) keeps.
const DefaultCacheEntries = 64

// Cache keeps the masks of regions by region id and image size, so that
// statistics, histograms and profiles of an unchanged region reuse its
// mask. An entry is recomputed when the region's description changes
// (Desc.Equal); Invalidate drops a region's entries. Failures
// (ErrNoPixels and the like) are cached too. When full, the least
// recently used entry is dropped. A Cache is safe for concurrent use.
type Cache struct {
	mu      sync.Mutex
	max     int
	tick    uint64
	entries map[cacheKey]*cacheEntry // guarded by mu
}

// cacheKey names a region applied to an image of a size.
type cacheKey struct{ id, width, height int }

type cacheEntry struct {
	desc Desc // a private copy
	mask *Mask
	err  error
	used uint64
}

// NewCache returns a cache of up to maxEntries masks
// (DefaultCacheEntries if maxEntries ≤ 0).
func NewCache(maxEntries int) *Cache {
	if maxEntries <= 0 {
		maxEntries = DefaultCacheEntries
	}
	return &Cache{max: maxEntries, entries: map[cacheKey]*cacheEntry{}}
}

// Mask returns the mask of region id, described by d, on a width×height
// image: the cached one if d equals the description it was made from,
// else a new one (d.Mask), which replaces it. Masks are computed outside
// the lock; two goroutines asking for the same new mask may both compute
// it.
func (c *Cache) Mask(id int, d Desc, width, height int) (*Mask, error) {
	k := cacheKey{id, width, height}
	c.mu.Lock()
	if e := c.entries[k]; e != nil && e.desc.Equal(d) {
		c.tick++
		e.used = c.tick
		c.mu.Unlock()
		return e.mask, e.err
	}
	c.mu.Unlock()

	m, err := d.Mask(width, height)

	c.mu.Lock()
	defer c.mu.Unlock()
	c.tick++
	c.entries[k] = &cacheEntry{desc: d.clone(), mask: m, err: err, used: c.tick}
	for len(c.entries) > c.max {
		c.evictOldest()
	}
	return m, err
}

// evictOldest drops the least recently used entry; c.mu is held.
func (c *Cache) evictOldest() {
	var oldest cacheKey
	first := true
	for k, e := range c.entries {
		if first || e.used < c.entries[oldest].used {
			oldest, first = k, false
		}
	}
	delete(c.entries, oldest)
}

// Invalidate drops every mask of region id, for example when the region
// is edited or removed.
func (c *Cache) Invalidate(id int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for k := range c.entries {
		if k.id == id {
			delete(c.entries, k)
		}
	}
}

// Len returns the number of cached masks.
func (c *Cache) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.entries)
}
