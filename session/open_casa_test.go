package session

import (
	"bytes"
	"context"
	"maps"
	"math"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	"cartago/icd"
	"cartago/imaging/casa/casatest"
	"cartago/imaging/sample"
)

// casaPair is a sample FITS file and the CASA image made of it.
type casaPair struct{ fits, casa string }

var casaPairs = []casaPair{
	{"image-4096.fits", "image.im"},
	{"cube-512x512x200.fits", "cube.im"},
	{"cube-stokes.fits", "stokes.im"},
	{"cube-masked.fits", "cube-masked.im"},
	{"stokes-first.fits", "stokes-first.im"},
}

// stokesFirst swaps the spectral and Stokes axes of the Stokes cube
// (x, y, Stokes, frequency), the order CASA's tclean writes.
func stokesFirst(im *casatest.Image) {
	plane, nc, ns := im.Naxis[0]*im.Naxis[1], im.Naxis[2], im.Naxis[3]
	data := make([]float32, len(im.Data))
	for c := range nc {
		for s := range ns {
			copy(data[(c*ns+s)*plane:(c*ns+s+1)*plane], im.Data[(s*nc+c)*plane:(s*nc+c+1)*plane])
		}
	}
	im.Data, im.Naxis[2], im.Naxis[3] = data, ns, nc
	for i, c := range im.Cards {
		if n := len(c.Name); n > 1 && (c.Name[n-1] == '3' || c.Name[n-1] == '4') && strings.HasPrefix(c.Name, "C") {
			im.Cards[i].Name = c.Name[:n-1] + map[byte]string{'3': "4", '4': "3"}[c.Name[n-1]]
		}
	}
}

// casaRoot writes the small samples and CASA images of them: the 2-D
// image with its mask (the masked pixels' data zeroed, so only the mask
// blanks them), the cube big-endian in odd tiles, the Stokes cube
// little-endian, and a copy of the cube with a NaN block through some
// channels, masked and zeroed likewise.
func casaRoot(t *testing.T) string {
	t.Helper()
	casatest.Require(t)
	root := t.TempDir()
	must(t, sample.Generate(context.Background(), root, sample.Options{Small: true}))
	casatest.Variant(t, filepath.Join(root, "cube-512x512x200.fits"), filepath.Join(root, "cube-masked.fits"),
		func(im *casatest.Image) {
			w, h := im.Naxis[0], im.Naxis[1]
			for c := 2; c < 6; c++ {
				for y := 2; y < 13; y++ {
					for x := 1; x < 10; x++ {
						im.Data[(c*h+y)*w+x] = float32(math.NaN())
					}
				}
			}
		})
	casatest.Variant(t, filepath.Join(root, "cube-stokes.fits"), filepath.Join(root, "stokes-first.fits"), stokesFirst)
	opts := map[string][]string{
		"cube-masked.im":  {"--zero-masked", "--tile", "5,6,3"},
		"stokes-first.im": {"--tile", "6,5,3,2"},
		"image.im":        {"--zero-masked", "--tile", "9,7"},
		"cube.im":         {"--endian", "big", "--tile", "7,5,3", "--no-mask"},
		"stokes.im":       {"--endian", "little"},
	}
	for _, p := range casaPairs {
		casatest.Convert(t, filepath.Join(root, p.fits), filepath.Join(root, p.casa), opts[p.casa]...)
	}
	return root
}

