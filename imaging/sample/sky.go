package sample

import (
	"math"
	"math/rand/v2"
	"sync"
)

// cKms is the speed of light in km/s.
const cKms = 299792.458

// beamPx is a Gaussian restoring beam: FWHM in pixels, PA in radians
// (from +y towards -x, i.e. north through east).
type beamPx struct{ major, minor, pa float64 }

// spectral maps channels to frequency (FITS FREQ axis) and radio velocity.
type spectral struct {
	nchan                         int
	restFreq, crval, cdelt, crpix float64
}

func (s spectral) freq(c int) float64 { return s.crval + (float64(c+1)-s.crpix)*s.cdelt }

// velocity returns the radio velocity (km/s) of channel c.
func (s spectral) velocity(c int) float64 { return cKms * (1 - s.freq(c)/s.restFreq) }

// newSpectral centres nchan channels of width dv km/s on vsys.
func newSpectral(nchan int, restFreq, vsys, dv float64) spectral {
	return spectral{
		nchan: nchan, restFreq: restFreq,
		crval: restFreq * (1 - vsys/cKms),
		cdelt: restFreq * dv / cKms, // frequency increases, velocity decreases
		crpix: float64(nchan+1) / 2,
	}
}

// disk is a rotating, inclined exponential disk emitting a spectral line.
type disk struct {
	x, y, pa, incl float64 // centre (px), major-axis PA, inclination (rad)
	rmax, rscale   float64 // truncation and scale radius (px)
	vsys, vmax, rt float64 // systemic and flat rotation velocity (km/s), turnover (px)
	sigmaV, peak   float64 // line width (km/s), peak brightness (Jy/beam)
}

// geometry returns the line brightness and line-of-sight velocity of
// the disk at pixel (x, y); brightness 0 outside the disk.
func (d disk) geometry(x, y float64) (bright, vlos float64) {
	dx, dy := x-d.x, y-d.y
	sin, cos := math.Sincos(d.pa)
	along := -dx*sin + dy*cos // along the major axis
	across := (dx*cos + dy*sin) / math.Cos(d.incl)
	r := math.Hypot(along, across)
	if r > d.rmax {
		return 0, 0
	}
	vrot := d.vmax * (1 - math.Exp(-r/d.rt))
	cosTheta := 0.0
	if r > 0 {
		cosTheta = along / r
	}
	return d.peak * math.Exp(-r/d.rscale), d.vsys + vrot*math.Sin(d.incl)*cosTheta
}

// source is a beam-shaped point source.
type source struct{ x, y, flux float64 }

// randomSources draws n sources with a power-law flux distribution
// (fmin..fmax Jy) uniformly over a w×h field.
func randomSources(r *rand.Rand, n, w, h int, fmin, fmax float64) []source {
	out := make([]source, n)
	for i := range out {
		f := fmin * math.Pow(1-r.Float64(), -1/1.3)
		out[i] = source{x: r.Float64() * float64(w-1), y: r.Float64() * float64(h-1), flux: min(f, fmax)}
	}
	return out
}

// addGaussian adds an elliptical Gaussian of peak amp and FWHM axes
// (px) centred at (x0, y0) to a w-wide plane.
func addGaussian(dst []float32, w int, x0, y0, amp float64, b beamPx) {
	h := len(dst) / w
	k := 4 * math.Ln2
	sin, cos := math.Sincos(b.pa)
	rad := math.Ceil(2 * b.major)
	xlo, xhi := max(0, int(x0-rad)), min(w-1, int(x0+rad))
	ylo, yhi := max(0, int(y0-rad)), min(h-1, int(y0+rad))
	for y := ylo; y <= yhi; y++ {
		dy := float64(y) - y0
		row := dst[y*w : (y+1)*w]
		for x := xlo; x <= xhi; x++ {
			dx := float64(x) - x0
			u := (-dx*sin + dy*cos) / b.major
			v := (dx*cos + dy*sin) / b.minor
			row[x] += float32(amp * math.Exp(-k*(u*u+v*v)))
		}
	}
}

// field is the noiseless sky of one file: continuum (point sources and
// an extended elliptical source, spectral index alpha) and optionally a
// line disk, plus the noise level. The templates are built on first use,
// so a field whose file is skipped costs nothing.
type field struct {
	// Parameters, immutable after newField.
	w, h      int
	seed, key uint64
	cell      float64 // arcsec per pixel
	beam      beamPx
	spec      *spectral // nil for 2-D images
	alpha     float64
	noise     float64 // Jy/beam per plane
	ext       beamPx  // extended source FWHM and PA
	cx, cy    float64 // extended source and disk centre

	// Templates, written once by build.
	once   sync.Once
	cont   []float32
	line   *disk
	lineAt []lineGeom // per pixel, when line != nil
}

type lineGeom struct{ bright, vlos float32 }

// newField describes a w×h field; key selects its random streams.
func newField(seed, key uint64, w, h int, spec *spectral) *field {
	n := float64(min(w, h))
	f := &field{w: w, h: h, seed: seed, key: key, cell: 0.1 * 512 / n, spec: spec, alpha: -0.7, noise: 1e-4,
		beam: beamPx{major: 4.2, minor: 3.0, pa: 25 * math.Pi / 180},
		ext:  beamPx{major: 0.25 * n, minor: 0.12 * n, pa: 35 * math.Pi / 180},
		cx:   0.52 * float64(w), cy: 0.47 * float64(h)}
	if spec != nil {
		f.noise = 2e-3
	}
	return f
}

// build renders the continuum template and the line geometry.
func (f *field) build() {
	n := float64(min(f.w, f.h))
	f.cont = make([]float32, f.w*f.h)
	r := rng(f.seed, f.key, 0)
	count := min(max(f.w*f.h/3000, 8), 5000)
	for _, s := range randomSources(r, count, f.w, f.h, 3e-4, 5e-2) {
		addGaussian(f.cont, f.w, s.x, s.y, s.flux, f.beam)
	}
	addGaussian(f.cont, f.w, f.cx, f.cy, 2e-3, f.ext)
	if f.spec == nil {
		return
	}
	width := math.Abs(f.spec.velocity(1) - f.spec.velocity(0))
	f.line = &disk{x: f.cx, y: f.cy, pa: f.ext.pa, incl: 60 * math.Pi / 180, rmax: 0.3 * n, rscale: 0.12 * n,
		vsys: 10, vmax: 220, rt: 0.05 * n, sigmaV: max(12, width), peak: 0.05}
	f.lineAt = make([]lineGeom, f.w*f.h)
	for i := range f.lineAt {
		b, v := f.line.geometry(float64(i%f.w), float64(i/f.w))
		f.lineAt[i] = lineGeom{float32(b), float32(v)}
	}
}

// model writes the noiseless sky at channel c into dst.
func (f *field) model(c int, dst []float32) {
	f.once.Do(f.build)
	scale := float32(1)
	if f.spec != nil {
		scale = float32(math.Pow(f.spec.freq(c)/f.spec.freq(0), f.alpha))
	}
	for i, v := range f.cont {
		dst[i] = v * scale
	}
	if f.line == nil {
		return
	}
	vc := float32(f.spec.velocity(c))
	inv := float32(-0.5 / (f.line.sigmaV * f.line.sigmaV))
	lim := float32(5 * f.line.sigmaV)
	for i, g := range f.lineAt {
		if dv := vc - g.vlos; g.bright > 0 && dv < lim && dv > -lim {
			dst[i] += g.bright * float32(math.Exp(float64(inv*dv*dv)))
		}
	}
}
