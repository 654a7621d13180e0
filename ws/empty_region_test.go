package ws

import (
	"encoding/binary"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/gorilla/websocket"

	"cartago/icd"
	"cartago/imaging/fits"
	"cartago/session"
)

// emptyCubeClient serves a generated 400×400×3 cube (value x + y + c) as
// file 0: big enough for the thin polygon near (300, 300).
func emptyCubeClient(t *testing.T) *websocket.Conn {
	t.Helper()
	const w, h, d = 400, 400, 3
	data := make([]float32, w*h*d)
	for i := range data {
		x, y, c := i%w, i/w%h, i/(w*h)
		data[i] = float32(x + y + c)
	}
	root := t.TempDir()
	f, err := os.Create(filepath.Join(root, "big.fits"))
	must(t, err)
	must(t, fits.Write(f, fits.WriteHDU{Bitpix: -32, Naxis: []int{w, h, d}, Data: data, Cards: []fits.Card{
		fits.NewStringCard("CTYPE1", "RA---SIN", ""), fits.NewStringCard("CTYPE2", "DEC--SIN", ""),
		fits.NewStringCard("CTYPE3", "FREQ", ""),
	}}))
	must(t, f.Close())
	folder, err := session.NewFolder(root, "")
	must(t, err)
	c := startServerWith(t, Config{AuthToken: testToken}, session.Config{Folder: folder}).dial(t, testToken)
	register(t, c, 0)
	sendMsg(t, c, icd.EventType_OPEN_FILE, 30, 2, &icd.OpenFile{Directory: ".", File: "big.fits", FileId: 0})
	var ack icd.OpenFileAck
	recv(t, c, icd.EventType_OPEN_FILE_ACK, 2, &ack)
	if !ack.Success {
		t.Fatalf("open: %+v", &ack)
	}
	expect(t, c, icd.EventType_REGION_HISTOGRAM_DATA, &icd.RegionHistogramData{}) // the image's
	return c
}

