package casa

import "fmt"

// maxTileBytes caps one tile; casacore's default image tiles are 32 KiB
// to a few MiB; 64 MiB holds a whole 4096×4096 float32 plane.
const maxTileBytes = 64 << 20

// hypercube is one TSMCube of a tiled storage manager
// (tables/DataMan/TiledStMan.cc headerFilePut, TSMCube.cc putObject).
type hypercube struct {
	shape     []int // pixels per axis
	tile      []int // pixels per axis of one tile
	file      int   // sequence number of its data file (table.f<n>_TSM<file>)
	offset    int64 // of the first tile in that file
	bigEndian bool
	typ       dataType // tpFloat, tpDouble, tpBool, ...
	// rowTile is the tile's extent along a dropped row axis: a tile
	// holds that many rows' pixels, row 0's first (1 when none).
	rowTile int
}

// tiledHeader reads a TiledCellStMan or TiledShapeStMan header file and
// returns the hypercube holding row 0 (an image has one row).
func tiledHeader(b []byte, kind string) (*hypercube, error) {
	d := newDecoder(b)
	d.magic()
	var cubes []hypercube
	var big bool
	switch kind {
	case "TiledCellStMan":
		d.start(kind)
		d.ipos() // default tile shape
		cubes, big = d.tiledStMan()
	case "TiledShapeStMan":
		d.start(kind)
		cubes, big = d.tiledStMan()
		d.ipos() // default tile shape
		used := d.count(4)
		rowMap, cubeMap := d.block(), d.block()
		d.block() // positions along the row axis
		if d.err != nil {
			return nil, d.err
		}
		// Row 0 lies in the first interval of the row map (each entry is
		// the last row of an interval), in the cube cubeMap names; rows
		// not in the map are in cube 0 (TiledShapeStMan::getHypercube).
		if used > 0 && len(rowMap) > 0 && len(cubeMap) > 0 {
			nr := cubeMap[0]
			if nr >= len(cubes) {
				return nil, fmt.Errorf("%w: row map names hypercube %d of %d", ErrFormat, nr, len(cubes))
			}
			cubes = []hypercube{cubes[nr]}
		} else if len(cubes) > 0 {
			cubes = cubes[:1]
		}
	default:
		return nil, fmt.Errorf("%w: pixels held by a %s", ErrUnsupported, kind)
	}
	if d.err != nil {
		return nil, d.err
	}
	if len(cubes) == 0 {
		return nil, fmt.Errorf("%w: %s holds no hypercube", ErrFormat, kind)
	}
	if len(cubes) > 1 {
		// A TiledCellStMan has one cube per row; images have one row.
		return nil, fmt.Errorf("%w: %s with %d hypercubes", ErrUnsupported, kind, len(cubes))
	}
	c := cubes[0]
	c.rowTile = 1
	if kind == "TiledShapeStMan" && len(c.shape) > 1 && len(c.tile) == len(c.shape) && c.shape[len(c.shape)-1] == 1 {
		// Its cubes carry the row axis last, tiled over room for more
		// rows: one row, so the axis goes, and row 0's pixels are the
		// first of each tile.
		n := len(c.shape) - 1
		c.rowTile = c.tile[n]
		c.shape, c.tile = c.shape[:n], c.tile[:n]
	}
	c.bigEndian = big
	return &c, c.check()
}

// tiledStMan reads the TiledStMan base part.
func (d *decoder) tiledStMan() ([]hypercube, bool) {
	vers := d.start("TiledStMan")
	big := true
	if vers >= 2 {
		big = d.bool()
	}
	d.u32() // sequence number
	if vers >= 3 {
		d.u64() // rows
	} else {
		d.u32()
	}
	ncol := d.count(4)
	if d.err == nil && ncol != 1 {
		d.fail("%d columns in one tiled storage manager (images have 1)", ncol)
	}
	typ := dataType(d.i32())
	d.str() // hypercolumn name
	if vers >= 3 {
		d.u64() // cache size
	} else {
		d.u32()
	}
	d.u32() // dimensions
	var nfile int
	if vers >= 3 {
		nfile = int(min(d.u64(), maxElements))
	} else {
		nfile = d.count(1)
	}
	for i := 0; i < nfile && d.err == nil; i++ {
		if d.bool() {
			fv := d.u32()
			d.u32() // file sequence number
			if fv >= 2 {
				d.u64()
			} else {
				d.u32()
			}
		}
	}
	var ncube int
	if vers >= 3 {
		ncube = int(min(d.u64(), maxElements))
	} else {
		ncube = d.count(4)
	}
	var cubes []hypercube
	for i := 0; i < ncube && d.err == nil; i++ {
		c := d.cube()
		c.typ = typ
		cubes = append(cubes, c)
	}
	d.end()
	return cubes, big
}

// block reads a Block<uInt> (casa/Containers/BlockIO).
func (d *decoder) block() []int {
	d.start("Block")
	n := d.count(4)
	out := make([]int, n)
	for i := range out {
		out[i] = int(d.u32())
	}
	d.end()
	return out
}

// cube reads one TSMCube.
func (d *decoder) cube() hypercube {
	vers := d.i32()
	d.record() // hypercube values
	d.bool()   // extensible
	d.u32()    // dimensions
	c := hypercube{shape: d.ipos(), tile: d.ipos(), file: int(d.i32())}
	if vers >= 2 {
		c.offset = int64(d.u64())
	} else {
		c.offset = int64(d.u32())
	}
	return c
}

// check validates shapes and sizes.
func (c *hypercube) check() error {
	if len(c.shape) == 0 || len(c.shape) != len(c.tile) {
		return fmt.Errorf("%w: hypercube shape %v, tile shape %v", ErrFormat, c.shape, c.tile)
	}
	if c.rowTile < 1 || c.rowTile > maxTileBytes {
		return fmt.Errorf("%w: tile of %d rows", ErrFormat, c.rowTile)
	}
	n := int64(c.rowTile)
	for i, s := range c.shape {
		if s <= 0 || c.tile[i] <= 0 || s > 1<<31 {
			return fmt.Errorf("%w: hypercube shape %v, tile shape %v", ErrFormat, c.shape, c.tile)
		}
		n *= int64(c.tile[i])
		if n > maxTileBytes {
			return fmt.Errorf("%w: tile shape %v larger than %d MiB", ErrUnsupported, c.tile, maxTileBytes>>20)
		}
	}
	if c.file < 0 || c.offset < 0 {
		return fmt.Errorf("%w: hypercube has no data file", ErrFormat)
	}
	if c.tileBytes() > maxTileBytes {
		return fmt.Errorf("%w: tile shape %v larger than %d MiB", ErrUnsupported, c.tile, maxTileBytes>>20)
	}
	return nil
}

// pixelBytes is the size of one pixel in the data file; 0 for Bool
// (bits).
func (c *hypercube) pixelBytes() int {
	switch c.typ {
	case tpFloat, tpInt, tpUInt:
		return 4
	case tpDouble, tpComplex, tpInt64:
		return 8
	case tpDComplex:
		return 16
	case tpShort, tpUShort:
		return 2
	case tpUChar, tpChar:
		return 1
	}
	return 0
}

// tileBytes is the size of one tile in the data file.
func (c *hypercube) tileBytes() int64 {
	n := int64(product(c.tile)) * int64(c.rowTile)
	if c.typ == tpBool {
		return (n + 7) / 8
	}
	return n * int64(c.pixelBytes())
}
