package cache

import (
	"context"
	"io"
	"os"
)

// OpenOther returns a reference to an image in a format other than
// FITS (a CASA image directory, ...), shared like Open by every user of
// the same identity: fi is the stat of what identifies its contents
// (the file whose change means new pixels). open is called once, by the
// first user; FITS() of the reference is nil and Other() the value open
// returned, closed with the last reference.
func (c *Cache) OpenOther(ctx context.Context, path string, fi os.FileInfo, open func() (io.Closer, error)) (*File, error) {
	id := idOf(fi)
	for {
		e, opener := c.lookupFile(id)
		if opener {
			v, err := open()
			if err != nil {
				e.err = err
				c.mu.Lock()
				delete(c.files, e.id)
				c.mu.Unlock()
				close(e.ready)
				return nil, err
			}
			e.other, e.path = v, path
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
}

// Other returns what OpenOther opened; nil for a FITS file.
func (f *File) Other() io.Closer { return f.e.other }

// Ref returns another reference to the same open file, closed
// independently: what a generated image keeps of its source.
func (f *File) Ref() *File {
	f.c.mu.Lock()
	f.e.refs++
	f.c.mu.Unlock()
	return &File{c: f.c, e: f.e}
}
