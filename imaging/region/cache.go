package region

import (
	"sync"

	"cartago/imaging/budget"
)

// Defaults of CacheLimits.
const (
	DefaultCacheEntries       = 64
	DefaultCacheBytes   int64 = 64 << 20
)

// CacheLimits bound a Cache.
type CacheLimits struct {
	// Entries is the number of masks kept (DefaultCacheEntries if ≤ 0).
	Entries int
	// Bytes bounds the Mask.SizeBytes of the masks kept (DefaultCacheBytes
	// if ≤ 0); a larger mask is returned but not kept.
	Bytes int64
	// Memory is charged with the masks kept; when it refuses, a mask is
	// returned but not kept. nil is unlimited.
	Memory *budget.Memory
}

// Cache keeps the masks of regions by region id, image and image size, so that
// statistics, histograms and profiles of an unchanged region reuse its
// mask. An entry is recomputed when the region's description changes
// (Desc.Equal); Invalidate drops a region's entries. Failures
// (ErrNoPixels and the like) are cached too. When full, the least
// recently used entry is dropped. A Cache is safe for concurrent use.
type Cache struct {
	lim     CacheLimits // immutable
	mu      sync.Mutex
	tick    uint64                   // guarded by mu
	bytes   int64                    // guarded by mu; SizeBytes of the masks kept, charged to lim.Memory
	entries map[cacheKey]*cacheEntry // guarded by mu
}

// cacheKey names a region applied to an image of a size.
type cacheKey struct{ id, image, width, height int }

type cacheEntry struct {
	desc Desc // a private copy
	mask *Mask
	err  error
	used uint64
	size int64 // mask.SizeBytes(), charged
}

// NewCache returns a cache of up to maxEntries masks
// (DefaultCacheEntries if maxEntries ≤ 0) and DefaultCacheBytes.
func NewCache(maxEntries int) *Cache { return NewCacheLimits(CacheLimits{Entries: maxEntries}) }

// NewCacheLimits returns a cache bounded by l.
func NewCacheLimits(l CacheLimits) *Cache {
	if l.Entries <= 0 {
		l.Entries = DefaultCacheEntries
	}
	if l.Bytes <= 0 {
		l.Bytes = DefaultCacheBytes
	}
	return &Cache{lim: l, entries: map[cacheKey]*cacheEntry{}}
}

// Mask returns the mask of region id, described by d, on a width×height
// image: the cached one if d equals the description it was made from,
// else a new one (d.Mask), which replaces it. Masks are computed outside
// the lock; two goroutines asking for the same new mask may both compute
// it.
func (c *Cache) Mask(id int, d Desc, width, height int) (*Mask, error) {
	return c.MaskOn(id, 0, d, width, height)
}

// MaskOn is Mask for region id on image: a region used on several
// images (spatially matched ones, where d is the region carried over by
// Convert) keeps one mask per image.
func (c *Cache) MaskOn(id, image int, d Desc, width, height int) (*Mask, error) {
	k := cacheKey{id, image, width, height}
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
	c.drop(k)
	size := int64(0)
	if m != nil {
		size = int64(m.SizeBytes())
	}
	if size > c.lim.Bytes {
		return m, err
	}
	for len(c.entries) >= c.lim.Entries || c.bytes+size > c.lim.Bytes {
		c.evictOldest()
	}
	if c.lim.Memory.Acquire(size, "region mask") != nil {
		return m, err // kept by the caller only while it uses it
	}
	c.tick++
	c.bytes += size
	c.entries[k] = &cacheEntry{desc: d.clone(), mask: m, err: err, used: c.tick, size: size}
	return m, err
}

// drop removes entry k, if any, and releases its charge; c.mu is held.
func (c *Cache) drop(k cacheKey) {
	if e := c.entries[k]; e != nil {
		delete(c.entries, k)
		c.bytes -= e.size
		c.lim.Memory.Release(e.size)
	}
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
	c.drop(oldest)
}

// Invalidate drops every mask of region id on every image, for example
// when the region is edited or removed.
func (c *Cache) Invalidate(id int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for k := range c.entries {
		if k.id == id {
			c.drop(k)
		}
	}
}

// Clear drops every mask and releases their charge.
func (c *Cache) Clear() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for k := range c.entries {
		c.drop(k)
	}
}

// Bytes returns the SizeBytes of the cached masks.
func (c *Cache) Bytes() int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.bytes
}

// Len returns the number of cached masks.
func (c *Cache) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.entries)
}
