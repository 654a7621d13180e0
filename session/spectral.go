package session

import (
	"context"
	"fmt"
	"math"
	"slices"
	"time"

	"google.golang.org/protobuf/proto"

	"cartago/icd"
)

// Long spectra are read in pieces so a moving cursor cancels them
// quickly, and partial results go out while reading takes long.
var (
	spectrumChunk       = 512                    // channels read between checks
	spectrumUpdateEvery = 500 * time.Millisecond // partial results at most this often
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
	if len(f.img.HDU.Naxis) < 3 {
		return errNoSpectralAxis // as the reference: Session::OnSetSpectralRequirements
	}
	if msg.RegionId < 0 {
		return nil // a region still being created: its requirements come again under its id
	}
	if msg.RegionId != cursorRegion {
		r, err := c.session.setRequirements(icd.EventType_SET_SPECTRAL_REQUIREMENTS, f.id, msg.RegionId, len(msg.SpectralProfiles), func(r *regionState) {
			r.spectral = msg.SpectralProfiles
		})
		if r == nil || err != nil {
			return err
		}
		// A region spectrum already streaming for the same region and
		// configs is not restarted; this request is answered after it.
		_, st := f.current()
		f.spectra.add(job{kind: jobLatest, key: regionKey(r.id), sig: spectraSig(r, st), run: func(ctx context.Context) { f.sendRegionSpectra(ctx, r) }})
		return nil
	}
	f.mu.Lock()
	f.spectral = msg.SpectralProfiles
	f.mu.Unlock()
	// Answered also when it repeats the last one (see statsreq.go). A
	// cursor spectrum in progress restarts: it is cut short by every
	// cursor move anyway.
	f.work.add(job{kind: jobCursor, run: f.sendSpectralProfiles})
	return nil
}

// spectraSig identifies what a region's spectra depend on: its shape,
// its spectral configs and the current Stokes. "" if it cannot be told.
func spectraSig(r *regionState, stokes int) string {
	b, err := proto.MarshalOptions{Deterministic: true}.Marshal(r.info)
	if err != nil {
		return ""
	}
	sig := fmt.Sprintf("%d|%x", stokes, b)
	for _, c := range r.spectral {
		b, err := proto.MarshalOptions{Deterministic: true}.Marshal(c)
		if err != nil {
			return ""
		}
		sig += fmt.Sprintf("|%x", b)
	}
	return sig
}

// spectrum is one requested profile being read.
type spectrum struct {
	cfg    *icd.SetSpectralRequirements_SpectralConfig
	stokes int
	values []float32 // NaN where not read yet
}

// sendSpectralProfiles sends the spectrum through the cube under the
// cursor for each requested coordinate. Worker only.
func (f *frame) sendSpectralProfiles(ctx context.Context) {
	x, y, ok := f.cursorPixel()
	f.mu.Lock()
	configs := slices.Clone(f.spectral)
	f.mu.Unlock()
	if ok {
		f.sendSpectraAt(ctx, cursorRegion, x, y, configs)
	}
}

// sendStokesSpectra re-sends, after a Stokes change, the cursor spectra
// that follow the current Stokes. Worker only.
func (f *frame) sendStokesSpectra(ctx context.Context) {
	x, y, ok := f.cursorPixel()
	f.mu.Lock()
	configs := followingStokes(f.spectral)
	f.mu.Unlock()
	if ok {
		f.sendSpectraAt(ctx, cursorRegion, x, y, configs)
	}
}

// followingStokes returns the spectral configs that read the current
// Stokes (coordinate "z"); those naming a polarization ("Qz", "Ptotalz")
// stay as they are on a Stokes change, as in the reference.
func followingStokes(configs []*icd.SetSpectralRequirements_SpectralConfig) []*icd.SetSpectralRequirements_SpectralConfig {
	var out []*icd.SetSpectralRequirements_SpectralConfig
	for _, c := range configs {
		if c.Coordinate == "z" {
			out = append(out, c)
		}
	}
	return out
}

// sendSpectraAt sends the spectra at pixel (x, y) for the cursor or a
// point region: partial messages (progress < 1) while reading takes
// long, then the whole.
func (f *frame) sendSpectraAt(ctx context.Context, regionID int32, x, y int, configs []*icd.SetSpectralRequirements_SpectralConfig) {
	if len(configs) == 0 || x < 0 || y < 0 || x >= f.layout.Width || y >= f.layout.Height {
		return
	}
	_, st := f.current()
	specs := f.startSpectra(ctx, configs, st)
	depth := f.layout.Depth
	last := time.Now()
	for from := 0; from < depth; from += spectrumChunk {
		n := min(spectrumChunk, depth-from)
		for _, s := range specs {
			if err := f.px.ReadSpectrum(s.values[from:from+n], x, y, s.stokes, from); err != nil {
				f.reportError(ctx, "spectral", err)
				return
			}
		}
		if ctx.Err() != nil {
			return // the cursor moved on
		}
		if from+n < depth && time.Since(last) >= spectrumUpdateEvery {
			f.sess.send(ctx, icd.EventType_SPECTRAL_PROFILE_DATA, spectralData(f.id, regionID, st, specs, float32(from+n)/float32(depth)))
			last = time.Now()
		}
	}
	f.sess.send(ctx, icd.EventType_SPECTRAL_PROFILE_DATA, spectralData(f.id, regionID, st, specs, 1))
}

// startSpectra resolves each config's Stokes plane; bad ones are
// reported and left out.
func (f *frame) startSpectra(ctx context.Context, configs []*icd.SetSpectralRequirements_SpectralConfig, st int) []*spectrum {
	var specs []*spectrum
	for _, cfg := range configs {
		_, stokes, err := parseCoordinate(cfg.Coordinate, st, f.layout)
		if err != nil {
			f.reportError(ctx, "spectral", err)
			continue
		}
		values := make([]float32, f.layout.Depth)
		for i := range values {
			values[i] = float32(math.NaN())
		}
		specs = append(specs, &spectrum{cfg: cfg, stokes: stokes, values: values})
	}
	return specs
}

func spectralData(fileID, regionID int32, stokes int, specs []*spectrum, progress float32) *icd.SpectralProfileData {
	msg := &icd.SpectralProfileData{FileId: fileID, RegionId: regionID, Stokes: int32(stokes), Progress: progress}
	for _, s := range specs {
		// A point has one value per channel whatever statistic is asked;
		// echo the first so the frontend files it under its request.
		statsType := icd.StatsType_Sum
		if len(s.cfg.StatsTypes) > 0 {
			statsType = s.cfg.StatsTypes[0]
		}
		msg.Profiles = append(msg.Profiles, &icd.SpectralProfile{
			Coordinate: s.cfg.Coordinate, StatsType: statsType, RawValuesFp32: float32Bytes(s.values),
		})
	}
	return msg
}