func TestCasaImagesListedAsFiles(t *testing.T) {
	root := casaRoot(t)
	c := folderPipe(t, root)
	sendMsg(t, c, icd.EventType_FILE_LIST_REQUEST, 30, 2, &icd.FileListRequest{Directory: "."})
	var resp icd.FileListResponse
	recv(t, c, icd.EventType_FILE_LIST_RESPONSE, 2, &resp)
	types := map[string]icd.FileType{}
	for _, f := range resp.Files {
		types[f.Name] = f.Type
		if f.Type == icd.FileType_CASA && f.Size < 1000 {
			t.Errorf("%s: size %d", f.Name, f.Size)
		}
	}
	for _, p := range casaPairs {
		if types[p.casa] != icd.FileType_CASA || types[p.fits] != icd.FileType_FITS {
			t.Errorf("%s listed as %v, %s as %v", p.casa, types[p.casa], p.fits, types[p.fits])
		}
	}
	for _, d := range resp.Subdirectories {
		if strings.HasSuffix(d.Name, ".im") {
			t.Errorf("CASA image %s listed as a folder", d.Name)
		}
	}
}

// TestCasaMatchesFITS drives one session on the FITS file and one on
// the CASA image made of it through the same requests and compares what
// they send: file information, tiles (raw and ZFP), histograms,
// statistics, cursor values, spatial and spectral profiles.
func TestCasaMatchesFITS(t *testing.T) {
	root := casaRoot(t)
	for _, p := range casaPairs {
		t.Run(p.casa, func(t *testing.T) {
			f, c := folderPipe(t, root), folderPipe(t, root)
			fileInfoBoth(t, f, c, p)
			fa, ca := openBoth(t, f, c, p)
			compareInfo(t, fa.FileInfoExtended, ca.FileInfoExtended, p)
			if ca.FileInfo.Type != icd.FileType_CASA || !slices.Equal(ca.FileInfo.HDUList, []string{""}) {
				t.Errorf("ack file info %+v", ca.FileInfo)
			}
			if !proto.Equal(&icd.OpenFileAck{BeamTable: fa.BeamTable}, &icd.OpenFileAck{BeamTable: ca.BeamTable}) {
				t.Errorf("beam table %v, FITS %v", ca.BeamTable, fa.BeamTable)
			}
			ext := fa.FileInfoExtended
			for _, comp := range []icd.CompressionType{icd.CompressionType_NONE, icd.CompressionType_ZFP} {
				same(t, f, c, "tiles", tileGroupDone, func(p *pipe) {
					sendMsg(t, p, icd.EventType_ADD_REQUIRED_TILES, 30, 3, &icd.AddRequiredTiles{FileId: 0,
						Tiles: []int32{0, 1 << 24, 1<<24 | 1, 1<<24 | 1<<12, 1<<24 | 1<<12 | 1}, CompressionType: comp, CompressionQuality: 11})
				})
			}
			channel, stokes := min(2, ext.Depth-1), min(1, ext.Stokes-1)
			if channel > 0 || stokes > 0 {
				same(t, f, c, "channel", allOf(tileGroupDone, histogramDone), func(p *pipe) {
					sendMsg(t, p, icd.EventType_SET_IMAGE_CHANNELS, 30, 4, &icd.SetImageChannels{FileId: 0, Channel: channel, Stokes: stokes,
						RequiredTiles: &icd.AddRequiredTiles{FileId: 0, Tiles: []int32{0}, CompressionType: icd.CompressionType_ZFP, CompressionQuality: 11}})
				})
			}
			all := []icd.StatsType{icd.StatsType_NumPixels, icd.StatsType_Sum, icd.StatsType_FluxDensity, icd.StatsType_Mean,
				icd.StatsType_RMS, icd.StatsType_Sigma, icd.StatsType_SumSq, icd.StatsType_Min, icd.StatsType_Max, icd.StatsType_Extrema}
			same(t, f, c, "image statistics", typeDone(icd.EventType_REGION_STATS_DATA), func(p *pipe) {
				sendMsg(t, p, icd.EventType_SET_STATS_REQUIREMENTS, 30, 5, &icd.SetStatsRequirements{FileId: 0, RegionId: -1,
					StatsConfigs: []*icd.SetStatsRequirements_StatsConfig{{Coordinate: "z", StatsTypes: all}}})
			})
			sendBoth(t, f, c, icd.EventType_SET_SPATIAL_REQUIREMENTS, &icd.SetSpatialRequirements{FileId: 0, RegionId: 0,
				SpatialProfiles: []*icd.SetSpatialRequirements_SpatialConfig{{Coordinate: "x"}, {Coordinate: "y"}}})
			if ext.Depth > 1 {
				sendBoth(t, f, c, icd.EventType_SET_SPECTRAL_REQUIREMENTS, &icd.SetSpectralRequirements{FileId: 0, RegionId: 0,
					SpectralProfiles: []*icd.SetSpectralRequirements_SpectralConfig{{Coordinate: "z"}}})
			}
			for _, xy := range [][2]float32{{3, 4}, {float32(ext.Width) - 1, float32(ext.Height) / 2}} {
				done := typeDone(icd.EventType_SPATIAL_PROFILE_DATA)
				if ext.Depth > 1 {
					done = allOf(done, spectralDone)
				}
				same(t, f, c, "cursor", done, func(p *pipe) {
					sendMsg(t, p, icd.EventType_SET_CURSOR, 30, 6, &icd.SetCursor{FileId: 0, Point: &icd.Point{X: xy[0], Y: xy[1]}})
				})
			}
			same(t, f, c, "region", typeDone(icd.EventType_SET_REGION_ACK), func(p *pipe) {
				sendMsg(t, p, icd.EventType_SET_REGION, 30, 7, &icd.SetRegion{FileId: 0, RegionId: 1, RegionInfo: &icd.RegionInfo{
					RegionType: icd.RegionType_RECTANGLE, ControlPoints: []*icd.Point{{X: 8, Y: 9}, {X: 9, Y: 7}}, Rotation: 20}})
			})
			done := typeDone(icd.EventType_REGION_STATS_DATA)
			if ext.Depth > 1 {
				done = allOf(done, spectralDone)
				sendBoth(t, f, c, icd.EventType_SET_SPECTRAL_REQUIREMENTS, &icd.SetSpectralRequirements{FileId: 0, RegionId: 1,
					SpectralProfiles: []*icd.SetSpectralRequirements_SpectralConfig{{Coordinate: "z", StatsTypes: all}}})
			}
			same(t, f, c, "region statistics and spectrum", done, func(p *pipe) {
				sendMsg(t, p, icd.EventType_SET_STATS_REQUIREMENTS, 30, 8, &icd.SetStatsRequirements{FileId: 0, RegionId: 1,
					StatsConfigs: []*icd.SetStatsRequirements_StatsConfig{{Coordinate: "z", StatsTypes: all}}})
			})
			if ext.Depth > 1 {
				same(t, f, c, "cube histogram", cubeHistogramDone, func(p *pipe) {
					sendMsg(t, p, icd.EventType_SET_HISTOGRAM_REQUIREMENTS, 30, 12, &icd.SetHistogramRequirements{FileId: 0, RegionId: regionCube,
						Histograms: []*icd.HistogramConfig{{Channel: channelAll, FixedNumBins: true, NumBins: 64}}})
				})
				momentsBoth(t, f, c, ext.Depth)
			}
			same(t, f, c, "contours", contoursDone(3), func(p *pipe) {
				sendMsg(t, p, icd.EventType_SET_CONTOUR_PARAMETERS, 30, 13, &icd.SetContourParameters{FileId: 0, ReferenceFileId: 0,
					Levels: []float64{0.001, 0.005, 0.02}, SmoothingMode: icd.SmoothingMode_GaussianBlur, SmoothingFactor: 3,
					DecimationFactor: 4, CompressionLevel: 8, ContourChunkSize: 100000})
			})
		})
	}
}

