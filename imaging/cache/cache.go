package cache

import (
	"container/list"
	"context"
	"errors"
	"fmt"
	"sync"

	"cartago/imaging/budget"
)

// Key names one cached value.
type Key struct {
	File            FileID
	HDU             string // fits.HDU.Key
	Channel, Stokes int    // Stokes as the frontend numbers it: derived polarizations too
	What            string // "plane", or the computation and its exact parameters
}

// Options configure New.
type Options struct {
	// Size bounds the bytes of entries kept while nothing uses them;
	// entries in use count too but are never evicted. 0 keeps nothing
	// unused.
	Size int64
	// Memory is charged with every entry's bytes; nil is unlimited.
	Memory *budget.Memory
	// Freed, if set, is called (outside any lock) with the bytes an
	// eviction gave back, so the caller can return them to the OS.
	Freed func(bytes int64)
}

// Cache is safe for concurrent use. Its entries are bounded by
// Options.Size plus the entries in use, and all of them by the budget.
type Cache struct {
	opts Options

	mu          sync.Mutex
	entries     map[Key]*entry      // guarded by mu; loading and loaded
	unused      *list.List          // guarded by mu; loaded entries with no reference, most recent first
	used        int64               // guarded by mu; bytes charged for entries (reserves included)
	unusedBytes int64               // guarded by mu; bytes of the entries in unused
	files       map[FileID]*fileEnt // guarded by mu; open files
	stats       Stats               // guarded by mu
}

// Stats counts what the cache did.
type Stats struct {
	Loads     int64 // values computed
	Hits      int64 // requests served from a loaded entry
	Waits     int64 // requests that waited for another's load
	Evictions int64
	Opens     int64 // files opened (mapped or inflated)
	Bytes     int64 // bytes charged now
	Entries   int   // entries loaded or loading
	Files     int   // files open
}

// entry is one value. ready is closed once val, size and err are set.
type entry struct {
	key   Key
	ready chan struct{}
	val   any
	size  int64
	err   error
	refs  int           // guarded by Cache.mu
	elem  *list.Element // guarded by Cache.mu; in unused, or nil
	freed bool          // guarded by Cache.mu; evicted or failed: out of the map
}

// New returns an empty cache. It becomes the reclaimer of
// opts.Memory: any charge the budget refuses first evicts unused entries.
func New(opts Options) *Cache {
	c := &Cache{opts: opts, entries: make(map[Key]*entry), unused: list.New(), files: make(map[FileID]*fileEnt)}
	opts.Memory.SetReclaim(c.reclaim)
	return c
}

// reclaim evicts unused entries, least recently used first, until need
// bytes are freed or none is left; it returns the bytes freed.
func (c *Cache) reclaim(need int64) int64 {
	var freed int64
	c.mu.Lock()
	for freed < need {
		n := c.evictOldest()
		if n == 0 {
			break
		}
		freed += n
	}
	c.mu.Unlock()
	c.freed(freed)
	return freed
}

// Stats reports the counters.
func (c *Cache) Stats() Stats {
	c.mu.Lock()
	defer c.mu.Unlock()
	s := c.stats
	s.Bytes, s.Entries, s.Files = c.used, len(c.entries), len(c.files)
	return s
}

// Loader computes a value for Get.
type Loader struct {
	// Reserve is charged before Load runs (the size of a plane about to
	// be allocated); the charge is then set to what Load reports.
	Reserve int64
	What    string // names the value in budget refusals
	// Load computes the value and its size in bytes. It runs with the
	// ctx of the first caller; waiters whose ctx is still live retry
	// when that ctx ends the load.
	Load func(ctx context.Context) (val any, size int64, err error)
}

// Ref is a reference to a loaded value, which stays cached until
// Release. Value must not be modified.
type Ref struct {
	c    *Cache
	e    *entry
	once sync.Once
}

// Value returns the cached value.
func (r *Ref) Value() any { return r.e.val }

// Release gives the reference back; later calls do nothing.
func (r *Ref) Release() {
	r.once.Do(func() { r.c.release(r.e) })
}

// Get returns a reference to key's value, loading it unless it is
// loaded or being loaded. Waiting for another's load ends with ctx.
func (c *Cache) Get(ctx context.Context, key Key, l Loader) (*Ref, error) {
	for {
		e, loader := c.lookup(key)
		if loader {
			return c.fill(ctx, e, l)
		}
		select {
		case <-e.ready:
		case <-ctx.Done():
			c.release(e)
			return nil, ctx.Err()
		}
		if e.err == nil {
			return &Ref{c: c, e: e}, nil
		}
		c.release(e)
		if !isCancel(e.err) || ctx.Err() != nil {
			return nil, e.err
		}
		// The loader gave up with its own ctx; this caller loads.
	}
}

func isCancel(err error) bool {
	return errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)
}

