package session

import (
	"context"
	"fmt"
	"image"
	"math"

	"google.golang.org/protobuf/proto"

	"cartago/icd"
	"cartago/imaging"
	"cartago/imaging/tiles"
	"cartago/imaging/zfp"
)

const vectorKey = "vector overlay"

func (c *Client) handleSetVectorOverlayParameters(r request) error {
	var msg icd.SetVectorOverlayParameters
	if err := decode(r, &msg); err != nil {
		return err
	}
	f, err := c.frameFor(int32(msg.FileId))
	if err != nil {
		return silentIfNotOpen(err) // as the reference: nothing to draw on
	}
	f.setVectorOverlay(&msg)
	return nil
}

// vectorOff reports whether settings ask for no overlay: the frontend
// clears it with both Stokes choices −1, and resumes without one as an
// empty message.
func vectorOff(v *icd.SetVectorOverlayParameters) bool {
	return v == nil || v.StokesIntensity < 0 && v.StokesAngle < 0 || v.SmoothingFactor < 1
}

// setVectorOverlay stores the settings (or clears them) and queues the
// overlay's tiles. Clearing sends nothing: the frontend clears with both
// Stokes −1 and no smoothing factor, which the reference answers with
// nothing (VectorField::ClearParameters returns at smoothing_factor < 1).
// With a smoothing factor it would send an empty message for file id −1,
// which no client can use; we deliberately send nothing then too. A
// computation in progress stops either way.
func (f *frame) setVectorOverlay(msg *icd.SetVectorOverlayParameters) {
	var want *icd.SetVectorOverlayParameters
	if !vectorOff(msg) {
		want = proto.CloneOf(msg)
	}
	f.mu.Lock()
	same := proto.Equal(f.vector, want)
	f.vector = want
	f.mu.Unlock()
	switch {
	case same:
		return
	case want == nil: // replace the queued or running overlay by nothing
		f.work.add(job{kind: jobLatest, key: vectorKey, run: func(context.Context) {}})
	default:
		f.work.add(job{kind: jobLatest, key: vectorKey, run: f.sendVectorOverlay})
	}
}

// vectorPlan is what one overlay computation reads and derives.
type vectorPlan struct {
	v                    *icd.SetVectorOverlayParameters
	mip                  int
	curAsPI, curAsPA     bool // the current Stokes is the intensity / angle
	calcPI, calcPA       bool // derived from Q and U
	needI                bool // fractional, or a threshold on I
	threshold            float64
	qErr2, uErr2         float64 // squared errors, for debiasing
	cur, stokesI, q, u   imaging.Plane
	curT, iT, qT, uT, pi []float32 // one tile of each, scratch
	pa                   []float32
	release              []func() // gives back the charges of q, u and stokesI
}

// done releases the planes read for the plan.
func (p *vectorPlan) done() {
	for _, r := range p.release {
		r()
	}
	p.release = nil
}

// sendVectorOverlay computes the polarization vectors of the current
// channel on a grid of smoothing_factor-pixel blocks and sends them tile
// by tile with progress, as the reference does: the intensity is the
// polarized intensity √(Q²+U²−(σQ²+σU²)/2) (debiased when asked),
// in percent of I when fractional, or the current Stokes plane; the
// angle is ½·atan2(U, Q) in degrees, or the current Stokes plane. Pixels
// where I (or the current plane) is NaN or below the threshold are NaN.
// Worker only.
func (f *frame) sendVectorOverlay(ctx context.Context) {
	f.mu.Lock()
	v := f.vector
	f.mu.Unlock()
	if v == nil {
		return
	}
	ch, st := f.current()
	p, err := f.planVectors(ctx, v, ch, st)
	if err != nil {
		f.reportError(ctx, "vector field", fmt.Errorf("vector overlay of file %d: %w", f.id, err))
		return
	}
	defer p.done()
	w, h := f.layout.Width, f.layout.Height
	span := tiles.Size * p.mip
	nx, ny := (w+span-1)/span, (h+span-1)/span
	maxTiles := float64(max((w+tiles.Size-1)/tiles.Size, (h+tiles.Size-1)/tiles.Size))
	layer := int32(math.Ceil(math.Log2(maxTiles / float64(p.mip))))
	var enc zfp.Encoder
	for k := range nx * ny {
		if ctx.Err() != nil {
			return
		}
		tx, ty := k%nx, k/nx
		rect := image.Rect(tx*span, ty*span, min((tx+1)*span, w), min((ty+1)*span, h))
		msg := &icd.VectorOverlayTileData{FileId: f.id, Channel: int32(ch), StokesIntensity: v.StokesIntensity,
			StokesAngle: v.StokesAngle, CompressionType: v.CompressionType, CompressionQuality: v.CompressionQuality,
			Progress: float64(k+1) / float64(nx*ny)}
		intensity, angle, tw, th := p.tile(rect)
		td := func(data []float32) *icd.TileData {
			t := &icd.TileData{X: int32(tx), Y: int32(ty), Layer: layer, Mip: int32(p.mip), Width: int32(tw), Height: int32(th)}
			encodeVectorTile(&enc, t, data, v)
			return t
		}
		if intensity != nil {
			msg.IntensityTiles = append(msg.IntensityTiles, td(intensity))
		}
		if angle != nil {
			msg.AngleTiles = append(msg.AngleTiles, td(angle))
		}
		f.sess.send(ctx, icd.EventType_VECTOR_OVERLAY_TILE_DATA, msg)
	}
}

