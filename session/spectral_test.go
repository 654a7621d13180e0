package session

import (
	"encoding/binary"
	"math"
	"os"
	"path/filepath"
	"testing"
	"time"

	"cartago/icd"
	"cartago/imaging/fits"
)

// waitSent polls the recorder until n messages of type et were sent.
func waitSent(t *testing.T, rec *recorder, et icd.EventType, n int) []sent {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		var got []sent
		rec.mu.Lock()
		for _, s := range rec.sent {
			if s.event == et {
				got = append(got, s)
			}
		}
		rec.mu.Unlock()
		if len(got) >= n {
			return got
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d %s sent, want %d", len(got), et, n)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

func TestLongSpectrumStreamsPartialResults(t *testing.T) {
	const depth = 1050
	spectrumChunk, spectrumUpdateEvery = 100, 0
	defer func() { spectrumChunk, spectrumUpdateEvery = 512, 500*time.Millisecond }()

	root := t.TempDir()
	data := make([]float32, 2*2*depth)
	for i := range data {
		data[i] = float32(i)
	}
	f, err := os.Create(filepath.Join(root, "long.fits"))
	must(t, err)
	must(t, fits.Write(f, fits.WriteHDU{Bitpix: -32, Naxis: []int{2, 2, depth}, Data: data}))
	f.Close()
	folder, err := NewFolder(root, "")
	must(t, err)
	m := NewManager(Config{Folder: folder, Logger: newTestManager(time.Minute).log})
	defer m.Close("test over")
	rec := &recorder{}
	c := m.NewClient(rec, "test", nil)
	handle(t, c, icd.EventType_REGISTER_VIEWER, 1, &icd.RegisterViewer{})
	handle(t, c, icd.EventType_OPEN_FILE, 2, &icd.OpenFile{Directory: ".", File: "long.fits", FileId: 0})
	handle(t, c, icd.EventType_SET_SPECTRAL_REQUIREMENTS, 3, &icd.SetSpectralRequirements{
		SpectralProfiles: []*icd.SetSpectralRequirements_SpectralConfig{{Coordinate: "z"}}})
	handle(t, c, icd.EventType_SET_CURSOR, 4, &icd.SetCursor{Point: &icd.Point{X: 1, Y: 0}})

	msgs := waitSent(t, rec, icd.EventType_SPECTRAL_PROFILE_DATA, 11)
	first := msgs[0].msg.(*icd.SpectralProfileData)
	last := msgs[10].msg.(*icd.SpectralProfileData)
	if first.Progress >= 1 || math.Abs(float64(first.Progress)-100.0/depth) > 1e-6 || last.Progress != 1 {
		t.Fatalf("progress %g ... %g, want 100/%d ... 1", first.Progress, last.Progress, depth)
	}
	part := first.Profiles[0].RawValuesFp32
	if len(part) != 4*depth || !math.IsNaN(float64(fp32(part, 100))) || fp32(part, 99) != float32(99*4+1) {
		t.Errorf("partial spectrum: len %d, [99]=%g [100]=%g; want full length, data then NaN", len(part), fp32(part, 99), fp32(part, 100))
	}
	if v := fp32(last.Profiles[0].RawValuesFp32, depth-1); v != float32((depth-1)*4+1) {
		t.Errorf("last channel = %g", v)
	}
}

func fp32(b []byte, i int) float32 {
	return math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
