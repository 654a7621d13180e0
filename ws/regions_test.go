package ws

import (
	"encoding/binary"
	"math"
	"slices"
	"testing"

	"github.com/gorilla/websocket"
	"google.golang.org/protobuf/proto"

	"cartago/icd"
)

// setRegion sends SET_REGION and returns the ack.
func setRegion(t *testing.T, c *websocket.Conn, req uint32, file, id int32, info *icd.RegionInfo) *icd.SetRegionAck {
	t.Helper()
	sendMsg(t, c, icd.EventType_SET_REGION, 30, req, &icd.SetRegion{FileId: file, RegionId: id, RegionInfo: info})
	var ack icd.SetRegionAck
	recv(t, c, icd.EventType_SET_REGION_ACK, req, &ack)
	return &ack
}

func box(cx, cy, w, h float32) *icd.RegionInfo {
	return &icd.RegionInfo{RegionType: icd.RegionType_RECTANGLE, ControlPoints: []*icd.Point{{X: cx, Y: cy}, {X: w, Y: h}}}
}

var allStats = []icd.StatsType{icd.StatsType_NumPixels, icd.StatsType_Sum, icd.StatsType_FluxDensity, icd.StatsType_Mean,
	icd.StatsType_RMS, icd.StatsType_Sigma, icd.StatsType_SumSq, icd.StatsType_Min, icd.StatsType_Max, icd.StatsType_Extrema}

// boxStats computes, independently of the server, the statistics of the
// cube's pixels with centres in [x0,x1]×[y0,y1] on channel c.
func boxStats(x0, x1, y0, y1, c int) map[icd.StatsType]float64 {
	var n, sum, sumSq float64
	lo, hi := math.Inf(1), math.Inf(-1)
	for y := y0; y <= y1; y++ {
		for x := x0; x <= x1; x++ {
			if x < 4 && y < 4 {
				continue // blank
			}
			v := float64(cubeValue(x, y, c))
			n, sum, sumSq = n+1, sum+v, sumSq+v*v
			lo, hi = math.Min(lo, v), math.Max(hi, v)
		}
	}
	mean := sum / n
	// Beam 0.001°×0.0005°, pixels 1° (CDELT absent → no flux density).
	return map[icd.StatsType]float64{
		icd.StatsType_NumPixels: n, icd.StatsType_Sum: sum, icd.StatsType_Mean: mean,
		icd.StatsType_RMS: math.Sqrt(sumSq / n), icd.StatsType_Sigma: math.Sqrt((sumSq - n*mean*mean) / (n - 1)),
		icd.StatsType_SumSq: sumSq, icd.StatsType_Min: lo, icd.StatsType_Max: hi, icd.StatsType_Extrema: hi,
	}
}

func checkStats(t *testing.T, got *icd.RegionStatsData, want map[icd.StatsType]float64) {
	t.Helper()
	if len(got.Statistics) != len(allStats) {
		t.Fatalf("%d statistics, want %d", len(got.Statistics), len(allStats))
	}
	for _, s := range got.Statistics {
		w, ok := want[s.StatsType]
		if !ok {
			continue // flux density: checked elsewhere
		}
		if math.Abs(s.Value-w) > 1e-9*math.Abs(w)+1e-9 {
			t.Errorf("%s = %.12g, want %.12g", s.StatsType, s.Value, w)
		}
	}
}

