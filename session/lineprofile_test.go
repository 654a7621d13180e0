package session

import (
	"strings"
	"testing"

	"cartago/icd"
)

func lineRegion(kind icd.RegionType, pts ...float32) *icd.RegionInfo {
	info := &icd.RegionInfo{RegionType: kind}
	for i := 0; i+1 < len(pts); i += 2 {
		info.ControlPoints = append(info.ControlPoints, &icd.Point{X: pts[i], Y: pts[i+1]})
	}
	return info
}

// lineProfileOf reads up to the next SPATIAL_PROFILE_DATA of region id.
func lineProfileOf(t *testing.T, c *pipe, id int32) (*icd.SpatialProfileData, []float32) {
	t.Helper()
	for {
		var m icd.SpatialProfileData
		skipTo(t, c, icd.EventType_SPATIAL_PROFILE_DATA, &m)
		if m.RegionId != id {
			continue
		}
		if len(m.Profiles) != 1 {
			t.Fatalf("line profile data with %d profiles", len(m.Profiles))
		}
		return &m, floats(m.Profiles[0].RawValuesFp32)
	}
}

func wantFloats(t *testing.T, what string, got, want []float32) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d values %v, want %d %v", what, len(got), got, len(want), want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("%s: value %d is %v, want %v (all %v)", what, i, got[i], want[i], got)
		}
	}
}

// TestLineSpatialProfiles: the spatial profiler of the frontend follows
// the selected line or polyline; the profile follows the region's edits
// and the channel, and its axis says how samples map to offsets.
func TestLineSpatialProfiles(t *testing.T) {
	c := imageClient(t)
	openCube(t, c, 0)
	line := setRegion(t, c, 2, 0, -1, lineRegion(icd.RegionType_LINE, 20, 10, 10, 10))
	sendMsg(t, c, icd.EventType_SET_SPATIAL_REQUIREMENTS, 30, 3, &icd.SetSpatialRequirements{FileId: 0, RegionId: line.RegionId,
		SpatialProfiles: []*icd.SetSpatialRequirements_SpatialConfig{{Coordinate: "", Width: 1}}})
	m, got := lineProfileOf(t, c, line.RegionId)
	var want []float32
	for x := 10; x <= 20; x++ { // from the second point to the first
		want = append(want, cubeValue(x, 10, 0))
	}
	wantFloats(t, "horizontal line", got, want)
	p := m.Profiles[0]
	ax := p.LineAxis
	if p.Start != 0 || p.End != 10 || p.Coordinate != "" || m.Channel != 0 ||
		ax.GetAxisType() != icd.ProfileAxisType_Offset || ax.GetCrpix() != 5 || ax.GetCdelt() != 1 || ax.GetUnit() != "pixel" {
		t.Fatalf("line profile %+v, axis %+v (the cube has no CDELT, so offsets are in pixels)", p, ax)
	}

	// Dragged to a column: the newest position's profile.
	setRegion(t, c, 4, 0, line.RegionId, lineRegion(icd.RegionType_LINE, 30, 40, 30, 44))
	_, got = lineProfileOf(t, c, line.RegionId)
	want = want[:0]
	for y := 44; y >= 40; y-- { // again from the second point
		want = append(want, cubeValue(30, y, 0))
	}
	wantFloats(t, "vertical line", got, want)

	// A channel change recomputes it.
	sendMsg(t, c, icd.EventType_SET_IMAGE_CHANNELS, 30, 5, &icd.SetImageChannels{FileId: 0, Channel: 2})
	m, got = lineProfileOf(t, c, line.RegionId)
	for i := range want {
		want[i] += 2 * 100000
	}
	if m.Channel != 2 {
		t.Fatalf("profile of channel %d after the change to 2", m.Channel)
	}
	wantFloats(t, "vertical line on channel 2", got, want)

	// A polyline runs from its first vertex; its axis is a distance.
	poly := setRegion(t, c, 6, 0, -1, lineRegion(icd.RegionType_POLYLINE, 50, 60, 54, 60, 54, 63))
	sendMsg(t, c, icd.EventType_SET_SPATIAL_REQUIREMENTS, 30, 7, &icd.SetSpatialRequirements{FileId: 0, RegionId: poly.RegionId,
		SpatialProfiles: []*icd.SetSpatialRequirements_SpatialConfig{{Coordinate: "I", Width: 1}}})
	m, got = lineProfileOf(t, c, poly.RegionId)
	want = want[:0]
	for x := 50; x <= 54; x++ {
		want = append(want, cubeValue(x, 60, 2))
	}
	for y := 61; y <= 63; y++ {
		want = append(want, cubeValue(54, y, 2))
	}
	wantFloats(t, "polyline", got, want)
	if ax := m.Profiles[0].LineAxis; ax.GetAxisType() != icd.ProfileAxisType_Distance || ax.GetCrpix() != 4 || ax.GetCrval() != 4 {
		t.Fatalf("polyline axis %+v", ax)
	}

	// A width outside 1..20 is refused; the session goes on.
	sendMsg(t, c, icd.EventType_SET_SPATIAL_REQUIREMENTS, 30, 8, &icd.SetSpatialRequirements{FileId: 0, RegionId: poly.RegionId,
		SpatialProfiles: []*icd.SetSpatialRequirements_SpatialConfig{{Coordinate: "", Width: 21}}})
	var e icd.ErrorData
	skipTo(t, c, icd.EventType_ERROR_DATA, &e)
	if !strings.Contains(e.Message, "averaging width 21") {
		t.Fatalf("width 21: %q", e.Message)
	}
	noErrorsToPong(t, c)
}
