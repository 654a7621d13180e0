package session

import (
	"encoding/binary"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	"cartago/icd"
	"cartago/imaging/fits"
	"cartago/imaging/sample"
	"cartago/imaging/tiles"
	"cartago/imaging/tooltest"
)

// IDIA HDF5 fixtures are converted from our FITS samples by
// scripts/fits2hdf5.py with Debian's h5py; an image must look the same
// through either file.

// needH5py skips without python3-h5py, but fails under scripts/test.sh
// (CARTAGO_REQUIRE_TOOLS), which installs it.
func needH5py(t *testing.T) {
	t.Helper()
	tooltest.NeedPython(t, "python3-h5py python3-astropy", "h5py", "astropy")
}

// toIDIA converts src into dst with the script's options.
func toIDIA(t *testing.T, src, dst string, args ...string) {
	t.Helper()
	needH5py(t)
	cmd := exec.Command(tooltest.Python, append([]string{"../scripts/fits2hdf5.py", src, dst}, args...)...)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("fits2hdf5.py %s: %v\n%s", filepath.Base(src), err, out)
	}
}

// idiaVariants are the layouts the equivalence tests cover: contiguous
// with every optional dataset (mips down to 128 pixels), chunked with
// deflate and shuffle in the newest format (fixed-array chunk index,
// dense attributes), and the bare image, computed like a FITS file.
var idiaVariants = map[string][]string{
	"full":    {"--mip-tile", "128"},
	"chunked": {"--chunk", "96", "--deflate", "--shuffle", "--mip-tile", "128", "--libver", "latest"},
	"bare":    {"--no-mips", "--no-stats", "--no-swizzle"},
}

// writeMipCube writes a 600×520×3 cube (three tile layers) of noise
// with NaN patches, large enough for mip levels.
func writeMipCube(t *testing.T, path string) {
	t.Helper()
	const w, h, d = 600, 520, 3
	data := make([]float32, w*h*d)
	for i := range data {
		x, y := i%w, (i/w)%h
		data[i] = float32(math.Sin(float64(i)*0.37)*3 + float64(x)*0.01 - float64(y)*0.02)
		if (x/40+y/40)%7 == 0 || (i/(w*h) == 2 && x > 300) {
			data[i] = float32(math.NaN())
		}
	}
	f, err := os.Create(path)
	must(t, err)
	defer f.Close()
	must(t, fits.Write(f, fits.WriteHDU{Bitpix: -32, Naxis: []int{w, h, d}, Data: data, Cards: []fits.Card{
		fits.NewStringCard("CTYPE1", "RA---SIN", ""), fits.NewStringCard("CTYPE2", "DEC--SIN", ""),
		fits.NewStringCard("CTYPE3", "VRAD", ""), fits.NewFloatCard("CRVAL3", 1000, ""), fits.NewFloatCard("CDELT3", -250, ""),
		fits.NewStringCard("BUNIT", "Jy/beam", "flux"), fits.NewFloatCard("BMAJ", 0.001, ""), fits.NewFloatCard("BMIN", 0.0005, ""),
	}}))
}

func TestIDIAMatchesFITS(t *testing.T) {
	needH5py(t)
	dir := t.TempDir()
	must(t, sample.Generate(t.Context(), dir, sample.Options{Small: true}))
	writeMipCube(t, filepath.Join(dir, "mips.fits"))
	for _, src := range []string{"image-4096.fits", "cube-512x512x200.fits", "cube-stokes.fits", "mips.fits"} {
		want := idiaScenario(t, dir, src)
		for name, args := range idiaVariants {
			dst := fmt.Sprintf("%s-%s.hdf5", src, name)
			toIDIA(t, filepath.Join(dir, src), filepath.Join(dir, dst), args...)
			t.Run(src+"/"+name, func(t *testing.T) {
				got := idiaScenario(t, dir, dst)
				compareScenarios(t, want, got)
			})
		}
	}
}

// scenario is what a session answered, by kind of answer.
type scenario map[string][][]byte

