package cache

import (
	"cartago/imaging/fits"
	"cartago/imaging/hdf5"
)

// openHDF5 opens e's file as HDF5. The bound of its decoded-chunk
// cache (hdf5.ChunkCacheBytes) is charged to the budget while it is open.
func (c *Cache) openHDF5(e *fileEnt, path string) error {
	osf, err := fits.OpenRegular(path)
	if err != nil {
		return err
	}
	h, err := hdf5.OpenFile(osf)
	if err != nil {
		return err
	}
	if err := c.charge(hdf5.ChunkCacheBytes, "HDF5 chunk cache of "+path); err != nil {
		h.Close()
		return err
	}
	e.charge = hdf5.ChunkCacheBytes
	e.h5 = h
	c.rekey(e, h.Info())
	return nil
}
