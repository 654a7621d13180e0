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

// FuzzPvRequest sends arbitrary PV_REQUEST payloads (previews too) to a
// session with a cube and a line open, then moves the line: every
// request is answered, and never with an internal error (a panic).
func FuzzPvRequest(f *testing.F) {
	root := f.TempDir()
	data := make([]float32, 12*10*4)
	for i := range data {
		data[i] = float32(i % 17)
	}
	file, err := os.Create(filepath.Join(root, "c.fits"))
	if err != nil {
		f.Fatal(err)
	}
	if err := fits.Write(file, fits.WriteHDU{Bitpix: -32, Naxis: []int{12, 10, 4}, Data: data,
		Cards: []fits.Card{fits.NewStringCard("CTYPE3", "FREQ", "")}}); err != nil {
		f.Fatal(err)
	}
	file.Close()
	folder, err := NewFolder(root, "")
	if err != nil {
		f.Fatal(err)
	}
	seed := func(m *icd.PvRequest) {
		b, _ := proto.Marshal(m)
		f.Add(b)
	}
	seed(&icd.PvRequest{RegionId: 1, Width: 3, SpectralRange: &icd.IntBounds{Min: 1, Max: 3}})
	seed(&icd.PvRequest{RegionId: 1, Width: 20, Reverse: true, Keep: true})
	seed(&icd.PvRequest{RegionId: 1, Width: 2, PreviewSettings: &icd.PvPreviewSettings{PreviewId: 4, RegionId: 2, RebinXy: 3, RebinZ: 2,
		CompressionType: icd.CompressionType_ZFP, ImageCompressionQuality: 11}})
	seed(&icd.PvRequest{RegionId: 1, Width: 1, PreviewSettings: &icd.PvPreviewSettings{RebinXy: -5, RebinZ: 1 << 30}})
	f.Fuzz(func(t *testing.T, payload []byte) {
		m := NewManager(Config{Folder: folder, Logger: newTestManager(time.Minute).log})
		defer m.Close("done")
		rec := &recorder{}
		c := m.NewClient(rec, "fuzz", nil)
		handle(t, c, icd.EventType_REGISTER_VIEWER, 1, &icd.RegisterViewer{})
		handle(t, c, icd.EventType_OPEN_FILE, 2, &icd.OpenFile{Directory: ".", File: "c.fits"})
		handle(t, c, icd.EventType_SET_REGION, 3, &icd.SetRegion{RegionId: -1, RegionInfo: &icd.RegionInfo{RegionType: icd.RegionType_LINE,
			ControlPoints: []*icd.Point{{X: 1, Y: 1}, {X: 9, Y: 7}}}})
		handle(t, c, icd.EventType_SET_REGION, 4, &icd.SetRegion{RegionId: -1, RegionInfo: &icd.RegionInfo{RegionType: icd.RegionType_RECTANGLE,
			ControlPoints: []*icd.Point{{X: 5, Y: 5}, {X: 6, Y: 4}}}})
		c.Handle(t.Context(), icd.Header{Type: icd.EventType_PV_REQUEST, Version: icd.Version, RequestID: 9}, payload)
		handle(t, c, icd.EventType_SET_REGION, 5, &icd.SetRegion{RegionId: 1, PreviewRegion: true, RegionInfo: &icd.RegionInfo{
			RegionType: icd.RegionType_LINE, ControlPoints: []*icd.Point{{X: 0, Y: 9}, {X: 11, Y: 2}}}})
		answered := func() bool {
			rec.mu.Lock()
			defer rec.mu.Unlock()
			for _, s := range rec.sent {
				if s.event == icd.EventType_PV_RESPONSE || (s.event == icd.EventType_ERROR_DATA && s.req == 9) {
					return true
				}
			}
			return false
		}
		for deadline := time.Now().Add(10 * time.Second); !answered(); time.Sleep(time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatal("PV_REQUEST never answered")
			}
		}
		c.Close()
		m.Close("done")
		rec.mu.Lock()
		defer rec.mu.Unlock()
		for _, s := range rec.sent {
			if e, ok := s.msg.(*icd.ErrorData); ok && strings.Contains(e.Message, "internal error") {
				t.Fatalf("a handler panicked: %s", e.Message)
			}
			if r, ok := s.msg.(*icd.PvResponse); ok && strings.Contains(r.Message, "internal error") {
				t.Fatalf("a PV run panicked: %s", r.Message)
			}
		}
	})
}