// momentsBoth makes the integrated moment of both images and compares
// the moment images' tiles.
func momentsBoth(t *testing.T, f, c *pipe, depth int32) {
	t.Helper()
	drainToPong(t, f)
	drainToPong(t, c)
	var id int32
	for _, p := range []*pipe{f, c} {
		sendMsg(t, p, icd.EventType_MOMENT_REQUEST, 30, 10, &icd.MomentRequest{FileId: 0,
			Moments: []icd.Moment{icd.Moment_INTEGRATED_OF_THE_SPECTRUM}, Axis: icd.MomentAxis_SPECTRAL, RegionId: -1,
			SpectralRange: &icd.IntBounds{Min: 0, Max: depth - 1}})
		resp := awaitMoments(t, p, 10)
		if !resp.Success || len(resp.OpenFileAcks) != 1 {
			t.Fatalf("moments: %+v", resp)
		}
		id = resp.OpenFileAcks[0].FileId
	}
	same(t, f, c, "moment image tiles", allOf(tileGroupDone, histogramDone), func(p *pipe) {
		sendMsg(t, p, icd.EventType_ADD_REQUIRED_TILES, 30, 11, &icd.AddRequiredTiles{FileId: id, Tiles: []int32{0},
			CompressionType: icd.CompressionType_NONE})
	})
}

