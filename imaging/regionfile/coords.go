package regionfile

import (
	"fmt"
	"math"

	"cartago/imaging/region"
)

// converter turns one file's coordinates into image pixels and back.
type converter struct {
	img  Image
	file Frame // the frame of world coordinates in the file
}

func (c converter) worldToPixel(lon, lat float64) (region.Point, error) {
	if c.img.Sky == nil {
		return region.Point{}, ErrNoSky
	}
	lon, lat, err := convertFrame(lon, lat, c.file, c.img.Frame)
	if err != nil {
		return region.Point{}, err
	}
	x, y, ok := c.img.Sky.WorldToPixel(lon, lat)
	if !ok {
		return region.Point{}, fmt.Errorf("(%g, %g) deg is outside the image's projection", lon, lat)
	}
	return region.Point{X: x, Y: y}, nil
}

func (c converter) pixelToWorld(p region.Point) (lon, lat float64, err error) {
	if c.img.Sky == nil {
		return 0, 0, ErrNoSky
	}
	lon, lat, ok := c.img.Sky.PixelToWorld(p.X, p.Y)
	if !ok {
		return 0, 0, fmt.Errorf("pixel (%g, %g) has no sky coordinates", p.X, p.Y)
	}
	return convertFrame(lon, lat, c.img.Frame, c.file)
}

// pixelScale is the size on the sky, in degrees, of one pixel along x
// and along y at p: sizes in world units convert with it, the same way
// in both directions so that export then import gives back the sizes.
func (c converter) pixelScale(p region.Point) (sx, sy float64, err error) {
	if c.img.Sky == nil {
		return 0, 0, ErrNoSky
	}
	l0, b0, ok0 := c.img.Sky.PixelToWorld(p.X, p.Y)
	l1, b1, ok1 := c.img.Sky.PixelToWorld(p.X+1, p.Y)
	l2, b2, ok2 := c.img.Sky.PixelToWorld(p.X, p.Y+1)
	if !ok0 || !ok1 || !ok2 {
		return 0, 0, fmt.Errorf("pixel (%g, %g) has no sky coordinates", p.X, p.Y)
	}
	sx, sy = angularDistance(l0, b0, l1, b1), angularDistance(l0, b0, l2, b2)
	if !(sx > 0) || !(sy > 0) || math.IsInf(sx, 0) || math.IsInf(sy, 0) {
		return 0, 0, fmt.Errorf("pixel (%g, %g) has no pixel size on the sky", p.X, p.Y)
	}
	return sx, sy, nil
}
