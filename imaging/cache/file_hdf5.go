package cache

import (
	"cartago/imaging/fits"
	"cartago/imaging/hdf5"
)

// isHDF5 reports whether path starts with the HDF5 signature: files are
// told apart by content, whatever their name, as the reference does.
func isHDF5(path string) bool {
	f, err := fits.OpenRegular(path) // never blocks (a FIFO)
	if err != nil {
		return false
	}
	defer f.Close()
	head := make([]byte, len(hdf5.Signature))
	n, _ := f.Read(head)
	return hdf5.IsHDF5(head[:n])
}

// openHDF5 opens e's file as HDF5. The bound of its decoded-chunk
// cache (hdf5.ChunkCacheBytes) is charged to the budget while it is open.
func (c *Cache) openHDF5(e *fileEnt, path string) (*File, error) {
	osf, err := fits.OpenRegular(path)
	var h *hdf5.File
	if err == nil {
		h, err = hdf5.OpenFile(osf)
	}
	if err == nil {
		if err = c.charge(hdf5.ChunkCacheBytes, "HDF5 chunk cache of "+path); err != nil {
			h.Close()
		} else {
			e.charge = hdf5.ChunkCacheBytes
		}
	}
	if err != nil {
		e.err = err
		c.mu.Lock()
		delete(c.files, e.id)
		c.mu.Unlock()
		close(e.ready)
		return nil, err
	}
	e.h5 = h
	if id := idOf(h.Info()); id != e.id {
		c.mu.Lock()
		if c.files[id] == nil {
			delete(c.files, e.id)
			e.id = id
			c.files[id] = e
		}
		c.mu.Unlock()
	}
	close(e.ready)
	return &File{c: c, e: e}, nil
}