func TestRegionStatsHistogramSpectrum(t *testing.T) {
	c := imageClient(t)
	openCube(t, c, 0)

	// A 4×4 box centred on pixel (10, 20) covers x 8..12, y 18..22.
	ack := setRegion(t, c, 2, 0, -1, box(10, 20, 4, 4))
	if !ack.Success || ack.RegionId != 1 {
		t.Fatalf("create: %+v", ack)
	}
	sendMsg(t, c, icd.EventType_SET_STATS_REQUIREMENTS, 30, 3, &icd.SetStatsRequirements{FileId: 0, RegionId: 1,
		StatsConfigs: []*icd.SetStatsRequirements_StatsConfig{{Coordinate: "z", StatsTypes: allStats}}})
	st := expect(t, c, icd.EventType_REGION_STATS_DATA, &icd.RegionStatsData{})
	if st.RegionId != 1 || st.Channel != 0 {
		t.Fatalf("stats header %+v", st)
	}
	checkStats(t, st, boxStats(8, 12, 18, 22, 0))

	// An edit keeps the id and re-sends the statistics.
	if ack := setRegion(t, c, 4, 0, 1, box(2, 2, 4, 4)); !ack.Success || ack.RegionId != 1 {
		t.Fatalf("edit: %+v", ack)
	}
	checkStats(t, expect(t, c, icd.EventType_REGION_STATS_DATA, &icd.RegionStatsData{}), boxStats(0, 4, 0, 4, 0))

	// Region histogram: counts all finite pixels of the region.
	sendMsg(t, c, icd.EventType_SET_HISTOGRAM_REQUIREMENTS, 30, 5, &icd.SetHistogramRequirements{FileId: 0, RegionId: 1,
		Histograms: []*icd.HistogramConfig{{Coordinate: "z", Channel: -1, NumBins: -1}}})
	h := expect(t, c, icd.EventType_REGION_HISTOGRAM_DATA, &icd.RegionHistogramData{})
	var n int32
	for _, b := range h.Histograms.Bins {
		n += b
	}
	if h.RegionId != 1 || n != 25-16 {
		t.Fatalf("region histogram region %d counts %d, want 9", h.RegionId, n)
	}

	// Spectral profile: the mean per channel.
	sendMsg(t, c, icd.EventType_SET_SPECTRAL_REQUIREMENTS, 30, 6, &icd.SetSpectralRequirements{FileId: 0, RegionId: 1,
		SpectralProfiles: []*icd.SetSpectralRequirements_SpectralConfig{{Coordinate: "z", StatsTypes: []icd.StatsType{icd.StatsType_Mean, icd.StatsType_NumPixels}}}})
	var sp *icd.SpectralProfileData
	for sp == nil || sp.Progress < 1 {
		sp = expect(t, c, icd.EventType_SPECTRAL_PROFILE_DATA, &icd.SpectralProfileData{})
	}
	if sp.RegionId != 1 || len(sp.Profiles) != 2 {
		t.Fatalf("spectral profile %+v", sp)
	}
	for ch := range cubeD {
		v := math.Float64frombits(binary.LittleEndian.Uint64(sp.Profiles[0].RawValuesFp64[8*ch:]))
		if want := boxStats(0, 4, 0, 4, ch)[icd.StatsType_Mean]; math.Abs(v-want) > 1e-9*want {
			t.Fatalf("channel %d mean %g, want %g", ch, v, want)
		}
	}

	// A channel change re-sends the statistics for the new channel.
	sendMsg(t, c, icd.EventType_SET_IMAGE_CHANNELS, 30, 7, &icd.SetImageChannels{FileId: 0, Channel: 2})
	for {
		h, p := next(t, c)
		if h.Type != icd.EventType_REGION_STATS_DATA {
			continue
		}
		var s icd.RegionStatsData
		must(t, proto.Unmarshal(p, &s))
		if s.Channel != 2 {
			t.Fatalf("stats after channel change for channel %d", s.Channel)
		}
		checkStats(t, &s, boxStats(0, 4, 0, 4, 2))
		break
	}

	// Removing the region ends its data; its id is unknown afterwards.
	sendMsg(t, c, icd.EventType_REMOVE_REGION, 30, 8, &icd.RemoveRegion{RegionId: 1})
	drainToPong(t, c)
	sendMsg(t, c, icd.EventType_SET_STATS_REQUIREMENTS, 30, 9, &icd.SetStatsRequirements{FileId: 0, RegionId: 1,
		StatsConfigs: []*icd.SetStatsRequirements_StatsConfig{{Coordinate: "z", StatsTypes: allStats}}})
	// The reference's error (carta-backend src/Session/Session.cc:1077-1078).
	if e := expect(t, c, icd.EventType_ERROR_DATA, &icd.ErrorData{}); e.Message != "Stats requirements not valid for region id 1" ||
		e.Severity != icd.ErrorSeverity_ERROR || !slices.Equal(e.Tags, []string{"stats"}) {
		t.Fatalf("stats of a removed region: %v", e)
	}
}

func TestImageStats(t *testing.T) {
	c := imageClient(t)
	openCube(t, c, 0)
	sendMsg(t, c, icd.EventType_SET_STATS_REQUIREMENTS, 30, 3, &icd.SetStatsRequirements{FileId: 0, RegionId: -1,
		StatsConfigs: []*icd.SetStatsRequirements_StatsConfig{{Coordinate: "z", StatsTypes: allStats}}})
	st := expect(t, c, icd.EventType_REGION_STATS_DATA, &icd.RegionStatsData{})
	if st.RegionId != -1 {
		t.Fatalf("image stats region %d", st.RegionId)
	}
	checkStats(t, st, boxStats(0, cubeW-1, 0, cubeH-1, 0))
}