// idiaScenario opens file in a new session and asks for what a viewer
// asks for: the image histogram, every tile raw and ZFP, cursor
// profiles, the cube histogram, a region's statistics, spectrum and
// histogram, then another channel and Stokes.
func idiaScenario(t *testing.T, dir, file string) scenario {
	t.Helper()
	c := folderPipe(t, dir)
	out := scenario{}
	sendMsg(t, c, icd.EventType_OPEN_FILE, icd.Version, 2, &icd.OpenFile{Directory: ".", File: file, FileId: 0})
	gather(t, c, out, map[string]int{"ack": 1, "hist -1 0 0": 1})
	var ack icd.OpenFileAck
	must(t, proto.Unmarshal(out["ack"][0], &ack))
	ext := ack.FileInfoExtended
	w, h, depth, nst := int(ext.Width), int(ext.Height), int(ext.Depth), int(ext.Stokes)
	all := allTiles(w, h)
	for _, ct := range []icd.CompressionType{icd.CompressionType_NONE, icd.CompressionType_ZFP} {
		sendMsg(t, c, icd.EventType_ADD_REQUIRED_TILES, icd.Version, 0, &icd.AddRequiredTiles{FileId: 0, Tiles: all, CompressionType: ct, CompressionQuality: 11})
		gather(t, c, out, map[string]int{fmt.Sprintf("tile 0 0 %d", ct): len(all)})
	}
	sendMsg(t, c, icd.EventType_SET_SPATIAL_REQUIREMENTS, icd.Version, 0, &icd.SetSpatialRequirements{FileId: 0, RegionId: 0,
		SpatialProfiles: []*icd.SetSpatialRequirements_SpatialConfig{{Coordinate: "x"}, {Coordinate: "y"}}})
	if depth > 1 {
		sendMsg(t, c, icd.EventType_SET_SPECTRAL_REQUIREMENTS, icd.Version, 0, &icd.SetSpectralRequirements{FileId: 0, RegionId: 0,
			SpectralProfiles: []*icd.SetSpectralRequirements_SpectralConfig{{Coordinate: "z"}}})
	}
	sendMsg(t, c, icd.EventType_SET_CURSOR, icd.Version, 0, &icd.SetCursor{FileId: 0, Point: &icd.Point{X: float32(w / 3), Y: float32(h / 2)}})
	want := map[string]int{"spatial 0": 1}
	if depth > 1 {
		want["spectral 0"] = 1
	}
	gather(t, c, out, want)
	if depth > 1 {
		sendMsg(t, c, icd.EventType_SET_HISTOGRAM_REQUIREMENTS, icd.Version, 0, &icd.SetHistogramRequirements{FileId: 0, RegionId: regionCube,
			Histograms: []*icd.HistogramConfig{{Coordinate: "z", Channel: channelAll, NumBins: -1}}})
		gather(t, c, out, map[string]int{"hist -2 -2 0": 1})
	}
	sendMsg(t, c, icd.EventType_SET_REGION, icd.Version, 3, &icd.SetRegion{FileId: 0, RegionId: -1, RegionInfo: &icd.RegionInfo{
		RegionType: icd.RegionType_RECTANGLE, ControlPoints: []*icd.Point{{X: float32(w / 2), Y: float32(h / 2)}, {X: float32(w / 3), Y: float32(h / 4)}}}})
	gather(t, c, out, map[string]int{"regionack": 1})
	var rack icd.SetRegionAck
	must(t, proto.Unmarshal(out["regionack"][0], &rack))
	rid := rack.RegionId
	sendMsg(t, c, icd.EventType_SET_STATS_REQUIREMENTS, icd.Version, 0, &icd.SetStatsRequirements{FileId: 0, RegionId: rid,
		StatsConfigs: []*icd.SetStatsRequirements_StatsConfig{{Coordinate: "z", StatsTypes: []icd.StatsType{icd.StatsType_NumPixels, icd.StatsType_Sum, icd.StatsType_Mean, icd.StatsType_Min, icd.StatsType_Max, icd.StatsType_Sigma}}}})
	sendMsg(t, c, icd.EventType_SET_HISTOGRAM_REQUIREMENTS, icd.Version, 0, &icd.SetHistogramRequirements{FileId: 0, RegionId: rid,
		Histograms: []*icd.HistogramConfig{{Coordinate: "z", Channel: -1, NumBins: -1}}})
	want = map[string]int{fmt.Sprintf("stats %d", rid): 1, fmt.Sprintf("hist %d 0 0", rid): 1}
	if depth > 1 {
		sendMsg(t, c, icd.EventType_SET_SPECTRAL_REQUIREMENTS, icd.Version, 0, &icd.SetSpectralRequirements{FileId: 0, RegionId: rid,
			SpectralProfiles: []*icd.SetSpectralRequirements_SpectralConfig{{Coordinate: "z", StatsTypes: []icd.StatsType{icd.StatsType_Sum, icd.StatsType_Mean, icd.StatsType_Max}}}})
		want[fmt.Sprintf("spectral %d", rid)] = 1
	}
	gather(t, c, out, want)
	if depth > 1 || nst > 1 {
		ch, st := depth-1, nst-1
		sendMsg(t, c, icd.EventType_SET_IMAGE_CHANNELS, icd.Version, 0, &icd.SetImageChannels{FileId: 0, Channel: int32(ch), Stokes: int32(st),
			RequiredTiles: &icd.AddRequiredTiles{FileId: 0, Tiles: all, CompressionType: icd.CompressionType_NONE}})
		gather(t, c, out, map[string]int{fmt.Sprintf("hist -1 %d %d", ch, st): 1, fmt.Sprintf("tile %d %d 0", ch, st): len(all)})
	}
	return out
}

