package sample

import (
	"context"
	"math"

	"cartago/imaging/fits"
)

// sizes are the dimensions of every file in one mode.
type sizes struct {
	image, cube, cubeChans, stokes, stokesChans, int16, multi, gz, more int
}

var (
	fullSizes  = sizes{4096, 512, 200, 256, 20, 1024, 256, 512, 128}
	smallSizes = sizes{64, 32, 8, 16, 4, 64, 32, 32, 16}
)

// Random stream keys, one per file.
const (
	keyImage uint64 = iota + 1
	keyCube
	keyStokes
	keyInt16
	keyMulti
	keyGzip
	keyMore
)

// plan lists the files of a run.
func plan(o Options) []file {
	z := fullSizes
	if o.Small {
		z = smallSizes
	}
	return []file{
		imageFile(o.Seed, z.image),
		cubeFile(o.Seed, z.cube, z.cubeChans),
		stokesFile(o.Seed, z.stokes, z.stokesChans),
		int16File(o.Seed, z.int16),
		multiFile(o.Seed, z.multi),
		continuumFile("image-small.fits.gz", o.Seed, keyGzip, z.gz, true),
		continuumFile("more/image-more.fits", o.Seed, keyMore, z.more, false),
	}
}

// lineSpectral is the CO(2-1) axis of the cubes: nchan channels
// covering the disk's velocity range with a 25% margin.
func lineSpectral(nchan int) *spectral {
	span := 2 * 1.25 * 220 * math.Sin(60*math.Pi/180)
	s := newSpectral(nchan, restCO21, 10, span/float64(nchan))
	return &s
}

// floatHDU is a float32 HDU over a field.
func floatHDU(f *field, object string, seed uint64, naxis []int, stokes int) fits.WriteHDU {
	return fits.WriteHDU{Bitpix: -32, Naxis: naxis,
		Cards: append(commonCards(object, seed), f.wcsCards(stokes)...)}
}

// imageFile is the large 2-D image with NaN patches.
func imageFile(seed uint64, n int) file {
	f := newField(seed, keyImage, n, n, nil)
	data := func(ctx context.Context, e *fits.Encoder) error {
		return writePlanes(ctx, e, 1, n*n, func(_ int, dst []float32) {
			continuumPlane(f, seed, keyImage, dst)
			blankPatches(dst, n, n)
		})
	}
	return file{name: "image-4096.fits", hdus: []hdu{{floatHDU(f, "SIM-FIELD-A", seed, []int{n, n}, 0), data}}}
}

// cubeFile is the 3-D spectral cube with a rotating-disk line.
func cubeFile(seed uint64, n, nchan int) file {
	f := newField(seed, keyCube, n, n, lineSpectral(nchan))
	data := func(ctx context.Context, e *fits.Encoder) error {
		return writePlanes(ctx, e, nchan, n*n, func(c int, dst []float32) {
			f.model(c, dst)
			addNoise(dst, n, f.noise, seed, keyCube, uint64(c)+1)
		})
	}
	return file{name: "cube-512x512x200.fits",
		hdus: []hdu{{floatHDU(f, "SIM-DISK", seed, []int{n, n, nchan}, 0), data}}}
}

// stokesFile is the 4-D cube with Stokes I, Q, U, V: linear
// polarization of 20% with a position-dependent angle, 2% circular,
// and a quarter of the cube's noise so Q and U stand out.
func stokesFile(seed uint64, n, nchan int) file {
	f := newField(seed, keyStokes, n, n, lineSpectral(nchan))
	frac := polarization(n)
	data := func(ctx context.Context, e *fits.Encoder) error {
		return writePlanes(ctx, e, 4*nchan, n*n, func(i int, dst []float32) {
			c, s := i%nchan, i/nchan
			f.model(c, dst)
			for p := range dst {
				dst[p] *= frac[s][p]
			}
			addNoise(dst, n, f.noise/4, seed, keyStokes, uint64(i)+1)
		})
	}
	return file{name: "cube-stokes.fits",
		hdus: []hdu{{floatHDU(f, "SIM-DISK-POL", seed, []int{n, n, nchan, 4}, 4), data}}}
}