func TestPointRegionProfiles(t *testing.T) {
	c := imageClient(t)
	openCube(t, c, 0)
	ack := setRegion(t, c, 2, 0, -1, &icd.RegionInfo{RegionType: icd.RegionType_POINT, ControlPoints: []*icd.Point{{X: 30, Y: 40}}})
	sendMsg(t, c, icd.EventType_SET_SPATIAL_REQUIREMENTS, 30, 3, &icd.SetSpatialRequirements{FileId: 0, RegionId: ack.RegionId,
		SpatialProfiles: []*icd.SetSpatialRequirements_SpatialConfig{{Coordinate: "x"}}})
	sp := expect(t, c, icd.EventType_SPATIAL_PROFILE_DATA, &icd.SpatialProfileData{})
	if sp.RegionId != ack.RegionId || sp.X != 30 || sp.Y != 40 || sp.Value != cubeValue(30, 40, 0) || len(sp.Profiles) != 1 {
		t.Fatalf("point spatial %+v", sp)
	}
	sendMsg(t, c, icd.EventType_SET_SPECTRAL_REQUIREMENTS, 30, 4, &icd.SetSpectralRequirements{FileId: 0, RegionId: ack.RegionId,
		SpectralProfiles: []*icd.SetSpectralRequirements_SpectralConfig{{Coordinate: "z"}}})
	spec := expect(t, c, icd.EventType_SPECTRAL_PROFILE_DATA, &icd.SpectralProfileData{})
	if z := floats(spec.Profiles[0].RawValuesFp32); spec.RegionId != ack.RegionId || z[3] != cubeValue(30, 40, 3) {
		t.Fatalf("point spectrum %+v", spec)
	}
}

func TestRegionErrors(t *testing.T) {
	c := imageClient(t)
	openCube(t, c, 0)
	for i, tc := range []struct {
		file int32
		info *icd.RegionInfo
		want string
	}{
		// The reference's SET_REGION_ACK messages (carta-backend
		// src/Session/Session.cc:813-816).
		{9, box(1, 1, 2, 2), "Cannot set region, file id 9 not found"},
		{0, &icd.RegionInfo{RegionType: icd.RegionType_RECTANGLE}, "Region -1 parameters for file 0 failed"},
		{0, box(float32(math.NaN()), 1, 2, 2), "Region -1 parameters for file 0 failed"},
		{0, box(1e12, 1, 2, 2), "Region -1 parameters for file 0 failed"},
	} {
		if ack := setRegion(t, c, uint32(10+i), tc.file, -1, tc.info); ack.Success || ack.Message != tc.want {
			t.Errorf("case %d: %+v, want a failure saying %q", i, ack, tc.want)
		}
	}
	// A region wholly outside the image is accepted; its statistics are
	// those of no pixel (RegionHandler.cc:2222).
	ack := setRegion(t, c, 20, 0, -1, box(5000, 5000, 10, 10))
	sendMsg(t, c, icd.EventType_SET_STATS_REQUIREMENTS, 30, 21, &icd.SetStatsRequirements{FileId: 0, RegionId: ack.RegionId,
		StatsConfigs: []*icd.SetStatsRequirements_StatsConfig{{Coordinate: "z", StatsTypes: allStats}}})
	if st := expect(t, c, icd.EventType_REGION_STATS_DATA, &icd.RegionStatsData{}); st.Statistics[0].Value != 0 || !math.IsNaN(st.Statistics[1].Value) {
		t.Errorf("outside region: %v", st)
	}
	// Removing a region that does not exist is silent (Session.cc:842).
	sendMsg(t, c, icd.EventType_REMOVE_REGION, 30, 22, &icd.RemoveRegion{RegionId: 77})
	noErrorsToPong(t, c)
	// Still working.
	if ack := setRegion(t, c, 23, 0, -1, box(10, 10, 2, 2)); !ack.Success {
		t.Fatalf("after errors: %+v", ack)
	}
}

