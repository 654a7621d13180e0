package session

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"cartago/icd"
	"cartago/imaging/fits"
)

// FuzzHandle sends arbitrary payloads under every event type to a session
// with an image open. Whatever the input, no handler may panic (a panic is
// recovered and reported as an "internal error", which this test fails on).
func FuzzHandle(f *testing.F) {
	root := f.TempDir()
	data := make([]float32, 8*6*3)
	for i := range data {
		data[i] = float32(i)
	}
	file, err := os.Create(filepath.Join(root, "c.fits"))
	if err != nil {
		f.Fatal(err)
	}
	if err := fits.Write(file, fits.WriteHDU{Bitpix: -32, Naxis: []int{8, 6, 3}, Data: data}); err != nil {
		f.Fatal(err)
	}
	file.Close()
	folder, err := NewFolder(root, "")
	if err != nil {
		f.Fatal(err)
	}
	seed := func(et icd.EventType, m proto.Message) {
		b, _ := proto.Marshal(m)
		f.Add(uint16(et), b)
	}
	seed(icd.EventType_SET_REGION, &icd.SetRegion{RegionId: -1, RegionInfo: &icd.RegionInfo{RegionType: icd.RegionType_POLYGON,
		ControlPoints: []*icd.Point{{X: 1, Y: 1}, {X: 5, Y: 1}, {X: 3, Y: 4}}}})
	seed(icd.EventType_SET_IMAGE_CHANNELS, &icd.SetImageChannels{Channel: 2, ChannelMapEnabled: true,
		ChannelRange: &icd.IntBounds{Min: 0, Max: 2}, RequiredTiles: &icd.AddRequiredTiles{Tiles: []int32{0}}})
	seed(icd.EventType_START_ANIMATION, &icd.StartAnimation{FirstFrame: &icd.AnimationFrame{}, StartFrame: &icd.AnimationFrame{},
		LastFrame: &icd.AnimationFrame{Channel: 2}, DeltaFrame: &icd.AnimationFrame{Channel: 1}, FrameRate: 5})
	seed(icd.EventType_SET_CONTOUR_PARAMETERS, &icd.SetContourParameters{Levels: []float64{3, 50}, SmoothingMode: icd.SmoothingMode_GaussianBlur, SmoothingFactor: 3})
	seed(icd.EventType_RESUME_SESSION, &icd.ResumeSession{Images: []*icd.ImageProperties{{Directory: ".", File: "c.fits", FileId: 0,
		Regions: map[int32]*icd.RegionInfo{0: {}, 3: {RegionType: icd.RegionType_ELLIPSE}}}}})
	seed(icd.EventType_SET_SPATIAL_REQUIREMENTS, &icd.SetSpatialRequirements{SpatialProfiles: []*icd.SetSpatialRequirements_SpatialConfig{{Coordinate: "Vx", Mip: 9}}})
	seed(icd.EventType_SET_SPATIAL_REQUIREMENTS, &icd.SetSpatialRequirements{RegionId: 1, SpatialProfiles: []*icd.SetSpatialRequirements_SpatialConfig{{Coordinate: "I", Width: 20}}})
	seed(icd.EventType_SET_REGION, &icd.SetRegion{RegionId: 1, RegionInfo: &icd.RegionInfo{RegionType: icd.RegionType_POLYLINE,
		ControlPoints: []*icd.Point{{X: -3, Y: 1}, {X: 5, Y: 1}, {X: 3, Y: 40}}}})
	seed(icd.EventType_SET_IMAGE_CHANNELS, &icd.SetImageChannels{Channel: 1, Stokes: 13})
	seed(icd.EventType_SET_VECTOR_OVERLAY_PARAMETERS, &icd.SetVectorOverlayParameters{SmoothingFactor: 3, Fractional: true, Threshold: 2,
		StokesIntensity: 1, StokesAngle: 0, CompressionType: icd.CompressionType_ZFP, CompressionQuality: 11})

	f.Fuzz(func(t *testing.T, et uint16, payload []byte) {
		m := NewManager(Config{Folder: folder, Logger: newTestManager(time.Minute).log})
		defer m.Close("done")
		rec := &recorder{}
		c := m.NewClient(rec, "fuzz", nil)
		handle(t, c, icd.EventType_REGISTER_VIEWER, 1, &icd.RegisterViewer{})
		handle(t, c, icd.EventType_OPEN_FILE, 2, &icd.OpenFile{Directory: ".", File: "c.fits"})
		handle(t, c, icd.EventType_SET_CURSOR, 3, &icd.SetCursor{Point: &icd.Point{X: 2, Y: 2}})
		// A line (region 1) with a profile wanted, so that edits and
		// requirements reach the line profile code.
		handle(t, c, icd.EventType_SET_REGION, 4, &icd.SetRegion{RegionId: -1, RegionInfo: &icd.RegionInfo{RegionType: icd.RegionType_LINE,
			ControlPoints: []*icd.Point{{X: 1, Y: 1}, {X: 6, Y: 4}}}})
		handle(t, c, icd.EventType_SET_SPATIAL_REQUIREMENTS, 5, &icd.SetSpatialRequirements{RegionId: 1,
			SpatialProfiles: []*icd.SetSpatialRequirements_SpatialConfig{{Coordinate: "", Width: 3}}})
		c.Handle(t.Context(), icd.Header{Type: icd.EventType(et), Version: icd.Version, RequestID: 9}, payload)
		c.Close()
		m.Close("done") // waits for the image workers, so their panics surface too
		rec.mu.Lock()
		defer rec.mu.Unlock()
		for _, s := range rec.sent {
			if e, ok := s.msg.(*icd.ErrorData); ok && strings.Contains(e.Message, "internal error") {
				t.Fatalf("event %d: a handler panicked: %s", et, e.Message)
			}
		}
	})
}