// polarization returns, for I, Q, U and V, the fraction of I per pixel.
func polarization(n int) [4][]float32 {
	var fr [4][]float32
	for s := range fr {
		fr[s] = make([]float32, n*n)
	}
	for p := range n * n {
		dx, dy := float64(p%n)-float64(n)/2, float64(p/n)-float64(n)/2
		chi := 0.5*math.Atan2(dy, dx) + 0.3
		fr[0][p] = 1
		fr[1][p] = float32(0.2 * math.Cos(2*chi))
		fr[2][p] = float32(0.2 * math.Sin(2*chi))
		fr[3][p] = 0.02
	}
	return fr
}

// Scaling of int16-scaled.fits: raw ±32767 covers about -0.046..0.086.
const (
	int16Scale = 2e-6
	int16Zero  = 0.02
	int16Blank = -32768
)

// int16File is a BITPIX 16 image with BSCALE/BZERO and BLANK pixels.
func int16File(seed uint64, n int) file {
	f := newField(seed, keyInt16, n, n, nil)
	h := fits.WriteHDU{Bitpix: 16, Naxis: []int{n, n}, BScale: int16Scale, BZero: int16Zero,
		Blank: int16Blank, HasBlank: true, Cards: append(commonCards("SIM-FIELD-B", seed), f.wcsCards(0)...)}
	data := func(ctx context.Context, e *fits.Encoder) error {
		phys := make([]float32, n*n)
		continuumPlane(f, seed, keyInt16, phys)
		blankStrip(phys, n, n)
		return e.WriteData(quantize(phys, int16Scale, int16Zero, int16Blank))
	}
	return file{name: "int16-scaled.fits", hdus: []hdu{{h, data}}}
}

// blankStrip blanks the left tenth of the bottom third, as a flagged
// detector region would be.
func blankStrip(dst []float32, w, h int) {
	nan := float32(math.NaN())
	for y := range h / 3 {
		for x := range max(1, w/10) {
			dst[y*w+x] = nan
		}
	}
}

// multiFile has a data-less primary HDU and two IMAGE extensions: SCI
// (an image) and ERR (its noise map).
func multiFile(seed uint64, n int) file {
	f := newField(seed, keyMulti, n, n, nil)
	sci := floatHDU(f, "SIM-FIELD-C", seed, []int{n, n}, 0)
	sci.ExtName = "SCI"
	errHDU := floatHDU(f, "SIM-FIELD-C", seed, []int{n, n}, 0)
	errHDU.ExtName = "ERR"
	return file{name: "multi-hdu.fits", hdus: []hdu{
		{fits.WriteHDU{Bitpix: 8, Cards: commonCards("SIM-FIELD-C", seed)}, nil},
		{sci, func(ctx context.Context, e *fits.Encoder) error {
			return writePlanes(ctx, e, 1, n*n, func(_ int, dst []float32) { continuumPlane(f, seed, keyMulti, dst) })
		}},
		{errHDU, func(ctx context.Context, e *fits.Encoder) error {
			return writePlanes(ctx, e, 1, n*n, func(_ int, dst []float32) { noiseMap(dst, n, f.noise) })
		}},
	}}
}

// noiseMap is a noise level rising away from the centre, like a
// primary-beam-corrected image.
func noiseMap(dst []float32, n int, sigma float64) {
	half := float64(n) / 2
	for p := range dst {
		dx, dy := (float64(p%n)-half)/half, (float64(p/n)-half)/half
		dst[p] = float32(sigma * (1 + 0.5*(dx*dx+dy*dy)))
	}
}

// continuumFile is a plain 2-D float32 image.
func continuumFile(name string, seed, key uint64, n int, gzip bool) file {
	f := newField(seed, key, n, n, nil)
	data := func(ctx context.Context, e *fits.Encoder) error {
		return writePlanes(ctx, e, 1, n*n, func(_ int, dst []float32) { continuumPlane(f, seed, key, dst) })
	}
	return file{name: name, gzip: gzip, hdus: []hdu{{floatHDU(f, "SIM-FIELD-D", seed, []int{n, n}, 0), data}}}
}
