package session

import (
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"cartago/icd"
	"cartago/imaging/fits"
)

// FuzzFittingRequest sends arbitrary FITTING_REQUEST payloads to a
// session with a small image open and a region drawn. Whatever the
// input, the request is answered with exactly one FITTING_RESPONSE, and
// nothing panics (a recovered panic answers "internal error").
func FuzzFittingRequest(f *testing.F) {
	root := f.TempDir()
	// Small, so that even 20 components for 200 iterations stay quick.
	data := make([]float32, 32*24)
	for i := range data {
		data[i] = float32(gaussAt(fitTruth[:1], float64(i%32)+14, float64(i/32)+28) + 0.01*math.Sin(float64(i)))
	}
	file, err := os.Create(filepath.Join(root, "g.fits"))
	if err != nil {
		f.Fatal(err)
	}
	if err := fits.Write(file, fits.WriteHDU{Bitpix: -32, Naxis: []int{32, 24}, Data: data,
		Cards: []fits.Card{fits.NewStringCard("BUNIT", "Jy/pixel", "")}}); err != nil {
		f.Fatal(err)
	}
	file.Close()
	folder, err := NewFolder(root, "")
	if err != nil {
		f.Fatal(err)
	}
	seed := func(m *icd.FittingRequest) {
		b, _ := proto.Marshal(m)
		f.Add(b)
	}
	seed(&icd.FittingRequest{InitialValues: nudged(), FixedParams: make([]bool, 13), RegionId: -1, CreateModelImage: true, CreateResidualImage: true})
	seed(&icd.FittingRequest{InitialValues: nudged()[:1], RegionId: 1, Offset: math.NaN()})
	seed(&icd.FittingRequest{InitialValues: nudged(), RegionId: 0, FovInfo: &icd.RegionInfo{RegionType: icd.RegionType_RECTANGLE,
		ControlPoints: []*icd.Point{{X: 40, Y: 40}, {X: 30, Y: 1e9}}, Rotation: 33}})
	nan := math.NaN()
	seed(&icd.FittingRequest{InitialValues: []*icd.GaussianComponent{{Center: &icd.DoublePoint{X: nan, Y: nan}, Amp: nan,
		Fwhm: &icd.DoublePoint{X: nan, Y: nan}, Pa: nan}}, RegionId: 1, FixedParams: make([]bool, 7)})
	seed(&icd.FittingRequest{InitialValues: []*icd.GaussianComponent{{Amp: 1e300, Fwhm: &icd.DoublePoint{X: 1e-300, Y: 5}}}, RegionId: -1})
	seed(&icd.FittingRequest{InitialValues: []*icd.GaussianComponent{{Center: &icd.DoublePoint{X: 4e8, Y: -1}, Amp: -1, Fwhm: &icd.DoublePoint{X: 3, Y: 3}}},
		FixedParams: []bool{true, true, true, true, true, true, true}, RegionId: -1, CreateResidualImage: true})

	f.Fuzz(func(t *testing.T, payload []byte) {
		m := NewManager(Config{Folder: folder, Logger: newTestManager(time.Minute).log})
		defer m.Close("done")
		rec := &recorder{}
		c := m.NewClient(rec, "fuzz", nil)
		handle(t, c, icd.EventType_REGISTER_VIEWER, 1, &icd.RegisterViewer{})
		handle(t, c, icd.EventType_OPEN_FILE, 2, &icd.OpenFile{Directory: ".", File: "g.fits"})
		handle(t, c, icd.EventType_SET_REGION, 3, &icd.SetRegion{RegionId: -1, RegionInfo: &icd.RegionInfo{RegionType: icd.RegionType_POLYGON,
			ControlPoints: []*icd.Point{{X: 2, Y: 2}, {X: 30, Y: 3}, {X: 16, Y: 22}}}})
		c.Handle(t.Context(), icd.Header{Type: icd.EventType_FITTING_REQUEST, Version: icd.Version, RequestID: 9}, payload)
		// An undecodable payload is an ERROR_DATA (FuzzHandle checks it).
		decodes := proto.Unmarshal(payload, &icd.FittingRequest{}) == nil
		var resp *icd.FittingResponse
		for deadline := time.Now().Add(30 * time.Second); decodes && resp == nil && time.Now().Before(deadline); {
			rec.mu.Lock()
			for _, s := range rec.sent {
				if r, ok := s.msg.(*icd.FittingResponse); ok && s.req == 9 {
					resp = r
				}
				if e, ok := s.msg.(*icd.ErrorData); ok && strings.Contains(e.Message, "internal error") {
					t.Fatalf("a handler panicked: %s", e.Message)
				}
			}
			rec.mu.Unlock()
			time.Sleep(time.Millisecond)
		}
		c.Close()
		m.Close("done")
		if decodes && resp == nil {
			t.Fatal("no response")
		}
		if resp != nil && strings.Contains(resp.Message, "internal error") {
			t.Fatalf("the fit panicked: %+v", resp)
		}
	})
}
