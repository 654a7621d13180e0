package session

import (
	"math"
	"slices"
	"testing"

	"google.golang.org/protobuf/proto"

	"cartago/icd"
	"cartago/imaging/tiles"
)

// readVectorOverlay reads VECTOR_OVERLAY_TILE_DATA messages up to the
// one of progress 1.
func readVectorOverlay(t *testing.T, c *pipe) []*icd.VectorOverlayTileData {
	t.Helper()
	var out []*icd.VectorOverlayTileData
	for {
		var m icd.VectorOverlayTileData
		skipTo(t, c, icd.EventType_VECTOR_OVERLAY_TILE_DATA, &m)
		out = append(out, &m)
		if m.Progress >= 1 {
			return out
		}
	}
}

// TestVectorOverlay: the frontend's polarization vectors. On the Stokes
// cube (Q = 3s, U = 4s, I = 100 + x) with 2-pixel averaging the
// intensity is √(Q²+U²) = 5·s of the block means, fractional 100·5s/I,
// the angle ½·atan2(4, 3); a threshold on I blanks the blocks below it;
// a channel change sends the new channel's vectors, and a clear sends an
// empty message.
func TestVectorOverlay(t *testing.T) {
	c := stokesClient(t, true)
	set := &icd.SetVectorOverlayParameters{FileId: 0, ImageBounds: &icd.ImageBounds{XMax: polW, YMax: polH},
		SmoothingFactor: 2, Threshold: math.NaN(), StokesIntensity: 1, StokesAngle: 1, CompressionType: icd.CompressionType_NONE}
	sendMsg(t, c, icd.EventType_SET_VECTOR_OVERLAY_PARAMETERS, 30, 3, set)
	msgs := readVectorOverlay(t, c)
	if len(msgs) != 1 || len(msgs[0].IntensityTiles) != 1 || len(msgs[0].AngleTiles) != 1 {
		t.Fatalf("%d messages, want one tile of intensity and angle: %v", len(msgs), msgs)
	}
	pi, pa := msgs[0].IntensityTiles[0], msgs[0].AngleTiles[0]
	if pi.Width != polW/2 || pi.Height != polH/2 || pi.Mip != 2 || msgs[0].Channel != 0 || msgs[0].StokesIntensity != 1 {
		t.Fatalf("intensity tile %dx%d mip %d, channel %d", pi.Width, pi.Height, pi.Mip, msgs[0].Channel)
	}
	// Block (bx, by) averages y = 2by, 2by+1: s = 1 + 2by + 0.5.
	blockS := func(by, ch int) float64 { return 1.5 + 2*float64(by) + float64(ch) }
	ivals, avals := floats(pi.ImageData), floats(pa.ImageData)
	wantAngle := math.Atan2(4, 3) * 90 / math.Pi
	for by := range polH / 2 {
		for bx := range polW / 2 {
			k := by*polW/2 + bx
			if got, want := float64(ivals[k]), 5*blockS(by, 0); math.Abs(got-want) > 1e-5*want {
				t.Fatalf("intensity of block (%d, %d) = %g, want %g", bx, by, got, want)
			}
			if math.Abs(float64(avals[k])-wantAngle) > 1e-4 {
				t.Fatalf("angle of block (%d, %d) = %g, want %g", bx, by, avals[k], wantAngle)
			}
		}
	}

	// Fractional, with a threshold of 105 on I: block bx averages
	// I = 100.5 + 2bx, so blocks 0 to 2 are blank.
	set.Fractional, set.Threshold = true, 105
	sendMsg(t, c, icd.EventType_SET_VECTOR_OVERLAY_PARAMETERS, 30, 4, set)
	msgs = readVectorOverlay(t, c)
	ivals = floats(msgs[0].IntensityTiles[0].ImageData)
	for bx := range polW / 2 {
		i := 100.5 + 2*float64(bx)
		got := float64(ivals[bx]) // block row 0
		if i < 105 {
			if !math.IsNaN(got) {
				t.Errorf("block %d with I %g below the threshold: %g, want NaN", bx, i, got)
			}
			continue
		}
		if want := 100 * 5 * blockS(0, 0) / i; math.Abs(got-want) > 1e-4*want {
			t.Errorf("fractional intensity of block %d = %g, want %g", bx, got, want)
		}
	}

	// A channel change sends channel 2's vectors after its contours.
	sendMsg(t, c, icd.EventType_SET_IMAGE_CHANNELS, 30, 5, &icd.SetImageChannels{FileId: 0, Channel: 2})
	msgs = readVectorOverlay(t, c)
	if msgs[0].Channel != 2 {
		t.Fatalf("vectors of channel %d after the change to 2", msgs[0].Channel)
	}
	ivals = floats(msgs[0].IntensityTiles[0].ImageData)
	if want := 100 * 5 * blockS(0, 2) / 118.5; math.Abs(float64(ivals[9])-want) > 1e-4*want {
		t.Errorf("channel 2 fractional intensity of block 9 = %g, want %g", ivals[9], want)
	}

	// Clearing, as the frontend does (both Stokes −1, no smoothing
	// factor), sends nothing, as in the reference (carta-backend
	// src/DataStream/VectorField.cc:25, ClearParameters returns at
	// smoothing_factor < 1): no VECTOR_OVERLAY_TILE_DATA up to the end
	// of the next channel's tiles, which would follow its vectors.
	sendMsg(t, c, icd.EventType_SET_VECTOR_OVERLAY_PARAMETERS, 30, 6, &icd.SetVectorOverlayParameters{FileId: 0, StokesIntensity: -1, StokesAngle: -1})
	sendMsg(t, c, icd.EventType_SET_VECTOR_OVERLAY_PARAMETERS, 30, 7, &icd.SetVectorOverlayParameters{FileId: 0, StokesIntensity: -1, StokesAngle: -1})
	sendMsg(t, c, icd.EventType_SET_IMAGE_CHANNELS, 30, 8, &icd.SetImageChannels{FileId: 0, Channel: 1,
		RequiredTiles: &icd.AddRequiredTiles{FileId: 0, Tiles: []int32{0}}})
	for {
		h, b := next(t, c)
		if h.Type == icd.EventType_VECTOR_OVERLAY_TILE_DATA || h.Type == icd.EventType_ERROR_DATA {
			t.Fatalf("after the clear: %s", describe(h, b))
		}
		var sync icd.RasterTileSync
		if h.Type == icd.EventType_RASTER_TILE_SYNC && proto.Unmarshal(b, &sync) == nil && sync.EndSync {
			break
		}
	}
	noErrorsToPong(t, c)
}

