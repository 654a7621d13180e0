package session

import (
	"context"
	"errors"
	"math"

	"cartago/icd"
	"cartago/imaging/region"
)

// A region that contains no pixel centre — a thin polygon between pixel
// centres, or a region wholly outside the image — has data all the same:
// the reference answers as for a region it cannot apply to the image
// (src/Region/RegionHandler.cc: GetRegionStatsData, GetRegionSpectralData,
// GetRegionHistogramData), never with an error, and clients wait for it;
// a point region off the image likewise gets NaN spectra.
// The reference fills a placeholder histogram but then drops it (the
// `continue` before emplace_back); we deliberately send it, so that a
// client waiting for each histogram it asked for gets one.

// noPixels reports whether err says a region contains no pixel centre.
func noPixels(err error) bool { return errors.Is(err, region.ErrNoPixels) }

// outside reports whether pixel (x, y) is off the image: a point region
// there has no pixel either.
func (f *frame) outside(x, y int) bool {
	return x < 0 || y < 0 || x >= f.layout.Width || y >= f.layout.Height
}

// sendEmptyStats sends r's statistics as those of no pixel: NumPixels 0,
// NaN for every other statistic. Worker only.
func (f *frame) sendEmptyStats(ctx context.Context, r *regionState) {
	ch, st := f.current()
	for _, cfg := range r.stats {
		_, stokes, err := parseCoordinate(cfg.Coordinate, st, f.layout)
		if err != nil {
			f.reportError(ctx, "stats", err)
			continue
		}
		msg := &icd.RegionStatsData{FileId: f.id, RegionId: r.id, Channel: int32(ch), Stokes: int32(stokes)}
		for _, t := range cfg.StatsTypes {
			msg.Statistics = append(msg.Statistics, &icd.StatisticsValue{StatsType: t, Value: region.EmptyValue(region.StatsType(t))})
		}
		f.sess.send(ctx, icd.EventType_REGION_STATS_DATA, msg)
	}
}

// sendEmptyHistograms sends r's histograms as those of no pixel. Worker
// only.
func (f *frame) sendEmptyHistograms(ctx context.Context, r *regionState) {
	ch, st := f.current()
	for _, cfg := range r.hists {
		f.sess.send(ctx, icd.EventType_REGION_HISTOGRAM_DATA, histogramData(f.id, r.id, ch, st, region.EmptyHistogram(), cfg, 1))
	}
}

// sendEmptySpectra sends r's spectral profiles as those of no pixel: NaN
// in every channel for every statistic, complete at once. Runs on the
// spectra worker.
func (f *frame) sendEmptySpectra(ctx context.Context, r *regionState) {
	_, st := f.current()
	nan := make([]float64, f.layout.Depth)
	for i := range nan {
		nan[i] = math.NaN()
	}
	raw := float64Bytes(nan)
	for _, cfg := range r.spectral {
		_, stokes, err := parseCoordinate(cfg.Coordinate, st, f.layout)
		if err != nil {
			f.reportError(ctx, "spectral", err)
			continue
		}
		msg := &icd.SpectralProfileData{FileId: f.id, RegionId: r.id, Stokes: int32(stokes), Progress: 1}
		for _, t := range cfg.StatsTypes {
			msg.Profiles = append(msg.Profiles, &icd.SpectralProfile{Coordinate: cfg.Coordinate, StatsType: t, RawValuesFp64: raw})
		}
		f.sess.send(ctx, icd.EventType_SPECTRAL_PROFILE_DATA, msg)
	}
}