// allTiles lists every tile of every layer of a w×h image.
func allTiles(w, h int) []int32 {
	var out []int32
	for layer := range tiles.Layers(w, h) {
		nx, ny := tiles.LayerTiles(layer, w, h)
		for y := range ny {
			for x := range nx {
				out = append(out, tiles.Encode(x, y, layer))
			}
		}
	}
	return out
}

// gather reads messages until want holds for the kinds of answer it
// names (see kindOf), adding those to out; others are dropped. An error
// fails the test.
func gather(t *testing.T, c *pipe, out scenario, want map[string]int) {
	t.Helper()
	got := map[string]int{}
	done := func() bool {
		for k, n := range want {
			if got[k] < n {
				return false
			}
		}
		return true
	}
	for !done() {
		hdr, b := next(t, c)
		if hdr.Type == icd.EventType_ERROR_DATA {
			t.Fatalf("%s", describe(hdr, b))
		}
		k := kindOf(t, hdr, b)
		if _, ok := want[k]; ok {
			got[k]++
			out[k] = append(out[k], b)
		}
	}
}

// kindOf names an answer: its type and what it is about.
func kindOf(t *testing.T, hdr icd.Header, b []byte) string {
	switch hdr.Type {
	case icd.EventType_OPEN_FILE_ACK:
		return "ack"
	case icd.EventType_SET_REGION_ACK:
		return "regionack"
	case icd.EventType_REGION_HISTOGRAM_DATA:
		var m icd.RegionHistogramData
		must(t, proto.Unmarshal(b, &m))
		if m.Progress < 1 {
			return ""
		}
		return fmt.Sprintf("hist %d %d %d", m.RegionId, m.Channel, m.Stokes)
	case icd.EventType_RASTER_TILE_DATA:
		var m icd.RasterTileData
		must(t, proto.Unmarshal(b, &m))
		return fmt.Sprintf("tile %d %d %d", m.Channel, m.Stokes, m.CompressionType)
	case icd.EventType_SPATIAL_PROFILE_DATA:
		var m icd.SpatialProfileData
		must(t, proto.Unmarshal(b, &m))
		return fmt.Sprintf("spatial %d", m.RegionId)
	case icd.EventType_SPECTRAL_PROFILE_DATA:
		var m icd.SpectralProfileData
		must(t, proto.Unmarshal(b, &m))
		if m.Progress < 1 {
			return ""
		}
		return fmt.Sprintf("spectral %d", m.RegionId)
	case icd.EventType_REGION_STATS_DATA:
		var m icd.RegionStatsData
		must(t, proto.Unmarshal(b, &m))
		return fmt.Sprintf("stats %d", m.RegionId)
	}
	return ""
}

