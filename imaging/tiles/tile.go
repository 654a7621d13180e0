// Package tiles cuts an image plane into the 256×256 raster tiles the
// CARTA frontend requests, downsampling zoomed-out layers by a
// NaN-ignoring block mean, and encodes tile data for the wire.
//
// Addressing follows the frontend exactly (TileCoordinate.ts and
// tiling.ts in CARTAvis/carta-frontend; Tile.h in carta-backend): layer
// nLayers is full resolution, layer 0 fits the whole image in one tile,
// and layer l is downsampled by Mip = 2^(nLayers-l).
//
// Everything here is pure computation and safe for concurrent use; no
// function retains the slices it is given.
package tiles

import (
	"image"
	"math/bits"
)

// Size is the width and height of a full tile in output pixels.
const Size = 256

// MaxLayer is the highest layer an encoded tile id can carry: x and y
// have 12 bits each, so a layer has at most 4096 tiles across.
const MaxLayer = 12

// Invalid is the encoded id of a tile that cannot be encoded.
const Invalid int32 = -1

// Tile addresses one tile: column X and row Y of layer Layer. Row 0 is at
// the lowest image y.
type Tile struct {
	X, Y, Layer int
}

// Encode packs a tile as the frontend does: (layer<<24) | (y<<12) | x.
// It returns Invalid unless 0 ≤ layer ≤ MaxLayer and 0 ≤ x, y < 2^layer.
func Encode(x, y, layer int) int32 {
	if layer < 0 || layer > MaxLayer {
		return Invalid
	}
	n := 1 << layer
	if x < 0 || y < 0 || x >= n || y >= n {
		return Invalid
	}
	return int32(layer<<24 | y<<12 | x)
}

// Encode returns the encoded id of t, or Invalid.
func (t Tile) Encode() int32 { return Encode(t.X, t.Y, t.Layer) }

// Decode unpacks an encoded id the way the frontend and the reference
// backend do: x = v&4095, y = (v>>12)&4095, layer = (v>>24)&127. Any
// int32 decodes to something; use Valid or Locate to check the result.
func Decode(v int32) Tile {
	return Tile{X: int(v & 4095), Y: int(v>>12) & 4095, Layer: int(v>>24) & 127}
}

// Valid reports whether t can be encoded (see Encode).
func (t Tile) Valid() bool { return t.Encode() != Invalid }

// Layers returns the number of the full-resolution layer for a
// width×height image, as the frontend computes it:
// ceil(log2(max(ceil(width/256), ceil(height/256)))). Images of at most
// 256 pixels on each side have Layers 0: one tile, at mip 1. It returns 0
// for empty images.
func Layers(width, height int) int {
	if width <= 0 || height <= 0 {
		return 0
	}
	n := max(ceilDiv(width, Size), ceilDiv(height, Size))
	return bits.Len(uint(n - 1)) // smallest L with 2^L ≥ n
}

// Mip returns the downsampling factor of layer in an image whose
// full-resolution layer is nLayers: 2^(nLayers-layer). It returns 0 for a
// layer outside [0, nLayers], as the reference backend does (its integer
// pow gives 0 there), meaning "no such tile".
func Mip(layer, nLayers int) int {
	if layer < 0 || layer > nLayers || nLayers-layer >= bits.UintSize-1 {
		return 0
	}
	return 1 << (nLayers - layer)
}

// Rect is where a tile sits in an image.
type Rect struct {
	// Bounds is the block of image pixels the tile covers, clipped to the
	// image: [x·256·mip, min((x+1)·256·mip, W)) and likewise in y.
	Bounds image.Rectangle
	// Mip is the downsampling factor of the tile's layer.
	Mip int
	// Width and Height are the size of the tile's data:
	// ceil(Bounds.Dx()/Mip) × ceil(Bounds.Dy()/Mip). Edge tiles and
	// low layers of small images are smaller than Size.
	Width, Height int
}

// Len returns the number of values in the tile's data.
func (r Rect) Len() int { return r.Width * r.Height }

// Locate returns the rectangle tile t covers in a width×height image. It
// returns ErrInvalidTile if t cannot be encoded and ErrOutsideImage if
// its layer does not exist for this image or the tile lies beyond the
// image edge. (The reference backend answers a tile starting exactly at
// the image edge with an empty 0-pixel tile; the frontend never asks for
// one, and we refuse it.)
func Locate(t Tile, width, height int) (Rect, error) {
	if !t.Valid() {
		return Rect{}, ErrInvalidTile
	}
	mip := Mip(t.Layer, Layers(width, height))
	if mip == 0 {
		return Rect{}, ErrOutsideImage
	}
	span := Size * mip
	x0, y0 := t.X*span, t.Y*span
	if x0 >= width || y0 >= height {
		return Rect{}, ErrOutsideImage
	}
	b := image.Rect(x0, y0, min(x0+span, width), min(y0+span, height))
	return Rect{
		Bounds: b,
		Mip:    mip,
		Width:  ceilDiv(b.Dx(), mip),
		Height: ceilDiv(b.Dy(), mip),
	}, nil
}

// LayerTiles returns the number of tile columns and rows that layer has in
// a width×height image (0, 0 for a layer that does not exist).
func LayerTiles(layer, width, height int) (nx, ny int) {
	mip := Mip(layer, Layers(width, height))
	if mip == 0 {
		return 0, 0
	}
	return ceilDiv(width, Size*mip), ceilDiv(height, Size*mip)
}

func ceilDiv(a, b int) int { return (a + b - 1) / b }