// planVectors works out what the settings need and reads those planes.
// Worker only.
func (f *frame) planVectors(ctx context.Context, v *icd.SetVectorOverlayParameters, ch, st int) (*vectorPlan, error) {
	hasStokes := f.layout.StokesValues != nil
	p := &vectorPlan{
		v: v, mip: int(v.SmoothingFactor), threshold: v.Threshold,
		curAsPI: v.StokesIntensity == 0 && hasStokes || !hasStokes,
		curAsPA: v.StokesAngle == 0 && hasStokes || !hasStokes,
		calcPI:  v.StokesIntensity == 1 && hasStokes,
		calcPA:  v.StokesAngle == 1 && hasStokes,
	}
	if v.Debiasing {
		p.qErr2, p.uErr2 = v.QError*v.QError, v.UError*v.UError
	}
	p.needI = (p.calcPI || p.calcPA) && (v.Fractional || !math.IsNaN(v.Threshold))
	if p.curAsPI || p.curAsPA {
		if err := f.loadPlane(ctx, ch, st); err != nil {
			return nil, err
		}
		p.cur = f.plane
	}
	if !p.calcPI && !p.calcPA {
		return p, nil
	}
	read := func(name string) (imaging.Plane, error) {
		idx, err := parseStokes(name, st, f.layout)
		if err != nil {
			return imaging.Plane{}, fmt.Errorf("polarization vectors need Stokes %s: %w", name, err)
		}
		pl, release, err := f.px.Plane(ctx, ch, idx)
		if err == nil {
			p.release = append(p.release, release)
		}
		return pl, err
	}
	var err error
	p.q, err = read("Q")
	if err == nil {
		p.u, err = read("U")
	}
	if err == nil && p.needI {
		p.stokesI, err = read("I")
	}
	if err != nil {
		p.done()
		return nil, err
	}
	return p, nil
}

// tile returns the intensity and angle values (nil when not asked for)
// of the block means of the planes over rect, and their size.
func (p *vectorPlan) tile(rect image.Rectangle) (intensity, angle []float32, w, h int) {
	down := func(dst []float32, pl imaging.Plane) []float32 {
		out, tw, th, _ := tiles.Downsample(dst, pl, rect, p.mip)
		w, h = tw, th
		return out
	}
	if p.curAsPI || p.curAsPA {
		p.curT = down(p.curT, p.cur)
		for i, c := range p.curT {
			if p.below(c) {
				p.curT[i] = float32(math.NaN())
			}
		}
		if p.curAsPI {
			intensity = p.curT
		}
		if p.curAsPA {
			angle = p.curT
		}
	}
	if !p.calcPI && !p.calcPA {
		return intensity, angle, w, h
	}
	p.qT, p.uT = down(p.qT, p.q), down(p.uT, p.u)
	if p.needI {
		p.iT = down(p.iT, p.stokesI)
	}
	nan := float32(math.NaN())
	if p.calcPI {
		p.pi = resize(p.pi, len(p.qT))
		for i := range p.pi {
			q, u := float64(p.qT[i]), float64(p.uT[i])
			v := nan
			if !math.IsNaN(q) && !math.IsNaN(u) {
				v = float32(math.Sqrt(q*q + u*u - (p.qErr2+p.uErr2)/2))
			}
			if p.v.Fractional {
				v = fraction(p.iT[i], v)
			}
			if p.needI && p.below(p.iT[i]) {
				v = nan
			}
			p.pi[i] = v
		}
		intensity = p.pi
	}
	if p.calcPA {
		p.pa = resize(p.pa, len(p.qT))
		for i := range p.pa {
			q, u := p.qT[i], p.uT[i]
			v := nan
			if q == q && u == u {
				v = float32(180/math.Pi) * float32(math.Atan2(float64(u), float64(q))) / 2
			}
			if p.needI && p.below(p.iT[i]) {
				v = nan
			}
			p.pa[i] = v
		}
		angle = p.pa
	}
	return intensity, angle, w, h
}

// below reports whether a value is NaN or under the threshold (if any).
func (p *vectorPlan) below(v float32) bool {
	return v != v || !math.IsNaN(p.threshold) && float64(v) < p.threshold
}

// fraction is 100·pi/i in float32, NaN if either is NaN.
func fraction(i, pi float32) float32 {
	if i != i || pi != pi {
		return float32(math.NaN())
	}
	return 100 * (pi / i)
}

func resize(b []float32, n int) []float32 {
	if cap(b) < n {
		return make([]float32, n)
	}
	return b[:n]
}

// encodeVectorTile fills a vector tile's data: raw float32 with NaN kept
// (the frontend skips NaN vectors), or ZFP at the asked precision with
// the NaN run lengths, as the reference does.
func encodeVectorTile(enc *zfp.Encoder, t *icd.TileData, data []float32, v *icd.SetVectorOverlayParameters) {
	if v.CompressionType != icd.CompressionType_ZFP {
		t.ImageData = float32Bytes(data)
		return
	}
	t.NanEncodings = tiles.AppendNaNEncodings(nil, data)
	filled := append([]float32(nil), data...)
	tiles.FillNaNBlocks(filled, int(t.Width), int(t.Height))
	prec := max(1, min(32, int(math.Round(float64(v.CompressionQuality)))))
	t.ImageData = enc.Encode(nil, filled, int(t.Width), int(t.Height), prec)
}
