package hdf5

import "cartago/imaging/fits"

// IsHDF5File reports whether the file at path starts with the HDF5
// signature: files are told apart by content, whatever their name, as
// the reference does. It opens regular files only and never blocks (a
// FIFO named like an image).
func IsHDF5File(path string) bool {
	f, err := fits.OpenRegular(path)
	if err != nil {
		return false
	}
	defer f.Close()
	head := make([]byte, len(Signature))
	n, _ := f.Read(head)
	return IsHDF5(head[:n])
}
