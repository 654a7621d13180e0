package session

import (
	"cartago/imaging/tiles"
)

// Tiles below full resolution of an IDIA image come from its stored mip
// levels (MipMaps/DATA/DATA_XY_<m>, m×m block means of finite values,
// what tiles.Downsample computes) when the level is there: a zoomed-out
// view of a large image then reads a small dataset, not the plane.

// (Not open_hdf5_mips.go: a _mips suffix limits a file to GOARCH=mips.)

// mipTile reports whether tile t of (channel, stokes) can be read from
// a stored mip level.
func (f *frame) mipTile(t tiles.Tile, stokes int) bool {
	img := idiaOf(f)
	if img == nil || stokes < 0 || stokes >= f.layout.Stokes {
		return false
	}
	r, err := tiles.Locate(t, f.layout.Width, f.layout.Height)
	return err == nil && r.Mip > 1 && img.HasMip(r.Mip)
}

// tilesFromMips reports whether every tile comes from a mip level, so
// the plane need not be read.
func (f *frame) tilesFromMips(ts []tiles.Tile, stokes int) bool {
	for _, t := range ts {
		if !f.mipTile(t, stokes) {
			return false
		}
	}
	return len(ts) > 0
}

// renderTile is tiles.Render of f.plane, or the tile read from its mip
// level. Safe for the worker's tile goroutines.
func (f *frame) renderTile(buf []float32, req tileRequest, t tiles.Tile) ([]float32, tiles.Rect, error) {
	if !f.mipTile(t, req.stokes) {
		return renderPlaneTile(buf, f.plane, req.levels, t)
	}
	r, err := tiles.Locate(t, f.layout.Width, f.layout.Height)
	if err != nil {
		return buf[:0], tiles.Rect{}, err
	}
	m := r.Mip
	b := r.Bounds
	x0, y0 := b.Min.X/m, b.Min.Y/m
	w, h := (b.Dx()+m-1)/m, (b.Dy()+m-1)/m
	if cap(buf) < w*h {
		buf = make([]float32, w*h)
	}
	buf = buf[:w*h]
	if err := idiaOf(f).ReadMip(buf, m, req.channel, req.stokes, x0, y0, w, h); err != nil {
		return buf, tiles.Rect{}, err
	}
	return buf, r, nil
}
