package session

import (
	"context"
	"encoding/binary"
	"fmt"
	"math"
	"slices"

	"google.golang.org/protobuf/proto"

	"cartago/icd"
	"cartago/imaging/profile"
)

// cursorRegion is the region id of the cursor.
const cursorRegion = 0

func (c *Client) handleSetCursor(r request) error {
	var msg icd.SetCursor
	if err := decode(r, &msg); err != nil {
		return err
	}
	f, err := c.frameFor(msg.FileId)
	if err != nil {
		return err
	}
	if msg.Point == nil {
		return fmt.Errorf("SET_CURSOR for file %d has no point", msg.FileId)
	}
	f.mu.Lock()
	f.cursor = proto.CloneOf(msg.Point)
	f.mu.Unlock()
	// Latest wins: a newer cursor replaces this job before it runs.
	f.work.add(job{kind: jobCursor, run: func(ctx context.Context) {
		f.sendCursorProfiles(ctx, true)
	}})
	return nil
}

func (c *Client) handleSetSpatialRequirements(r request) error {
	var msg icd.SetSpatialRequirements
	if err := decode(r, &msg); err != nil {
		return err
	}
	f, err := c.frameFor(msg.FileId)
	if err != nil {
		return err
	}
	if msg.RegionId < 0 {
		return nil // a region still being created: its requirements come again under its id
	}
	if msg.RegionId != cursorRegion {
		r, err := c.session.setRequirements(icd.EventType_SET_SPATIAL_REQUIREMENTS, f.id, msg.RegionId, len(msg.SpatialProfiles), func(r *regionState) {
			r.spatial = msg.SpatialProfiles
		})
		if r == nil || err != nil {
			return err
		}
		f.queueRegionSpatial(r)
		return nil
	}
	f.mu.Lock()
	f.spatial = msg.SpatialProfiles
	f.mu.Unlock()
	// Answered also when it repeats the last one (see statsreq.go).
	f.work.add(job{kind: jobCursor, run: f.sendSpatialProfiles})
	return nil
}

// sendCursorProfiles sends the value and spatial profiles at the cursor,
// and the cursor spectra when withSpectra (they do not depend on the
// channel). Worker only.
func (f *frame) sendCursorProfiles(ctx context.Context, withSpectra bool) {
	f.sendSpatialProfiles(ctx)
	if withSpectra {
		f.sendSpectralProfiles(ctx)
	}
}

// cursorPixel returns the pixel under the cursor, if it is on the image.
func (f *frame) cursorPixel() (x, y int, ok bool) {
	f.mu.Lock()
	p := f.cursor
	f.mu.Unlock()
	if p == nil {
		return 0, 0, false
	}
	x, y = int(math.Round(float64(p.X))), int(math.Round(float64(p.Y)))
	return x, y, x >= 0 && y >= 0 && x < f.layout.Width && y < f.layout.Height
}

// sendSpatialProfiles answers the cursor: the frontend shows the value
// from this message, so it goes out even with no profile requested.
func (f *frame) sendSpatialProfiles(ctx context.Context) {
	x, y, ok := f.cursorPixel()
	if !ok {
		return
	}
	f.mu.Lock()
	configs := slices.Clone(f.spatial)
	f.mu.Unlock()
	f.sendSpatialAt(ctx, cursorRegion, x, y, configs)
}

// sendSpatialAt sends the value and profiles at pixel (x, y) for the
// cursor or a point region. Worker only.
func (f *frame) sendSpatialAt(ctx context.Context, regionID int32, x, y int, configs []*icd.SetSpatialRequirements_SpatialConfig) {
	ch, st := f.current()
	if err := f.loadPlane(ctx, ch, st); err != nil {
		f.reportError(ctx, "spatial", err)
		return
	}
	msg := &icd.SpatialProfileData{
		FileId: f.id, RegionId: regionID, X: int32(x), Y: int32(y),
		Channel: int32(ch), Stokes: int32(st), Value: f.plane.At(x, y),
	}
	for _, cfg := range configs {
		p, err := f.spatialProfile(ctx, cfg, x, y, ch, st)
		if err != nil {
			f.reportError(ctx, "spatial", err)
			continue
		}
		msg.Profiles = append(msg.Profiles, p)
	}
	f.sess.send(ctx, icd.EventType_SPATIAL_PROFILE_DATA, msg)
}

func (f *frame) spatialProfile(ctx context.Context, cfg *icd.SetSpatialRequirements_SpatialConfig, x, y, ch, st int) (*icd.SpatialProfile, error) {
	axis, stokes, err := parseCoordinate(cfg.Coordinate, st, f.layout)
	if err != nil {
		return nil, err
	}
	plane := f.plane
	if stokes != st {
		p, release, err := f.px.Plane(ctx, ch, stokes)
		if err != nil {
			return nil, err
		}
		defer release()
		plane = p
	}
	var values []float32
	var start, end int
	switch axis {
	case "x":
		start, end = profile.Range(int(cfg.Start), int(cfg.End), plane.Width)
		values = profile.Row(plane, y, start, end)
	case "y":
		start, end = profile.Range(int(cfg.Start), int(cfg.End), plane.Height)
		values = profile.Column(plane, x, start, end)
	default:
		return nil, fmt.Errorf("spatial profile coordinate %q: want x or y", cfg.Coordinate)
	}
	mip := max(int(cfg.Mip), 1)
	return &icd.SpatialProfile{
		Start: int32(start), End: int32(end), Coordinate: cfg.Coordinate, Mip: int32(mip),
		RawValuesFp32: float32Bytes(profile.Decimate(values, mip)),
	}, nil
}

// float32Bytes encodes values little-endian, as raw_values_fp32 wants.
func float32Bytes(values []float32) []byte {
	out := make([]byte, 0, 4*len(values))
	for _, v := range values {
		out = binary.LittleEndian.AppendUint32(out, math.Float32bits(v))
	}
	return out
}