// lookup references key's entry, making it when absent; loader reports
// that the caller must fill it.
func (c *Cache) lookup(key Key) (e *entry, loader bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e = c.entries[key]; e != nil {
		e.refs++
		if e.elem != nil {
			c.unused.Remove(e.elem)
			c.unusedBytes -= e.size
			e.elem = nil
		}
		select {
		case <-e.ready:
			c.stats.Hits++
		default:
			c.stats.Waits++
		}
		return e, false
	}
	e = &entry{key: key, ready: make(chan struct{}), refs: 1}
	c.entries[key] = e
	c.stats.Loads++
	return e, true
}

// fill loads e, which the caller references.
func (c *Cache) fill(ctx context.Context, e *entry, l Loader) (*Ref, error) {
	if err := c.charge(l.Reserve, l.What); err != nil {
		return nil, c.fail(e, err)
	}
	loaded := false
	defer func() {
		if !loaded { // Load panicked: waiters get an error, the panic goes on
			c.uncharge(l.Reserve)
			c.fail(e, fmt.Errorf("%s: load failed", l.What))
		}
	}()
	val, size, err := l.Load(ctx)
	loaded = true
	if err = c.settle(l.Reserve, size, l.What, err); err != nil {
		return nil, c.fail(e, err) // a refusal names l.What; a load's error names its file
	}
	e.val, e.size = val, size
	close(e.ready)
	return &Ref{c: c, e: e}, nil
}

// fail ends e's load with err: out of the map, its waiters told, the
// loader's reference dropped.
func (c *Cache) fail(e *entry, err error) error {
	e.err = err
	c.mu.Lock()
	c.drop(e)
	c.mu.Unlock()
	close(e.ready)
	c.release(e)
	return err
}

// settle turns the reserve charged for a load into its real size.
func (c *Cache) settle(reserve, size int64, what string, err error) error {
	switch {
	case err != nil:
		c.uncharge(reserve)
		return err
	case size > reserve:
		if err := c.charge(size-reserve, what); err != nil {
			c.uncharge(reserve)
			return err
		}
	case size < reserve:
		c.uncharge(reserve - size)
	}
	return nil
}

// charge acquires n bytes from the budget, which evicts unused entries
// (reclaim) when they are needed.
func (c *Cache) charge(n int64, what string) error {
	if err := c.opts.Memory.Acquire(n, what); err != nil {
		return err
	}
	c.mu.Lock()
	c.used += n
	c.mu.Unlock()
	return nil
}

func (c *Cache) uncharge(n int64) {
	c.mu.Lock()
	c.used -= n
	c.mu.Unlock()
	c.opts.Memory.Release(n)
}

// release drops a reference; an entry nobody uses becomes evictable.
func (c *Cache) release(e *entry) {
	c.mu.Lock()
	e.refs--
	if e.refs > 0 || e.freed {
		c.mu.Unlock()
		return
	}
	select {
	case <-e.ready:
	default:
		c.mu.Unlock()
		return // still loading: its loader holds a reference
	}
	e.elem = c.unused.PushFront(e)
	c.unusedBytes += e.size
	freed := c.trim()
	c.mu.Unlock()
	c.freed(freed)
}

// trim evicts unused entries until the cache is within its size, and
// returns the bytes freed. Caller holds mu.
func (c *Cache) trim() int64 {
	var freed int64
	for c.used > c.opts.Size {
		n := c.evictOldest()
		if n == 0 {
			break
		}
		freed += n
	}
	return freed
}

// evictOldest evicts the least recently used unused entry and returns
// its size (0 when there is none; an empty entry frees 1 for the loop's
// sake). Caller holds mu.
func (c *Cache) evictOldest() int64 {
	back := c.unused.Back()
	if back == nil {
		return 0
	}
	e := back.Value.(*entry)
	c.unused.Remove(back)
	c.unusedBytes -= e.size
	e.elem = nil
	c.drop(e)
	c.used -= e.size
	c.opts.Memory.Release(e.size)
	c.stats.Evictions++
	e.val = nil
	return max(e.size, 1)
}

// drop takes e out of the map. Caller holds mu.
func (c *Cache) drop(e *entry) {
	e.freed = true
	if c.entries[e.key] == e {
		delete(c.entries, e.key)
	}
}

// Has reports whether key is cached or being loaded.
func (c *Cache) Has(key Key) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.entries[key] != nil
}

// Unused returns the bytes of the entries nobody uses: what the cache
// would give up to make room.
func (c *Cache) Unused() int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.unusedBytes
}

// Trim evicts every unused entry beyond the cache's size; after the
// size changed, or to give memory back.
func (c *Cache) Trim() {
	c.mu.Lock()
	freed := c.trim()
	c.mu.Unlock()
	c.freed(freed)
}

func (c *Cache) freed(n int64) {
	if n > 1 && c.opts.Freed != nil {
		c.opts.Freed(n)
	}
}