// TestRegionWithoutPixelCentre: a thin polygon between pixel centres
// gets data, not ERROR_DATA, as a region the reference cannot apply to
// the image (carta-backend src/Region/RegionHandler.cc): statistics with
// NumPixels 0 and NaN for every other one (GetRegionStatsData, 2220-2234),
// spectral profiles of NaN in every channel, NumPixels included, complete
// at once (GetRegionSpectralData, 1862-1866 and 1886-1891), and the
// placeholder histogram of one bin over [0, 0] counting nothing with NaN
// mean and deviation (GetRegionHistogramData, 1686-1693; the reference
// fills it, we also send it).
func TestRegionWithoutPixelCentre(t *testing.T) {
	c := emptyCubeClient(t)
	thin := &icd.RegionInfo{RegionType: icd.RegionType_POLYGON, ControlPoints: []*icd.Point{
		{X: 300.2, Y: 300.2}, {X: 300.2, Y: 301.0}, {X: 300.7, Y: 300.2}}}
	if ack := setRegion(t, c, 3, 0, -1, thin); !ack.Success {
		t.Fatalf("set region: %+v", ack)
	}
	id := int32(1)

	sendMsg(t, c, icd.EventType_SET_STATS_REQUIREMENTS, 30, 4, &icd.SetStatsRequirements{FileId: 0, RegionId: id,
		StatsConfigs: []*icd.SetStatsRequirements_StatsConfig{{Coordinate: "z", StatsTypes: allStats}}})
	st := expect(t, c, icd.EventType_REGION_STATS_DATA, &icd.RegionStatsData{})
	if st.RegionId != id || st.Channel != 0 || len(st.Statistics) != len(allStats) {
		t.Fatalf("stats %+v", st)
	}
	for i, s := range st.Statistics {
		if s.StatsType != allStats[i] {
			t.Errorf("statistic %d is %v, want %v", i, s.StatsType, allStats[i])
		}
		if s.StatsType == icd.StatsType_NumPixels && s.Value != 0 || s.StatsType != icd.StatsType_NumPixels && !math.IsNaN(s.Value) {
			t.Errorf("%v = %g, want NumPixels 0 and NaN for the others", s.StatsType, s.Value)
		}
	}

	cfg := &icd.HistogramConfig{Coordinate: "z", Channel: -1, NumBins: -1}
	sendMsg(t, c, icd.EventType_SET_HISTOGRAM_REQUIREMENTS, 30, 5, &icd.SetHistogramRequirements{FileId: 0, RegionId: id,
		Histograms: []*icd.HistogramConfig{cfg}})
	hd := expect(t, c, icd.EventType_REGION_HISTOGRAM_DATA, &icd.RegionHistogramData{})
	hg := hd.Histograms
	if hd.RegionId != id || hd.Progress != 1 || hg.NumBins != 1 || hg.BinWidth != 0 || hg.FirstBinCenter != 0 ||
		len(hg.Bins) != 1 || hg.Bins[0] != 0 || !math.IsNaN(hg.Mean) || !math.IsNaN(hg.StdDev) {
		t.Fatalf("histogram %+v", hd)
	}

	want := []icd.StatsType{icd.StatsType_NumPixels, icd.StatsType_Sum, icd.StatsType_Mean}
	sendMsg(t, c, icd.EventType_SET_SPECTRAL_REQUIREMENTS, 30, 6, &icd.SetSpectralRequirements{FileId: 0, RegionId: id,
		SpectralProfiles: []*icd.SetSpectralRequirements_SpectralConfig{{Coordinate: "z", StatsTypes: want}}})
	sp := expect(t, c, icd.EventType_SPECTRAL_PROFILE_DATA, &icd.SpectralProfileData{})
	if sp.RegionId != id || sp.Progress != 1 || len(sp.Profiles) != len(want) {
		t.Fatalf("spectral profile %+v", sp)
	}
	for i, p := range sp.Profiles {
		vals := p.RawValuesFp64
		if p.StatsType != want[i] || p.Coordinate != "z" || len(vals) != 3*8 {
			t.Fatalf("profile %d: %v of %d bytes", i, p.StatsType, len(vals))
		}
		for ch := range 3 {
			if v := math.Float64frombits(binary.LittleEndian.Uint64(vals[8*ch:])); !math.IsNaN(v) {
				t.Errorf("%v in channel %d = %g, want NaN", p.StatsType, ch, v)
			}
		}
	}
	noErrorsToPong(t, c)
}

// TestPointRegionOffTheImage: a point region off the image gets spectral
// profiles of NaN, complete at once, as a region the reference cannot
// apply to the image (carta-backend src/Region/RegionHandler.cc:1886-1891).
func TestPointRegionOffTheImage(t *testing.T) {
	c := emptyCubeClient(t)
	off := &icd.RegionInfo{RegionType: icd.RegionType_POINT, ControlPoints: []*icd.Point{{X: -50, Y: 20}}}
	if ack := setRegion(t, c, 3, 0, -1, off); !ack.Success {
		t.Fatalf("set region: %+v", ack)
	}
	sendMsg(t, c, icd.EventType_SET_SPECTRAL_REQUIREMENTS, 30, 4, &icd.SetSpectralRequirements{FileId: 0, RegionId: 1,
		SpectralProfiles: []*icd.SetSpectralRequirements_SpectralConfig{{Coordinate: "z", StatsTypes: []icd.StatsType{icd.StatsType_Sum}}}})
	sp := expect(t, c, icd.EventType_SPECTRAL_PROFILE_DATA, &icd.SpectralProfileData{})
	if sp.RegionId != 1 || sp.Progress != 1 || len(sp.Profiles) != 1 || len(sp.Profiles[0].RawValuesFp64) != 3*8 {
		t.Fatalf("spectral profile %+v", sp)
	}
	for ch := range 3 {
		if v := math.Float64frombits(binary.LittleEndian.Uint64(sp.Profiles[0].RawValuesFp64[8*ch:])); !math.IsNaN(v) {
			t.Errorf("channel %d = %g, want NaN", ch, v)
		}
	}
	noErrorsToPong(t, c)
}