// openBoth opens the FITS file in f and the CASA image in c as file 0
// and checks their first histograms are equal.
func openBoth(t *testing.T, f, c *pipe, p casaPair) (*icd.OpenFileAck, *icd.OpenFileAck) {
	t.Helper()
	var acks [2]*icd.OpenFileAck
	var hists [2][]byte
	for i, x := range []struct {
		p    *pipe
		name string
	}{{f, p.fits}, {c, p.casa}} {
		sendMsg(t, x.p, icd.EventType_OPEN_FILE, 30, 2, &icd.OpenFile{Directory: ".", File: x.name, FileId: 0})
		acks[i] = &icd.OpenFileAck{}
		recv(t, x.p, icd.EventType_OPEN_FILE_ACK, 2, acks[i])
		if !acks[i].Success {
			t.Fatalf("open %s: %s", x.name, acks[i].Message)
		}
		h, b := next(t, x.p)
		if h.Type != icd.EventType_REGION_HISTOGRAM_DATA {
			t.Fatalf("%s: %s after the ack", x.name, describe(h, b))
		}
		hists[i] = b
	}
	if !bytes.Equal(hists[0], hists[1]) {
		t.Fatal("first histograms differ")
	}
	return acks[0], acks[1]
}

// fileInfoBoth compares the FILE_INFO_RESPONSEs of the two files.
func fileInfoBoth(t *testing.T, f, c *pipe, p casaPair) {
	t.Helper()
	var fr, cr icd.FileInfoResponse
	sendMsg(t, f, icd.EventType_FILE_INFO_REQUEST, 30, 1, &icd.FileInfoRequest{Directory: ".", File: p.fits})
	recv(t, f, icd.EventType_FILE_INFO_RESPONSE, 1, &fr)
	sendMsg(t, c, icd.EventType_FILE_INFO_REQUEST, 30, 1, &icd.FileInfoRequest{Directory: ".", File: p.casa})
	recv(t, c, icd.EventType_FILE_INFO_RESPONSE, 1, &cr)
	if !fr.Success || !cr.Success {
		t.Fatalf("file info: %q, %q", fr.Message, cr.Message)
	}
	if cr.FileInfo.Type != icd.FileType_CASA || cr.FileInfo.Name != p.casa || cr.FileInfo.Size == 0 {
		t.Errorf("file info %+v", cr.FileInfo)
	}
	ext, ok := cr.FileInfoExtended[""]
	if !ok || len(cr.FileInfoExtended) != 1 {
		t.Fatalf("extended info keyed %v, want \"\"", slices.Collect(maps.Keys(cr.FileInfoExtended)))
	}
	compareInfo(t, fr.FileInfoExtended["0"], ext, p)
}

