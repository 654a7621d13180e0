package session

import (
	"context"
	"fmt"
	"math"
	"strings"

	"cartago/icd"
	"cartago/imaging/fits"
	"cartago/imaging/region"
)

// skyStep is the angular size of one pixel along the image's two
// direction axes, in arcseconds; ok is false for images without a
// celestial coordinate, whose line profiles are measured in pixels.
type skyStep struct {
	x, y float64
	ok   bool
}

// celestialPrefixes start the CTYPE of celestial axes.
var celestialPrefixes = []string{"RA", "DEC", "GLON", "GLAT", "ELON", "ELAT", "SLON", "SLAT", "HPLN", "HPLT"}

// unitArcsec gives arcseconds per unit for the CUNIT values of
// celestial axes.
var unitArcsec = map[string]float64{"": 3600, "deg": 3600, "arcmin": 60, "arcsec": 1, "mas": 1e-3, "rad": 180 / math.Pi * 3600}

func isCelestial(ctype string) bool {
	ctype = strings.ToUpper(ctype)
	for _, p := range celestialPrefixes {
		if strings.HasPrefix(ctype, p) && (len(ctype) == len(p) || ctype[len(p)] == '-') {
			return true
		}
	}
	return false
}

// skyStepOf reads the pixel increments of the direction axes.
func skyStepOf(h *fits.HDU) skyStep {
	var s skyStep
	axes := [2]int{h.Layout.Axes.SpatialX, h.Layout.Axes.SpatialY}
	var steps [2]float64
	for i, n := range axes {
		ctype, _ := h.Header.String(fmt.Sprintf("CTYPE%d", n))
		cdelt, ok := h.Header.Float(fmt.Sprintf("CDELT%d", n))
		unit, _ := h.Header.String(fmt.Sprintf("CUNIT%d", n))
		scale, known := unitArcsec[strings.ToLower(strings.TrimSpace(unit))]
		if !isCelestial(ctype) || !ok || cdelt == 0 || !known {
			return s
		}
		steps[i] = math.Abs(cdelt) * scale
	}
	return skyStep{x: steps[0], y: steps[1], ok: true}
}

// lineAxis describes the x axis of a line profile of n samples, the last
// segment running in direction (dx, dy) in pixels: one sample per pixel
// along it, in the unit the reference picks for the profile's length.
func (s skyStep) lineAxis(kind region.Kind, dx, dy float64, n int) *icd.LineProfileAxis {
	a := &icd.LineProfileAxis{AxisType: icd.ProfileAxisType_Offset, Crpix: float32(n / 2), Cdelt: 1, Unit: "pixel"}
	if kind == region.KindPolyline {
		a.AxisType = icd.ProfileAxisType_Distance
	}
	if l := math.Hypot(dx, dy); s.ok {
		if l == 0 {
			dx, dy, l = 1, 0, 1
		}
		inc := math.Hypot(dx/l*s.x, dy/l*s.y) // arcsec per sample
		length := inc * float64(n)
		switch {
		case length*1e3 < 2:
			a.Cdelt, a.Unit = float32(inc*1e3), "marcsec"
		case length/60 < 2:
			a.Cdelt, a.Unit = float32(inc), "arcsec"
		case length/3600 < 2:
			a.Cdelt, a.Unit = float32(inc/60), "arcmin"
		default:
			a.Cdelt, a.Unit = float32(inc/3600), "deg"
		}
	}
	if a.AxisType == icd.ProfileAxisType_Distance {
		a.Crval = a.Crpix * a.Cdelt
	}
	return a
}

// sendLineProfiles sends the spatial profiles of a line or polyline
// region: for each requested Stokes and averaging width, the mean of the
// current plane in boxes one pixel apart along the line. Worker only.
func (f *frame) sendLineProfiles(ctx context.Context, r *regionState) {
	ch, st := f.current()
	for _, cfg := range r.spatial {
		msg, err := f.lineProfile(ctx, r, cfg, ch, st)
		if err != nil {
			f.reportError(ctx, "spatial", fmt.Errorf("line profile of region %d: %w", r.id, err))
			continue
		}
		f.sess.send(ctx, icd.EventType_SPATIAL_PROFILE_DATA, msg)
	}
}

func (f *frame) lineProfile(ctx context.Context, r *regionState, cfg *icd.SetSpatialRequirements_SpatialConfig, ch, st int) (*icd.SpatialProfileData, error) {
	// Line profiles name only the polarization: "" or "I", "Q", ...
	stokes, err := parseStokes(cfg.Coordinate, st, f.layout)
	if err != nil {
		return nil, err
	}
	boxes, err := region.LineBoxes(r.desc, int(cfg.Width))
	if err != nil {
		return nil, err
	}
	p, release, err := f.planeFor(ctx, ch, st, stokes)
	if err != nil {
		return nil, err
	}
	defer release()
	values, err := region.LineProfile(ctx, p, boxes)
	if err != nil {
		return nil, err
	}
	pts := r.desc.Points
	last, prev := pts[len(pts)-1], pts[len(pts)-2]
	return &icd.SpatialProfileData{
		FileId: f.id, RegionId: r.id, Channel: int32(ch), Stokes: int32(stokes),
		Profiles: []*icd.SpatialProfile{{
			Start: 0, End: int32(len(values) - 1), Coordinate: cfg.Coordinate,
			RawValuesFp32: float32Bytes(values),
			LineAxis:      f.sky.lineAxis(r.desc.Kind, last.X-prev.X, last.Y-prev.Y, len(values)),
		}},
	}, nil
}