// compareScenarios holds the HDF5 image's answers to the FITS one's:
// identical bytes for pixels (tiles, profiles, counts); sums within
// float64 rounding, as the IDIA statistics were summed in another order.
func compareScenarios(t *testing.T, fitsAns, h5Ans scenario) {
	t.Helper()
	keys := func(s scenario) []string {
		var k []string
		for key := range s {
			k = append(k, key)
		}
		slices.Sort(k)
		return k
	}
	if !slices.Equal(keys(fitsAns), keys(h5Ans)) {
		t.Fatalf("answers %v, want %v", keys(h5Ans), keys(fitsAns))
	}
	for _, k := range keys(fitsAns) {
		a, b := fitsAns[k], h5Ans[k]
		switch {
		case k == "ack":
			compareAcks(t, a[0], b[0])
		case k[:4] == "tile":
			compareTiles(t, k, a, b)
		case k[:4] == "hist":
			compareHistograms(t, k, a[0], b[0])
		case k == "regionack":
		default:
			compareProfiles(t, k, a[0], b[0])
		}
	}
}

func compareAcks(t *testing.T, a, b []byte) {
	t.Helper()
	var fa, fb icd.OpenFileAck
	must(t, proto.Unmarshal(a, &fa))
	must(t, proto.Unmarshal(b, &fb))
	if fb.FileInfo.Type != icd.FileType_HDF5 || !slices.Equal(fb.FileInfo.HDUList, []string{"0"}) {
		t.Errorf("file info %v", fb.FileInfo)
	}
	ea, eb := fa.FileInfoExtended, fb.FileInfoExtended
	if !proto.Equal(ea.AxesNumbers, eb.AxesNumbers) || ea.Width != eb.Width || ea.Height != eb.Height || ea.Depth != eb.Depth ||
		ea.Stokes != eb.Stokes || ea.Dimensions != eb.Dimensions || !slices.Equal(ea.StokesVals, eb.StokesVals) {
		t.Errorf("extended info %v, want %v", eb, ea)
	}
	if len(ea.ComputedEntries) != len(eb.ComputedEntries) {
		t.Errorf("%d computed entries, want %d", len(eb.ComputedEntries), len(ea.ComputedEntries))
	}
	for i := range min(len(ea.ComputedEntries), len(eb.ComputedEntries)) {
		if x, y := ea.ComputedEntries[i], eb.ComputedEntries[i]; x.Name != y.Name || (x.Value != y.Value && x.Name != "Name") {
			t.Errorf("computed entry %q = %q, want %q = %q", y.Name, y.Value, x.Name, x.Value)
		}
	}
	hb := map[string]*icd.HeaderEntry{}
	for _, e := range eb.HeaderEntries {
		hb[e.Name] = e
	}
	for _, e := range ea.HeaderEntries {
		if e.Name == "COMMENT" || e.Name == "HISTORY" || e.Name == "" || e.Name == "END" {
			continue
		}
		g := hb[e.Name]
		switch {
		case g == nil:
			t.Errorf("header entry %s missing", e.Name)
		case g.EntryType != e.EntryType || g.NumericValue != e.NumericValue:
			t.Errorf("header entry %s = %v %v, want %v %v", e.Name, g.EntryType, g.NumericValue, e.EntryType, e.NumericValue)
		case e.EntryType == icd.EntryType_STRING && g.Value != e.Value:
			t.Errorf("header entry %s = %q, want %q", e.Name, g.Value, e.Value)
		}
	}
	if !proto.Equal(&icd.OpenFileAck{BeamTable: fa.BeamTable}, &icd.OpenFileAck{BeamTable: fb.BeamTable}) {
		t.Errorf("beams %v, want %v", fb.BeamTable, fa.BeamTable)
	}
}