// TestDerivedPolarizations: the frontend offers Ptotal, Plinear, PFtotal,
// PFlinear and Pangle for images with Stokes Q and U (and I, V) and asks
// for them with their PolarizationType numbers as the Stokes index; the
// server derives them from the planes for tiles, the histogram, the
// cursor and the spectrum.
func TestDerivedPolarizations(t *testing.T) {
	c := stokesClient(t, true)
	sendMsg(t, c, icd.EventType_SET_CURSOR, 30, 3, &icd.SetCursor{FileId: 0, Point: &icd.Point{X: 7, Y: 2}})
	expect(t, c, icd.EventType_SPATIAL_PROFILE_DATA, &icd.SpatialProfileData{})
	sendMsg(t, c, icd.EventType_SET_SPECTRAL_REQUIREMENTS, 30, 4, &icd.SetSpectralRequirements{FileId: 0,
		SpectralProfiles: []*icd.SetSpectralRequirements_SpectralConfig{{Coordinate: "Ptotalz"}, {Coordinate: "z"}}})
	spec := expect(t, c, icd.EventType_SPECTRAL_PROFILE_DATA, &icd.SpectralProfileData{})
	if len(spec.Profiles) != 2 {
		t.Fatalf("%d spectra, want Ptotalz and z", len(spec.Profiles))
	}
	zs := floats(spec.Profiles[0].RawValuesFp32)
	for ch, v := range zs {
		if want := 13 * float32(1+2+ch); v != want {
			t.Fatalf("Ptotal spectrum %v, want 13·(3+channel)", zs)
		}
	}

	// Channel 1 in PFtotal: histogram, cursor value, then the tile; the
	// Ptotal spectrum does not depend on the Stokes shown and is not
	// sent again.
	sendMsg(t, c, icd.EventType_SET_IMAGE_CHANNELS, 30, 5, &icd.SetImageChannels{FileId: 0, Channel: 1, Stokes: 15,
		RequiredTiles: &icd.AddRequiredTiles{FileId: 0, Tiles: []int32{tiles.Encode(0, 0, 0)}, CompressionType: icd.CompressionType_NONE}})
	h := expect(t, c, icd.EventType_REGION_HISTOGRAM_DATA, &icd.RegionHistogramData{})
	pf := func(x, y, ch int) float32 { return float32(1300 * float64(1+y+ch) / float64(100+x)) }
	var mean float64
	for y := range polH {
		for x := range polW {
			mean += float64(pf(x, y, 1)) / (polW * polH)
		}
	}
	if h.Stokes != 15 || h.Channel != 1 || math.Abs(h.Histograms.Mean-mean) > 1e-6*mean {
		t.Fatalf("PFtotal histogram %+v, want mean %g", h, mean)
	}
	sp := expect(t, c, icd.EventType_SPATIAL_PROFILE_DATA, &icd.SpatialProfileData{})
	if sp.Stokes != 15 || math.Abs(float64(sp.Value-pf(7, 2, 1))) > 1e-5 {
		t.Fatalf("cursor in PFtotal: %+v, want %g", sp, pf(7, 2, 1))
	}
	spec = expect(t, c, icd.EventType_SPECTRAL_PROFILE_DATA, &icd.SpectralProfileData{})
	if len(spec.Profiles) != 1 || spec.Profiles[0].Coordinate != "z" || spec.Stokes != 15 {
		t.Fatalf("spectra after the Stokes change: %+v, want only z, of PFtotal", spec)
	}
	if zs := floats(spec.Profiles[0].RawValuesFp32); math.Abs(float64(zs[2]-pf(7, 2, 2))) > 1e-5 {
		t.Errorf("PFtotal spectrum %v, want %g in channel 2", zs, pf(7, 2, 2))
	}
	got := readTileGroup(t, c, 0, 1)
	tile := floats(got[tiles.Tile{X: 0, Y: 0, Layer: 0}].ImageData)
	if math.Abs(float64(tile[3*polW+5]-pf(5, 3, 1))) > 1e-5 {
		t.Errorf("PFtotal tile pixel (5, 3) = %g, want %g", tile[3*polW+5], pf(5, 3, 1))
	}

	// Pangle, and a profile coordinate naming it.
	sendMsg(t, c, icd.EventType_SET_SPATIAL_REQUIREMENTS, 30, 6, &icd.SetSpatialRequirements{FileId: 0,
		SpatialProfiles: []*icd.SetSpatialRequirements_SpatialConfig{{Coordinate: "Panglex"}}})
	var sp2 icd.SpatialProfileData
	skipTo(t, c, icd.EventType_SPATIAL_PROFILE_DATA, &sp2)
	want := float32(math.Atan2(4, 3) * 90 / math.Pi)
	if xs := floats(sp2.Profiles[0].RawValuesFp32); len(xs) != polW || math.Abs(float64(xs[0]-want)) > 1e-5 {
		t.Errorf("Pangle x profile %v, want %g everywhere", xs, want)
	}
	noErrorsToPong(t, c)
}

