package ws

import (
	"testing"

	"github.com/gorilla/websocket"
	"google.golang.org/protobuf/proto"

	"cartago/icd"
)

// twice sends the same requirements message twice and returns the two
// answers of type et: a repeated requirement used to be ignored, though
// the frontend re-sends its requirements after a resume and whenever a
// widget is shown again, and waits for the data.
func twice[M proto.Message](t *testing.T, c *websocket.Conn, send icd.EventType, req proto.Message, et icd.EventType, newM func() M) [2]M {
	t.Helper()
	var got [2]M
	for i := range got {
		sendMsg(t, c, send, 30, uint32(20+i), req)
		got[i] = newM()
		skipTo(t, c, et, got[i])
	}
	return got
}

func TestRepeatedStatsRequirementsAnswered(t *testing.T) {
	c := imageClient(t)
	openCube(t, c, 0)
	req := &icd.SetStatsRequirements{FileId: 0, RegionId: -1, StatsConfigs: []*icd.SetStatsRequirements_StatsConfig{
		{Coordinate: "z", StatsTypes: []icd.StatsType{icd.StatsType_NumPixels, icd.StatsType_Sum}}}}
	got := twice(t, c, icd.EventType_SET_STATS_REQUIREMENTS, req, icd.EventType_REGION_STATS_DATA, func() *icd.RegionStatsData { return &icd.RegionStatsData{} })
	if !proto.Equal(got[0], got[1]) || got[1].RegionId != -1 || len(got[1].Statistics) != 2 {
		t.Errorf("answers differ or are wrong: %v / %v", got[0], got[1])
	}
	ack := setRegion(t, c, 30, 0, -1, box(50, 50, 10, 10))
	req = &icd.SetStatsRequirements{FileId: 0, RegionId: ack.RegionId, StatsConfigs: req.StatsConfigs}
	got = twice(t, c, icd.EventType_SET_STATS_REQUIREMENTS, req, icd.EventType_REGION_STATS_DATA, func() *icd.RegionStatsData { return &icd.RegionStatsData{} })
	if !proto.Equal(got[0], got[1]) || got[1].RegionId != ack.RegionId {
		t.Errorf("region answers differ or are wrong: %v / %v", got[0], got[1])
	}
}

func TestRepeatedHistogramRequirementsAnswered(t *testing.T) {
	c := imageClient(t)
	openCube(t, c, 0)
	newH := func() *icd.RegionHistogramData { return &icd.RegionHistogramData{} }
	image := &icd.SetHistogramRequirements{FileId: 0, RegionId: -1, Histograms: []*icd.HistogramConfig{{Coordinate: "z", Channel: -1, FixedNumBins: true, NumBins: 10}}}
	got := twice(t, c, icd.EventType_SET_HISTOGRAM_REQUIREMENTS, image, icd.EventType_REGION_HISTOGRAM_DATA, newH)
	if !proto.Equal(got[0], got[1]) || got[1].Histograms.NumBins != 10 {
		t.Errorf("image histogram answers differ or are wrong: %v / %v", got[0].Histograms, got[1].Histograms)
	}
	// The cube histogram: the second answer comes from the result kept.
	cube := &icd.SetHistogramRequirements{FileId: 0, RegionId: -2, Histograms: []*icd.HistogramConfig{{Channel: -2, NumBins: -1, Bounds: &icd.DoubleBounds{}}}}
	got = twice(t, c, icd.EventType_SET_HISTOGRAM_REQUIREMENTS, cube, icd.EventType_REGION_HISTOGRAM_DATA, newH)
	if !proto.Equal(got[0], got[1]) || got[1].RegionId != -2 || got[1].Progress != 1 {
		t.Errorf("cube histogram answers differ or are wrong: %v / %v", got[0], got[1])
	}
	ack := setRegion(t, c, 30, 0, -1, box(50, 50, 10, 10))
	region := &icd.SetHistogramRequirements{FileId: 0, RegionId: ack.RegionId, Histograms: []*icd.HistogramConfig{{Coordinate: "z", Channel: -1, NumBins: -1}}}
	got = twice(t, c, icd.EventType_SET_HISTOGRAM_REQUIREMENTS, region, icd.EventType_REGION_HISTOGRAM_DATA, newH)
	if !proto.Equal(got[0], got[1]) || got[1].RegionId != ack.RegionId {
		t.Errorf("region histogram answers differ or are wrong: %v / %v", got[0], got[1])
	}
}

func TestRepeatedSpectralRequirementsAnswered(t *testing.T) {
	c := imageClient(t)
	openCube(t, c, 0)
	sendMsg(t, c, icd.EventType_SET_CURSOR, 30, 3, &icd.SetCursor{FileId: 0, Point: &icd.Point{X: 10, Y: 20}})
	skipTo(t, c, icd.EventType_SPATIAL_PROFILE_DATA, &icd.SpatialProfileData{})
	newP := func() *icd.SpectralProfileData { return &icd.SpectralProfileData{} }
	profiles := []*icd.SetSpectralRequirements_SpectralConfig{{Coordinate: "z", StatsTypes: []icd.StatsType{icd.StatsType_Sum}}}
	cursor := &icd.SetSpectralRequirements{FileId: 0, RegionId: 0, SpectralProfiles: profiles}
	got := twice(t, c, icd.EventType_SET_SPECTRAL_REQUIREMENTS, cursor, icd.EventType_SPECTRAL_PROFILE_DATA, newP)
	if !proto.Equal(got[0], got[1]) || got[1].Progress != 1 || len(got[1].Profiles) != 1 {
		t.Errorf("cursor spectrum answers differ or are wrong: %v / %v", got[0], got[1])
	}
	ack := setRegion(t, c, 30, 0, -1, box(50, 50, 10, 10))
	region := &icd.SetSpectralRequirements{FileId: 0, RegionId: ack.RegionId, SpectralProfiles: profiles}
	got = twice(t, c, icd.EventType_SET_SPECTRAL_REQUIREMENTS, region, icd.EventType_SPECTRAL_PROFILE_DATA, newP)
	if got[1].RegionId != ack.RegionId || got[1].Progress != 1 {
		t.Errorf("region spectrum answers wrong: %v / %v", got[0], got[1])
	}
}

func TestRepeatedSpatialRequirementsAnswered(t *testing.T) {
	c := imageClient(t)
	openCube(t, c, 0)
	sendMsg(t, c, icd.EventType_SET_CURSOR, 30, 3, &icd.SetCursor{FileId: 0, Point: &icd.Point{X: 10, Y: 20}})
	skipTo(t, c, icd.EventType_SPATIAL_PROFILE_DATA, &icd.SpatialProfileData{})
	req := &icd.SetSpatialRequirements{FileId: 0, RegionId: 0, SpatialProfiles: xy}
	got := twice(t, c, icd.EventType_SET_SPATIAL_REQUIREMENTS, req, icd.EventType_SPATIAL_PROFILE_DATA, func() *icd.SpatialProfileData { return &icd.SpatialProfileData{} })
	if !proto.Equal(got[0], got[1]) || len(got[1].Profiles) != 2 || got[1].X != 10 {
		t.Errorf("spatial answers differ or are wrong: %v / %v", got[0], got[1])
	}
}