// compareInfo: the extended file information agrees, but for the name
// and the header cards casacore does not keep (HISTORY, comments, ...);
// the cards both have agree to float64 rounding.
func compareInfo(t *testing.T, want, got *icd.FileInfoExtended, p casaPair) {
	t.Helper()
	strip := func(e *icd.FileInfoExtended) *icd.FileInfoExtended {
		e = proto.CloneOf(e)
		e.HeaderEntries = nil
		for _, c := range e.ComputedEntries {
			if c.Name == "Name" {
				c.Value = ""
			}
		}
		return e
	}
	if w, g := strip(want), strip(got); !proto.Equal(w, g) {
		t.Errorf("extended info differs:\nCASA %v\nFITS %v", g, w)
	}
	cards := map[string]*icd.HeaderEntry{}
	for _, e := range got.HeaderEntries {
		cards[e.Name] = e
	}
	compared := 0
	for _, w := range want.HeaderEntries {
		g, ok := cards[w.Name]
		if !ok {
			continue
		}
		compared++
		switch w.EntryType {
		case icd.EntryType_FLOAT, icd.EntryType_INT:
			if math.Abs(g.NumericValue-w.NumericValue) > 1e-12*math.Abs(w.NumericValue) {
				t.Errorf("%s = %v, FITS %v", w.Name, g.NumericValue, w.NumericValue)
			}
		default:
			if strings.TrimSpace(g.Value) != strings.TrimSpace(w.Value) {
				t.Errorf("%s = %q, FITS %q", w.Name, g.Value, w.Value)
			}
		}
	}
	if compared < 20 {
		t.Errorf("only %d header cards in common", compared)
	}
}

// doneFunc reports whether what was received completes a step.
type doneFunc func(got []sentFrame) bool

func typeDone(et icd.EventType) doneFunc {
	return func(got []sentFrame) bool {
		return slices.ContainsFunc(got, func(f sentFrame) bool { return f.hdr.Type == et })
	}
}

func tileGroupDone(got []sentFrame) bool {
	for _, f := range got {
		var s icd.RasterTileSync
		if f.hdr.Type == icd.EventType_RASTER_TILE_SYNC && proto.Unmarshal(f.payload, &s) == nil && s.EndSync {
			return true
		}
	}
	return false
}

var histogramDone = typeDone(icd.EventType_REGION_HISTOGRAM_DATA)

func cubeHistogramDone(got []sentFrame) bool {
	for _, f := range got {
		var h icd.RegionHistogramData
		if f.hdr.Type == icd.EventType_REGION_HISTOGRAM_DATA && proto.Unmarshal(f.payload, &h) == nil && h.RegionId == regionCube && h.Progress >= 1 {
			return true
		}
	}
	return false
}

// contoursDone: every level's last chunk (progress 1) arrived.
func contoursDone(levels int) doneFunc {
	return func(got []sentFrame) bool {
		n := 0
		for _, f := range got {
			var m icd.ContourImageData
			if f.hdr.Type == icd.EventType_CONTOUR_IMAGE_DATA && proto.Unmarshal(f.payload, &m) == nil && m.Progress >= 1 {
				n++
			}
		}
		return n >= levels
	}
}

func spectralDone(got []sentFrame) bool {
	for _, f := range got {
		var s icd.SpectralProfileData
		if f.hdr.Type == icd.EventType_SPECTRAL_PROFILE_DATA && proto.Unmarshal(f.payload, &s) == nil && s.Progress >= 1 {
			return true
		}
	}
	return false
}

func allOf(fns ...doneFunc) doneFunc {
	return func(got []sentFrame) bool {
		for _, fn := range fns {
			if !fn(got) {
				return false
			}
		}
		return true
	}
}

// collect reads messages until done.
func collect(t *testing.T, p *pipe, done doneFunc) []sentFrame {
	t.Helper()
	var got []sentFrame
	for !done(got) {
		h, b := next(t, p)
		if h.Type == icd.EventType_ERROR_DATA {
			t.Fatalf("%s", describe(h, b))
		}
		got = append(got, sentFrame{h, b})
	}
	return got
}