// Without Stokes V there is no Ptotal; the error is the reference's for
// a Stokes the image does not have (carta-backend src/Frame/Frame.cc:366,
// sent with tag "channels" at src/Session/Session.cc:751), and the
// session goes on.
func TestDerivedPolarizationNeedsPlanes(t *testing.T) {
	c := stokesClient(t, false)
	sendMsg(t, c, icd.EventType_SET_IMAGE_CHANNELS, 30, 3, &icd.SetImageChannels{FileId: 0, Stokes: 13})
	e := expect(t, c, icd.EventType_ERROR_DATA, &icd.ErrorData{})
	if e.Message != "Channel 0 or Stokes 13 is invalid in image" || e.Severity != icd.ErrorSeverity_ERROR || !slices.Equal(e.Tags, []string{"channels"}) {
		t.Fatalf("Ptotal without V: %v", e)
	}
	sendMsg(t, c, icd.EventType_SET_IMAGE_CHANNELS, 30, 4, &icd.SetImageChannels{FileId: 0, Stokes: 14})
	h := expect(t, c, icd.EventType_REGION_HISTOGRAM_DATA, &icd.RegionHistogramData{})
	if h.Stokes != 14 || h.Histograms.Mean != 5*5.5 { // 5·(1+y) over y = 0..9
		t.Fatalf("Plinear histogram %+v, want mean 27.5", h)
	}
}

// TestVectorOverlayFollowsAnimation: each animation frame carries the
// vectors of its channel, before its tiles.
func TestVectorOverlayFollowsAnimation(t *testing.T) {
	c := stokesClient(t, true)
	sendMsg(t, c, icd.EventType_SET_VECTOR_OVERLAY_PARAMETERS, 30, 3, &icd.SetVectorOverlayParameters{FileId: 0,
		SmoothingFactor: 2, Threshold: math.NaN(), StokesIntensity: 1, StokesAngle: 1})
	readVectorOverlay(t, c)
	sendMsg(t, c, icd.EventType_START_ANIMATION, 30, 4, &icd.StartAnimation{
		FileId: 0, FirstFrame: &icd.AnimationFrame{}, StartFrame: &icd.AnimationFrame{},
		LastFrame: &icd.AnimationFrame{Channel: polD - 1}, DeltaFrame: &icd.AnimationFrame{Channel: 1}, FrameRate: 30,
		RequiredTiles: &icd.AddRequiredTiles{FileId: 0, Tiles: []int32{tiles.Encode(0, 0, 0)}},
	})
	vectorsOf := -1
	for frames := 0; frames < 2; {
		h, p := next(t, c)
		switch h.Type {
		case icd.EventType_VECTOR_OVERLAY_TILE_DATA:
			var m icd.VectorOverlayTileData
			must(t, proto.Unmarshal(p, &m))
			vectorsOf = int(m.Channel)
		case icd.EventType_RASTER_TILE_SYNC:
			var s icd.RasterTileSync
			must(t, proto.Unmarshal(p, &s))
			if s.EndSync || s.AnimationId == 0 {
				continue
			}
			if vectorsOf != int(s.Channel) {
				t.Fatalf("frame of channel %d; the last vectors were of channel %d", s.Channel, vectorsOf)
			}
			frames++
		}
	}
	sendMsg(t, c, icd.EventType_STOP_ANIMATION, 30, 5, &icd.StopAnimation{FileId: 0, EndFrame: &icd.AnimationFrame{Channel: 1}})
	drainToPong(t, c)
}
