package session

import (
	"context"
	"fmt"
	"slices"

	"cartago/icd"
)

func (c *Client) handleSetSpectralRequirements(r request) error {
	var msg icd.SetSpectralRequirements
	if err := decode(r, &msg); err != nil {
		return err
	}
	f, err := c.frameFor(msg.FileId)
	if err != nil {
		return err
	}
	if msg.RegionId != cursorRegion {
		return fmt.Errorf("spectral profiles of region %d: regions are %w", msg.RegionId, ErrUnsupported)
	}
	f.mu.Lock()
	f.spectral = msg.SpectralProfiles
	f.mu.Unlock()
	f.work.add(job{kind: jobCursor, run: f.sendSpectralProfiles})
	return nil
}

// sendSpectralProfiles sends the spectrum through the cube under the
// cursor for each requested coordinate. Worker only.
func (f *frame) sendSpectralProfiles(ctx context.Context) {
	x, y, ok := f.cursorPixel()
	f.mu.Lock()
	configs := slices.Clone(f.spectral)
	f.mu.Unlock()
	if !ok || len(configs) == 0 {
		return
	}
	_, st := f.current()
	msg := &icd.SpectralProfileData{FileId: f.id, RegionId: cursorRegion, Stokes: int32(st), Progress: 1}
	for _, cfg := range configs {
		_, stokes, err := parseCoordinate(cfg.Coordinate, st, f.layout)
		if err != nil {
			f.reportError(ctx, err)
			continue
		}
		values, err := f.img.Spectrum(x, y, stokes)
		if err != nil {
			f.reportError(ctx, err)
			continue
		}
		statsType := icd.StatsType_Sum
		if len(cfg.StatsTypes) > 0 {
			statsType = cfg.StatsTypes[0]
		}
		msg.Profiles = append(msg.Profiles, &icd.SpectralProfile{
			Coordinate: cfg.Coordinate, StatsType: statsType, RawValuesFp32: float32Bytes(values),
		})
	}
	if ctx.Err() == nil {
		f.sess.send(ctx, icd.EventType_SPECTRAL_PROFILE_DATA, msg)
	}
}