func compareTiles(t *testing.T, k string, a, b [][]byte) {
	t.Helper()
	index := func(msgs [][]byte) map[int32]*icd.TileData {
		out := map[int32]*icd.TileData{}
		for _, m := range msgs {
			var d icd.RasterTileData
			must(t, proto.Unmarshal(m, &d))
			tl := d.Tiles[0]
			out[tiles.Encode(int(tl.X), int(tl.Y), int(tl.Layer))] = tl
		}
		return out
	}
	ia, ib := index(a), index(b)
	for id, x := range ia {
		y := ib[id]
		if y == nil || !proto.Equal(x, y) {
			t.Errorf("%s: tile %v differs", k, tiles.Decode(id))
		}
	}
}

func compareHistograms(t *testing.T, k string, a, b []byte) {
	t.Helper()
	var ha, hb icd.RegionHistogramData
	must(t, proto.Unmarshal(a, &ha))
	must(t, proto.Unmarshal(b, &hb))
	x, y := ha.Histograms, hb.Histograms
	if x.NumBins != y.NumBins || x.BinWidth != y.BinWidth || x.FirstBinCenter != y.FirstBinCenter || !slices.Equal(x.Bins, y.Bins) {
		t.Errorf("%s: %d bins of %g from %g, want %d of %g from %g (counts equal: %v)", k, y.NumBins, y.BinWidth, y.FirstBinCenter,
			x.NumBins, x.BinWidth, x.FirstBinCenter, slices.Equal(x.Bins, y.Bins))
	}
	if !relClose(x.Mean, y.Mean, 1e-9) || !relClose(x.StdDev, y.StdDev, 1e-7) {
		t.Errorf("%s: mean %g σ %g, want %g %g", k, y.Mean, y.StdDev, x.Mean, x.StdDev)
	}
}

// compareProfiles compares spatial and spectral profiles and region
// statistics: float32 values bit for bit, float64 ones within rounding.
func compareProfiles(t *testing.T, k string, a, b []byte) {
	t.Helper()
	var ma, mb proto.Message
	switch k[:4] {
	case "spat":
		ma, mb = &icd.SpatialProfileData{}, &icd.SpatialProfileData{}
	case "spec":
		ma, mb = &icd.SpectralProfileData{}, &icd.SpectralProfileData{}
	default:
		ma, mb = &icd.RegionStatsData{}, &icd.RegionStatsData{}
	}
	must(t, proto.Unmarshal(a, ma))
	must(t, proto.Unmarshal(b, mb))
	if sa, ok := ma.(*icd.RegionStatsData); ok {
		sb := mb.(*icd.RegionStatsData)
		for i, v := range sa.Statistics {
			if w := sb.Statistics[i]; v.StatsType != w.StatsType || !relClose(v.Value, w.Value, 1e-12) {
				t.Errorf("%s: %v = %v, want %v", k, w.StatsType, w.Value, v.Value)
			}
		}
		return
	}
	if !proto.Equal(ma, mb) {
		t.Errorf("%s differs:\n got %v\nwant %v", k, mb, ma)
	}
}

func relClose(a, b, rel float64) bool {
	if math.IsNaN(a) || math.IsNaN(b) {
		return math.IsNaN(a) && math.IsNaN(b)
	}
	return math.Abs(a-b) <= rel*math.Max(math.Abs(a), math.Abs(b))
}

