//go:build !unix

package session

// openNonblock is not needed where FIFOs cannot appear in the tree.
const openNonblock = 0
