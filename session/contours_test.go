package session

import (
	"math"
	"testing"

	"cartago/icd"
	"cartago/imaging/contour"
)

// TestContours: on the cube's linear field (x + 1000·y) every contour
// vertex, shifted back from pixel corners to centres, lies on its level.
func TestContours(t *testing.T) {
	c := imageClient(t)
	openCube(t, c, 0)
	levels := []float64{20500, 100250}
	for _, tc := range []struct {
		compression, decimation int32
		tol                     float64
	}{{0, 4, 0.05}, {8, 4, 130}} { // float32 vertices: 1000·ulp(100) ≈ 0.008
		sendMsg(t, c, icd.EventType_SET_CONTOUR_PARAMETERS, 30, 3, &icd.SetContourParameters{FileId: 0, ReferenceFileId: 0,
			Levels: levels, SmoothingMode: icd.SmoothingMode_NoSmoothing, DecimationFactor: tc.decimation,
			CompressionLevel: tc.compression, ContourChunkSize: 100000})
		done := map[float64]int{}
		for len(done) < len(levels) {
			m := expect(t, c, icd.EventType_CONTOUR_IMAGE_DATA, &icd.ContourImageData{})
			set := m.ContourSets[0]
			vs, err := contour.Decode(contour.Encoded{Coordinates: set.RawCoordinates,
				UncompressedSize: int(set.UncompressedCoordinatesSize), Decimation: int(set.DecimationFactor)})
			must(t, err)
			for i := 0; i+1 < len(vs); i += 2 {
				x, y := float64(vs[i])-0.5, float64(vs[i+1])-0.5
				if v := x + 1000*y; math.Abs(v-set.Level) > tc.tol {
					t.Fatalf("compression %d: vertex (%g,%g) has value %g, level %g", tc.compression, x, y, v, set.Level)
				}
			}
			if len(vs) == 0 {
				t.Fatalf("level %g has no vertices", set.Level)
			}
			if m.Progress == 1 {
				done[set.Level]++
			}
		}
	}
	// A channel change recomputes them for the new channel.
	sendMsg(t, c, icd.EventType_SET_IMAGE_CHANNELS, 30, 4, &icd.SetImageChannels{FileId: 0, Channel: 1})
	for finished := 0; finished < len(levels); {
		m := expect(t, c, icd.EventType_CONTOUR_IMAGE_DATA, &icd.ContourImageData{})
		if m.Channel != 1 {
			t.Fatalf("contours after channel change for channel %d", m.Channel)
		}
		if m.Progress == 1 {
			finished++
		}
	}
	drainToPong(t, c)
	// No levels clears them: the next channel change sends none.
	sendMsg(t, c, icd.EventType_SET_CONTOUR_PARAMETERS, 30, 5, &icd.SetContourParameters{FileId: 0})
	sendMsg(t, c, icd.EventType_SET_IMAGE_CHANNELS, 30, 6, &icd.SetImageChannels{FileId: 0, Channel: 2})
	expect(t, c, icd.EventType_REGION_HISTOGRAM_DATA, &icd.RegionHistogramData{})
}
