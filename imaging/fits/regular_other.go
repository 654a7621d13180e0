//go:build !unix

package fits

// openNonblock is not needed where FIFOs cannot appear in the tree.
const openNonblock = 0
