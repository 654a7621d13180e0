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
	return c.share(ctx, idOf(fi), func(e *fileEnt) error {
		v, err := open()
		if err != nil {
			return err
		}
		e.other, e.path = v, path
		return nil
	})
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