// TestIDIAStoredDataIsUsed changes the optional datasets of a file so
// that they disagree with DATA: the answers must then come from them,
// which shows that histograms come from Statistics, zoomed-out tiles
// from MipMaps and cursor spectra from SwizzledData without computing.
func TestIDIAStoredDataIsUsed(t *testing.T) {
	needH5py(t)
	dir := t.TempDir()
	writeMipCube(t, filepath.Join(dir, "mips.fits"))
	toIDIA(t, filepath.Join(dir, "mips.fits"), filepath.Join(dir, "mips.hdf5"), "--mip-tile", "128")
	alter := `import h5py, sys
with h5py.File(sys.argv[1], "r+") as f:
    g = f["0"]
    g["Statistics/XY/HISTOGRAM"][...] = g["Statistics/XY/HISTOGRAM"][...] * 2
    g["Statistics/XYZ/HISTOGRAM"][...] = g["Statistics/XYZ/HISTOGRAM"][...] * 3
    for m in g["MipMaps/DATA"].values():
        m[...] = -m[...]
    g["SwizzledData/ZYX"][...] = -g["SwizzledData/ZYX"][...]
`
	if out, err := exec.Command(tooltest.Python, "-c", alter, filepath.Join(dir, "mips.hdf5")).CombinedOutput(); err != nil {
		t.Fatalf("altering the file: %v\n%s", err, out)
	}
	want, got := idiaScenario(t, dir, "mips.fits"), idiaScenario(t, dir, "mips.hdf5")
	hist := func(s scenario, k string) []int32 {
		var m icd.RegionHistogramData
		must(t, proto.Unmarshal(s[k][0], &m))
		return m.Histograms.Bins
	}
	for k, factor := range map[string]int32{"hist -1 0 0": 2, "hist -1 2 0": 2, "hist -2 -2 0": 3} {
		w, g := hist(want, k), hist(got, k)
		for i := range w {
			if g[i] != factor*w[i] {
				t.Fatalf("%s: bin %d = %d, want %d × %d from the stored histogram", k, i, g[i], factor, w[i])
			}
		}
	}
	var ws, gs icd.SpectralProfileData
	must(t, proto.Unmarshal(want["spectral 0"][0], &ws))
	must(t, proto.Unmarshal(got["spectral 0"][0], &gs))
	wv, gv := floats(ws.Profiles[0].RawValuesFp32), floats(gs.Profiles[0].RawValuesFp32)
	for i := range wv {
		if gv[i] != -wv[i] && !(math.IsNaN(float64(wv[i])) && math.IsNaN(float64(gv[i]))) {
			t.Fatalf("cursor spectrum[%d] = %g, want %g from the swizzled copy", i, gv[i], -wv[i])
		}
	}
	var wr, gr icd.SpectralProfileData // the region's, from the swizzled copy too
	for k := range want {
		if strings.HasPrefix(k, "spectral ") && k != "spectral 0" {
			must(t, proto.Unmarshal(want[k][0], &wr))
			must(t, proto.Unmarshal(got[k][0], &gr))
		}
	}
	if len(wr.Profiles) == 0 || wr.Profiles[0].StatsType != icd.StatsType_Sum {
		t.Fatalf("no region spectrum of sums: %v", &wr)
	}
	wsum, gsum := float64s(wr.Profiles[0].RawValuesFp64), float64s(gr.Profiles[0].RawValuesFp64)
	for i := range wsum {
		if gsum[i] != -wsum[i] {
			t.Fatalf("region spectrum sum[%d] = %g, want %g from the swizzled copy", i, gsum[i], -wsum[i])
		}
	}
	tilesOf := func(s scenario) map[int32][]float32 {
		out := map[int32][]float32{}
		for _, b := range s["tile 0 0 0"] {
			var d icd.RasterTileData
			must(t, proto.Unmarshal(b, &d))
			tl := d.Tiles[0]
			out[tiles.Encode(int(tl.X), int(tl.Y), int(tl.Layer))] = floats(tl.ImageData)
		}
		return out
	}
	wt, gt := tilesOf(want), tilesOf(got)
	mipped := 0
	for id, w := range wt {
		mip := tiles.Mip(tiles.Decode(id).Layer, tiles.Layers(600, 520))
		for i, v := range w {
			if math.IsNaN(float64(v)) || math.Abs(float64(v)) == math.MaxFloat32 { // blank (raw tiles carry NaN as -FLT_MAX)
				continue
			}
			if g := gt[id][i]; (mip > 1 && g != -v) || (mip == 1 && g != v) {
				t.Fatalf("tile %v (mip %d) value %d = %g, FITS %g", tiles.Decode(id), mip, i, g, v)
			}
		}
		if mip > 1 {
			mipped++
		}
	}
	if mipped == 0 {
		t.Fatal("no tile below full resolution was checked")
	}
}