func sendBoth(t *testing.T, f, c *pipe, et icd.EventType, m proto.Message) {
	t.Helper()
	sendMsg(t, f, et, 30, 9, m)
	sendMsg(t, c, et, 30, 9, m)
}

// same sends the same request to both sessions and requires that they
// answer with the same messages, byte for byte (the order of messages
// of different types may differ: they come from different workers).
func same(t *testing.T, f, c *pipe, what string, done doneFunc, send func(*pipe)) {
	t.Helper()
	send(f)
	want := collect(t, f, done)
	send(c)
	got := collect(t, c, done)
	key := func(fs []sentFrame) []string {
		var out []string
		for _, x := range fs {
			if x.hdr.Type == icd.EventType_RASTER_TILE_SYNC {
				continue // sync ids count per session
			}
			var h icd.RegionHistogramData
			if x.hdr.Type == icd.EventType_REGION_HISTOGRAM_DATA && proto.Unmarshal(x.payload, &h) == nil && h.Progress < 1 {
				continue // partial cube histograms come as time allows
			}
			out = append(out, x.hdr.Type.String()+":"+string(x.payload))
		}
		slices.Sort(out)
		return out
	}
	w, g := key(want), key(got)
	if len(w) == 0 {
		t.Fatalf("%s: nothing to compare", what)
	}
	if !slices.Equal(w, g) {
		for i := range min(len(w), len(g)) {
			if w[i] != g[i] {
				t.Fatalf("%s: %s differs (%d and %d messages)", what, strings.SplitN(g[i], ":", 2)[0], len(g), len(w))
			}
		}
		t.Fatalf("%s: %d messages, FITS %d", what, len(g), len(w))
	}
}

// TestCasaPerPlaneBeams: an image with a beam per channel (as CASA's
// tclean writes cubes) sends them all in OPEN_FILE_ACK's beam table.
func TestCasaPerPlaneBeams(t *testing.T) {
	casatest.Require(t)
	root := t.TempDir()
	must(t, sample.Generate(context.Background(), root, sample.Options{Small: true}))
	casatest.Convert(t, filepath.Join(root, "cube-512x512x200.fits"), filepath.Join(root, "beams.im"))
	casatest.Run(t, root, `
import casacore.tables as ct
t = ct.table('beams.im', readonly=False, ack=False)
info = t.getkeyword('imageinfo')
del info['restoringbeam']
beams = {'nChannels': 8, 'nStokes': 1}
for i in range(8):
    beams['*%d' % i] = {'major': {'value': 2.0 + i, 'unit': 'arcsec'}, 'minor': {'value': 1.0 + i / 10, 'unit': 'arcsec'},
                        'positionangle': {'value': 10.0 * i, 'unit': 'deg'}}
info['perplanebeams'] = beams
t.putkeyword('imageinfo', info)
t.close()
assert 'perplanebeams' in ci.image('beams.im').imageinfo()
`)
	c := folderPipe(t, root)
	sendMsg(t, c, icd.EventType_OPEN_FILE, 30, 2, &icd.OpenFile{Directory: ".", File: "beams.im", FileId: 0})
	var ack icd.OpenFileAck
	recv(t, c, icd.EventType_OPEN_FILE_ACK, 2, &ack)
	if !ack.Success || len(ack.BeamTable) != 8 {
		t.Fatalf("ack %v with %d beams, want 8", ack.Message, len(ack.BeamTable))
	}
	for i, b := range ack.BeamTable {
		if b.Channel != int32(i) || b.Stokes != 0 || b.MajorAxis != float32(2+i) || math.Abs(float64(b.MinorAxis)-(1+float64(i)/10)) > 1e-5 || b.Pa != float32(10*i) {
			t.Errorf("beam %d: %v", i, b)
		}
	}
}
