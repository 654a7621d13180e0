package cache

import (
	"context"
	"fmt"
	"io"
	"os"
	"sync"

	"cartago/imaging/fits"
	"cartago/imaging/hdf5"
)

// fileEnt is one open file shared by every user of its identity.
// ready is closed once f or err is set.
type fileEnt struct {
	id     FileID
	ready  chan struct{}
	f      *fits.File
	h5     *hdf5.File // instead of f for an HDF5 file (recognised by content)
	other  io.Closer  // a file of another format (OpenOther); nil for FITS
	path   string     // where other was opened
	err    error
	refs   int   // guarded by Cache.mu
	charge int64 // bytes charged: the inflated data of a gzip file
}

// File is a reference to a shared open FITS file.
type File struct {
	c    *Cache
	e    *fileEnt
	once sync.Once
}

// FITS returns the open file; it stays open until every reference is
// closed. It is nil for an HDF5 file (see HDF5).
func (f *File) FITS() *fits.File { return f.e.f }

// HDF5 returns the open HDF5 file, nil for a FITS file.
func (f *File) HDF5() *hdf5.File { return f.e.h5 }

// Path returns the path the file was opened with, whatever its format.
func (f *File) Path() string {
	switch {
	case f.e.h5 != nil:
		return f.e.h5.Path()
	case f.e.f != nil:
		return f.e.f.Path()
	}
	return f.e.path
}

// ID returns the file's identity, the File of every Key about it.
func (f *File) ID() FileID { return f.e.id }

// Close gives the reference back; the last one closes the file. Later
// calls do nothing.
func (f *File) Close() {
	f.once.Do(func() { f.c.closeFile(f.e) })
}

// Open returns a reference to the open file at path: the one already
// open for the same identity, or a new one opened with opts. A gzip
// file's inflated bytes are charged to the budget.
func (c *Cache) Open(ctx context.Context, path string, opts fits.Options) (*File, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("fits: open %s: %w", path, err)
	}
	return c.share(ctx, idOf(fi), func(e *fileEnt) error { return c.openNew(e, path, opts) })
}

// share returns a reference to the file of identity id: the first user
// opens it with open (which fills e in or fails), the others wait for
// that open and share its outcome.
func (c *Cache) share(ctx context.Context, id FileID, open func(e *fileEnt) error) (*File, error) {
	e, opener := c.lookupFile(id)
	if opener {
		if err := open(e); err != nil {
			c.failed(e, err)
			return nil, err
		}
		close(e.ready)
		return &File{c: c, e: e}, nil
	}
	select {
	case <-e.ready:
	case <-ctx.Done():
		c.closeFile(e)
		return nil, ctx.Err()
	}
	if e.err == nil {
		return &File{c: c, e: e}, nil
	}
	c.closeFile(e)
	return nil, e.err
}

// failed ends a failed open: its waiters get err, and the identity is
// free to be opened again.
func (c *Cache) failed(e *fileEnt, err error) {
	e.err = err
	c.mu.Lock()
	delete(c.files, e.id)
	c.mu.Unlock()
	close(e.ready)
}

// rekey keys e by the identity of the file really opened, which differs
// from the one stat saw when the file was replaced in between.
func (c *Cache) rekey(e *fileEnt, fi os.FileInfo) {
	id := idOf(fi)
	if id == e.id {
		return
	}
	c.mu.Lock()
	if c.files[id] == nil { // else stays keyed by the stale id until closed
		delete(c.files, e.id)
		e.id = id
		c.files[id] = e
	}
	c.mu.Unlock()
}

func (c *Cache) lookupFile(id FileID) (*fileEnt, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e := c.files[id]; e != nil {
		e.refs++
		return e, false
	}
	e := &fileEnt{id: id, ready: make(chan struct{}), refs: 1}
	c.files[id] = e
	c.stats.Opens++
	return e, true
}

// openNew opens e's file, FITS or HDF5 by its content.
func (c *Cache) openNew(e *fileEnt, path string, opts fits.Options) error {
	if hdf5.IsHDF5File(path) {
		return c.openHDF5(e, path)
	}
	f, err := fits.OpenOptions(path, opts)
	if err == nil && f.Compressed() {
		err = c.chargeFile(e, f)
	}
	if err != nil {
		if f != nil {
			f.Close()
		}
		return err
	}
	e.f = f
	c.rekey(e, f.Info())
	return nil
}

// chargeFile charges the inflated bytes of a gzip file.
func (c *Cache) chargeFile(e *fileEnt, f *fits.File) error {
	var n int64
	for _, h := range f.HDUs() {
		n += h.DataLen()
	}
	if err := c.charge(n, fmt.Sprintf("inflated %s", f.Path())); err != nil {
		return err
	}
	e.charge = n
	return nil
}

// closeFile drops a reference to e; the last closes the file.
func (c *Cache) closeFile(e *fileEnt) {
	c.mu.Lock()
	e.refs--
	last := e.refs == 0 && (e.f != nil || e.h5 != nil || e.other != nil)
	if last && c.files[e.id] == e {
		delete(c.files, e.id)
	}
	c.mu.Unlock()
	if last {
		switch {
		case e.h5 != nil:
			e.h5.Close()
		case e.other != nil:
			e.other.Close()
		default:
			e.f.Close()
		}
		c.uncharge(e.charge)
		c.freed(e.charge)
	}
}