// TestIDIAListedAndDescribed: the file browser lists an HDF5 file (by
// content, whatever its name) with type HDF5, FILE_INFO describes its
// one image "0" like the FITS it came from, a non-IDIA HDF5 file gets
// a clear error, and hypercubes refuse HDF5 parts.
func TestIDIAListedAndDescribed(t *testing.T) {
	needH5py(t)
	dir := t.TempDir()
	must(t, sample.Generate(t.Context(), dir, sample.Options{Small: true}))
	toIDIA(t, filepath.Join(dir, "cube-stokes.fits"), filepath.Join(dir, "stokes.h5"))
	toIDIA(t, filepath.Join(dir, "cube-stokes.fits"), filepath.Join(dir, "renamed.dat"), "--no-mips")
	plain := `import h5py, sys
with h5py.File(sys.argv[1], "w") as f:
    f["x"] = [1.0, 2.0]
`
	if out, err := exec.Command(tooltest.Python, "-c", plain, filepath.Join(dir, "other.hdf5")).CombinedOutput(); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	c := folderPipe(t, dir)
	sendMsg(t, c, icd.EventType_FILE_LIST_REQUEST, icd.Version, 2, &icd.FileListRequest{Directory: "."})
	var list icd.FileListResponse
	recv(t, c, icd.EventType_FILE_LIST_RESPONSE, 2, &list)
	types := map[string]icd.FileType{}
	for _, f := range list.Files {
		types[f.Name] = f.Type
	}
	for name, want := range map[string]icd.FileType{"stokes.h5": icd.FileType_HDF5, "renamed.dat": icd.FileType_HDF5,
		"other.hdf5": icd.FileType_HDF5, "cube-stokes.fits": icd.FileType_FITS} {
		if types[name] != want {
			t.Errorf("%s listed as %v, want %v (list %v)", name, types[name], want, types)
		}
	}
	fitsInfo := requestInfo(t, c, 3, "cube-stokes.fits", "")
	h5Info := requestInfo(t, c, 4, "stokes.h5", "")
	if h5Info.FileInfo.Type != icd.FileType_HDF5 || !slices.Equal(h5Info.FileInfo.HDUList, []string{"0"}) {
		t.Fatalf("file info %v", h5Info.FileInfo)
	}
	a, b := fitsInfo.FileInfoExtended["0"], h5Info.FileInfoExtended["0"]
	if b == nil || a.Width != b.Width || a.Depth != b.Depth || a.Stokes != b.Stokes || len(a.ComputedEntries) != len(b.ComputedEntries) {
		t.Fatalf("extended info %v, want %v", b, a)
	}
	for i := range a.ComputedEntries {
		if x, y := a.ComputedEntries[i], b.ComputedEntries[i]; x.Name != "Name" && x.Value != y.Value {
			t.Errorf("computed %s = %q, want %q", y.Name, y.Value, x.Value)
		}
	}
	sendMsg(t, c, icd.EventType_FILE_INFO_REQUEST, icd.Version, 5, &icd.FileInfoRequest{Directory: ".", File: "other.hdf5"})
	var bad icd.FileInfoResponse
	recv(t, c, icd.EventType_FILE_INFO_RESPONSE, 5, &bad)
	if bad.Success || !strings.Contains(bad.Message, "IDIA") {
		t.Errorf("non-IDIA file: success %v, message %q", bad.Success, bad.Message)
	}
	sendMsg(t, c, icd.EventType_CONCAT_STOKES_FILES, icd.Version, 6, &icd.ConcatStokesFiles{FileId: 1, StokesFiles: []*icd.StokesFile{
		{Directory: ".", File: "stokes.h5", Hdu: "0", PolarizationType: icd.PolarizationType_I},
		{Directory: ".", File: "renamed.dat", Hdu: "0", PolarizationType: icd.PolarizationType_Q}}})
	var cack icd.ConcatStokesFilesAck
	recv(t, c, icd.EventType_CONCAT_STOKES_FILES_ACK, 6, &cack)
	if cack.Success || !strings.Contains(cack.Message, "FITS") {
		t.Errorf("hypercube of HDF5 files: success %v, message %q", cack.Success, cack.Message)
	}
}

func float64s(b []byte) []float64 {
	out := make([]float64, len(b)/8)
	for i := range out {
		out[i] = math.Float64frombits(binary.LittleEndian.Uint64(b[8*i:]))
	}
	return out
}
