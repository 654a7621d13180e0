package session

import (
	"context"
	"time"

	"cartago/icd"
	"cartago/imaging/stats"
)

// Histograms of an IDIA image come from its Statistics group when it
// has the one asked for (automatic bins over the data's range), as the
// reference's Hdf5Loader does: no plane is read for them.

// storedHistogram is the stored histogram of plane (ch, st) for cfg.
func (f *frame) storedHistogram(cfg *icd.HistogramConfig, ch, st int) (stats.Histogram, bool) {
	img := idiaOf(f)
	if img == nil || ch < 0 || ch >= f.layout.Depth || st < 0 || st >= f.layout.Stokes {
		return stats.Histogram{}, false // derived polarizations are computed
	}
	return img.PlaneHistogram(ch, st, statsConfig(cfg))
}

// sendStoredHistogram sends the stored histogram for cfg if there is one.
func (f *frame) sendStoredHistogram(ctx context.Context, cfg *icd.HistogramConfig, ch, st int) bool {
	if cfg.Channel >= 0 {
		ch = int(cfg.Channel)
	}
	start := time.Now()
	h, ok := f.storedHistogram(cfg, ch, st)
	if !ok {
		return false
	}
	f.sess.send(ctx, icd.EventType_REGION_HISTOGRAM_DATA, histogramData(f.id, regionImage, ch, st, h, cfg, 1))
	f.sess.met.Histogram(time.Since(start))
	return true
}

// histogramsStored reports whether every config is answered from the
// file, so the plane need not be read for them.
func (f *frame) histogramsStored(configs []*icd.HistogramConfig, ch, st int) bool {
	for _, cfg := range configs {
		c := ch
		if cfg.Channel >= 0 {
			c = int(cfg.Channel)
		}
		if c < 0 || c >= f.layout.Depth {
			return false
		}
		if _, ok := f.storedHistogram(cfg, c, st); !ok {
			return false
		}
	}
	return true
}

// storedCubeHistogram is the stored histogram of the cube of Stokes st.
func (f *frame) storedCubeHistogram(cfg stats.Config, st int) (stats.Histogram, bool) {
	img := idiaOf(f)
	if img == nil || st < 0 || st >= f.layout.Stokes {
		return stats.Histogram{}, false
	}
	return img.CubeHistogram(st, cfg)
}
