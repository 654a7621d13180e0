package ws

import (
	"math"
	"testing"

	"google.golang.org/protobuf/proto"

	"cartago/icd"
)

// Moments over a real websocket: MOMENT_REQUEST on the test cube gives
// one OPEN_FILE_ACK per moment in MOMENT_RESPONSE (ids following the
// last opened one as the reference assigns them, carta-backend
// Session::OnMomentRequest), and the cursor on each result shows the
// moment computed here directly. The cube's FREQ axis has no CDELT or
// CUNIT, so channels are 1, 2, … Hz (FITS defaults), and the
// integrated moment is in Jy/beam.Hz (casacore MomentsBase::_setOutThings).
func TestMomentsOverWebsocket(t *testing.T) {
	c := imageClient(t)
	openCube(t, c, 0)
	sendMsg(t, c, icd.EventType_MOMENT_REQUEST, 30, 7, &icd.MomentRequest{FileId: 0,
		Moments:  []icd.Moment{icd.Moment_INTEGRATED_OF_THE_SPECTRUM, icd.Moment_INTENSITY_WEIGHTED_COORD},
		RegionId: -1, SpectralRange: &icd.IntBounds{Min: 0, Max: cubeD - 1}})
	var resp icd.MomentResponse
	for {
		h, b := next(t, c)
		if h.Type == icd.EventType_MOMENT_PROGRESS {
			continue
		}
		if h.Type != icd.EventType_MOMENT_RESPONSE || h.RequestID != 7 {
			t.Fatalf("got %s/req %d, want MOMENT_RESPONSE/req 7", h.Type, h.RequestID)
		}
		must(t, proto.Unmarshal(b, &resp))
		break
	}
	if !resp.Success || len(resp.OpenFileAcks) != 2 || resp.OpenFileAcks[0].FileId != 1 || resp.OpenFileAcks[1].FileId != 2 {
		t.Fatalf("response %+v", &resp)
	}
	for _, e := range resp.OpenFileAcks[0].FileInfoExtended.HeaderEntries {
		if e.Name == "BUNIT" && e.Value != "Jy/beam.Hz" {
			t.Errorf("integrated moment BUNIT %q, want Jy/beam.Hz", e.Value)
		}
	}
	x, y := 10, 20
	var sum, sumX float64
	for ch := range cubeD {
		v := float64(cubeValue(x, y, ch))
		sum, sumX = sum+v, sumX+v*float64(ch+1)
	}
	for id, want := range map[int32]float64{1: sum, 2: sumX / sum} {
		sendMsg(t, c, icd.EventType_SET_CURSOR, 30, 8, &icd.SetCursor{FileId: id, Point: &icd.Point{X: float32(x), Y: float32(y)}})
		for {
			h, b := next(t, c)
			if h.Type != icd.EventType_SPATIAL_PROFILE_DATA {
				continue // the results' image histograms
			}
			var sp icd.SpatialProfileData
			must(t, proto.Unmarshal(b, &sp))
			if sp.FileId != id || math.Abs(float64(sp.Value)-want) > 1e-6*want {
				t.Fatalf("cursor on %d: %+v, want %g", id, &sp, want)
			}
			break
		}
	}
}
