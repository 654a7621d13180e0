package main

import (
	"io"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"cartago/icd"
	"cartago/session"
	"cartago/store"
)

// benchSnapshots returns n sessions shaped like real ones: two images
// with a cursor, requirements, histograms and three regions.
func benchSnapshots(n int, now time.Time) []*store.Snapshot {
	snaps := make([]*store.Snapshot, n)
	for i := range snaps {
		img := func(id int32, file string) *store.Image {
			return &store.Image{
				FileId: id, Directory: "survey/field-" + file, File: file + ".fits", Hdu: "0", Channel: int32(i % 100),
				Cursor:          &icd.Point{X: float32(i % 512), Y: 17},
				CursorSpatial:   []*icd.SetSpatialRequirements_SpatialConfig{{Coordinate: "x"}, {Coordinate: "y"}},
				CursorSpectral:  []*icd.SetSpectralRequirements_SpectralConfig{{Coordinate: "z"}},
				ImageHistograms: []*icd.HistogramConfig{{Coordinate: "z", Channel: -1, NumBins: -1}},
				Regions: map[int32]*store.Region{
					1: {Info: &icd.RegionInfo{RegionType: icd.RegionType_RECTANGLE, ControlPoints: []*icd.Point{{X: 10, Y: 10}, {X: 5, Y: 5}}}},
					2: {Info: &icd.RegionInfo{RegionType: icd.RegionType_ELLIPSE, ControlPoints: []*icd.Point{{X: 20, Y: 20}, {X: 3, Y: 2}}}},
				},
			}
		}
		snaps[i] = &store.Snapshot{
			SessionId: uint32(i + 1), Owner: testOwner[:],
			CreatedUnixMs: now.Add(-time.Duration(i) * time.Minute).UnixMilli(), LastActiveUnixMs: now.UnixMilli(),
			Images: []*store.Image{img(0, "cube"), img(1, "image")},
		}
	}
	return snaps
}

// runList runs `cartago sessions list` in-process, discarding the table.
func runList(b *testing.B, db string) {
	app := newApp()
	app.Writer = io.Discard
	if err := app.Run([]string{"cartago", "sessions", "list", "--db", db}); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkSessionsList10k times `sessions list` on 10,000 stored
// sessions: reading the file itself (offline) and asking a running
// server through its admin socket (socket; server in-process).
func BenchmarkSessionsList10k(b *testing.B) {
	db := filepath.Join(b.TempDir(), "s.db")
	fillDB(b, db, benchSnapshots(10_000, time.Now())...)
	b.Run("offline", func(b *testing.B) {
		for b.Loop() {
			runList(b, db)
		}
	})
	b.Run("socket", func(b *testing.B) {
		st, err := store.Open(db, store.Options{NoSync: true})
		if err != nil {
			b.Fatal(err)
		}
		defer st.Close()
		log := slog.New(slog.DiscardHandler)
		mgr := session.NewManager(session.Config{Store: st, Logger: log})
		defer mgr.Close("benchmark over")
		a, err := startAdmin(st, mgr, log)
		if err != nil {
			b.Fatal(err)
		}
		defer a.Close()
		for b.Loop() {
			runList(b, db)
		}
	})
}
