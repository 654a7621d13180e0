// Package casa reads CASA images as casacore writes them: a directory
// holding a table whose one row has the pixel array in column "map",
// stored by a tiled storage manager, with the coordinate system, units
// and image info in the table's keywords and an optional pixel mask in a
// sub-table.
//
// The format, as read from casacore's sources (AipsIO, TableDesc,
// ColumnSet, TiledStMan, TSMCube): every structured file (table.dat, the
// storage manager headers table.f<n>) is AipsIO in canonical (big-endian)
// form; only the tile data (table.f<n>_TSM<m>) is big- or little-endian,
// as the table records. Tiles of a hypercube lie one after the other in
// Fortran order of tile index, each the pixels of the tile in Fortran
// order; Bool tiles are packed 8 pixels a byte.
//
// Every length read is checked against the bytes left, nesting is
// limited and the sizes of arrays and tiles are capped, so bad input
// gives an error wrapping ErrFormat or ErrUnsupported, never a panic.
package casa