// TestReplacedImageDropsItsRegions: the frontend reuses a file id to
// replace an image; the old image's regions go with it.
func TestReplacedImageDropsItsRegions(t *testing.T) {
	c := imageClient(t)
	openCube(t, c, 0)
	ack := setRegion(t, c, 2, 0, -1, box(10, 10, 4, 4))
	openCube(t, c, 0)
	sendMsg(t, c, icd.EventType_SET_STATS_REQUIREMENTS, 30, 3, &icd.SetStatsRequirements{FileId: 0, RegionId: ack.RegionId,
		StatsConfigs: []*icd.SetStatsRequirements_StatsConfig{{Coordinate: "z", StatsTypes: allStats}}})
	if e := expect(t, c, icd.EventType_ERROR_DATA, &icd.ErrorData{}); e.Message != "Stats requirements not valid for region id 1" {
		t.Fatalf("region of a replaced image: %q", e.Message)
	}
}

// TestClearingRequirementsOfGoneRegion: after REMOVE_REGION the frontend
// clears the region's requirements, and it clears those of the image
// "region" -1 for spatial profiles; like the reference, that is no error.
// Setting requirements on a region that is gone still is one.
func TestClearingRequirementsOfGoneRegion(t *testing.T) {
	c := imageClient(t)
	openCube(t, c, 0)
	ack := setRegion(t, c, 2, 0, -1, box(10, 10, 4, 4))
	sendMsg(t, c, icd.EventType_REMOVE_REGION, 30, 3, &icd.RemoveRegion{RegionId: ack.RegionId})
	for _, id := range []int32{ack.RegionId, -1, 77} {
		sendMsg(t, c, icd.EventType_SET_SPATIAL_REQUIREMENTS, 30, 4, &icd.SetSpatialRequirements{FileId: 0, RegionId: id})
		sendMsg(t, c, icd.EventType_SET_STATS_REQUIREMENTS, 30, 5, &icd.SetStatsRequirements{FileId: 0, RegionId: id})
		sendMsg(t, c, icd.EventType_SET_SPECTRAL_REQUIREMENTS, 30, 6, &icd.SetSpectralRequirements{FileId: 0, RegionId: id})
		if id != -1 { // -1 is the image's histograms, which exist
			sendMsg(t, c, icd.EventType_SET_HISTOGRAM_REQUIREMENTS, 30, 7, &icd.SetHistogramRequirements{FileId: 0, RegionId: id})
		}
	}
	// The frontend may ask for the profiles of a region it is creating
	// under its temporary id −1, before the SET_REGION_ACK names it; it
	// asks again under the new id.
	sendMsg(t, c, icd.EventType_SET_SPATIAL_REQUIREMENTS, 30, 4, &icd.SetSpatialRequirements{FileId: 0, RegionId: -1,
		SpatialProfiles: []*icd.SetSpatialRequirements_SpatialConfig{{Coordinate: "", Width: 3}}})
	sendMsg(t, c, icd.EventType_SET_SPECTRAL_REQUIREMENTS, 30, 6, &icd.SetSpectralRequirements{FileId: 0, RegionId: -1,
		SpectralProfiles: []*icd.SetSpectralRequirements_SpectralConfig{{Coordinate: "z", StatsTypes: []icd.StatsType{icd.StatsType_Mean}}}})
	noErrorsToPong(t, c)
	sendMsg(t, c, icd.EventType_SET_SPATIAL_REQUIREMENTS, 30, 8, &icd.SetSpatialRequirements{FileId: 0, RegionId: ack.RegionId,
		SpatialProfiles: []*icd.SetSpatialRequirements_SpatialConfig{{Coordinate: "x"}}})
	// The reference's error (carta-backend src/Session/Session.cc:957-958).
	if e := expect(t, c, icd.EventType_ERROR_DATA, &icd.ErrorData{}); e.Message != "Spatial requirements failed for region 1: invalid region id or type" ||
		!slices.Equal(e.Tags, []string{"spatial"}) {
		t.Fatalf("spatial profiles of a removed region: %v", e)
	}
}

// noErrorsToPong reads up to the PONG of a PING, failing on any
// ERROR_DATA on the way.
func noErrorsToPong(t *testing.T, c *websocket.Conn) {
	t.Helper()
	readToPong(t, c, func(h icd.Header, p []byte) {
		if h.Type == icd.EventType_ERROR_DATA {
			var e icd.ErrorData
			must(t, proto.Unmarshal(p, &e))
			t.Errorf("ERROR_DATA: %q", e.Message)
		}
	})
}
