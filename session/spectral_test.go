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

func TestLongSpectrumStreamsPartialResults(t *testing.T) {
	const depth = 1050
	spectrumChunk, spectrumUpdateEvery = 100, 0
	// A cleanup, not a defer: registered before the pipe's, it runs after
	// the session's workers (which read these) have stopped.
	t.Cleanup(func() { spectrumChunk, spectrumUpdateEvery = 512, 500*time.Millisecond })

	root := t.TempDir()
	data := make([]float32, 2*2*depth)
	for i := range data {
		data[i] = float32(i)
	}
	f, err := os.Create(filepath.Join(root, "long.fits"))
	must(t, err)
	must(t, fits.Write(f, fits.WriteHDU{Bitpix: -32, Naxis: []int{2, 2, depth}, Data: data}))
	f.Close()
	c := folderPipe(t, root)
	sendMsg(t, c, icd.EventType_OPEN_FILE, icd.Version, 2, &icd.OpenFile{Directory: ".", File: "long.fits", FileId: 0})
	sendMsg(t, c, icd.EventType_SET_SPECTRAL_REQUIREMENTS, icd.Version, 3, &icd.SetSpectralRequirements{
		SpectralProfiles: []*icd.SetSpectralRequirements_SpectralConfig{{Coordinate: "z"}}})
	sendMsg(t, c, icd.EventType_SET_CURSOR, icd.Version, 4, &icd.SetCursor{Point: &icd.Point{X: 1, Y: 0}})

	var msgs []*icd.SpectralProfileData
	for len(msgs) < 11 {
		var m icd.SpectralProfileData
		skipTo(t, c, icd.EventType_SPECTRAL_PROFILE_DATA, &m)
		msgs = append(msgs, &m)
	}
	first, last := msgs[0], msgs[10]
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
