package session

import (
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	"cartago/icd"
	"cartago/imaging/fits"
)

// The region file test image: 64×64 pixels of 1″ around M51 (TAN,
// ICRS), value x + 100·y.
const skyW, skyH = 64, 64

func writeSkyImage(t *testing.T, path string) { writeSkyImageAt(t, path, 33, 33) }

// writeSkyImageAt writes the sky image with its reference pixel at the
// 1-based (crpix1, crpix2).
func writeSkyImageAt(t *testing.T, path string, crpix1, crpix2 float64) {
	t.Helper()
	data := make([]float32, skyW*skyH)
	for y := range skyH {
		for x := range skyW {
			data[y*skyW+x] = float32(x + 100*y)
		}
	}
	f, err := os.Create(path)
	must(t, err)
	defer f.Close()
	must(t, fits.Write(f, fits.WriteHDU{Bitpix: -32, Naxis: []int{skyW, skyH}, Data: data, Cards: []fits.Card{
		fits.NewStringCard("CTYPE1", "RA---TAN", ""), fits.NewStringCard("CTYPE2", "DEC--TAN", ""),
		fits.NewFloatCard("CRVAL1", 202.4696, ""), fits.NewFloatCard("CRVAL2", 47.1952, ""),
		fits.NewFloatCard("CRPIX1", crpix1, ""), fits.NewFloatCard("CRPIX2", crpix2, ""),
		fits.NewFloatCard("CDELT1", -1.0/3600, ""), fits.NewFloatCard("CDELT2", 1.0/3600, ""),
		fits.NewStringCard("CUNIT1", "deg", ""), fits.NewStringCard("CUNIT2", "deg", ""),
		fits.NewStringCard("RADESYS", "ICRS", ""),
	}}))
}

// skyClient is a client of a session whose root holds sky.fits, open
// as file 0.
func skyClient(t *testing.T) (*pipe, string) {
	t.Helper()
	root := t.TempDir()
	writeSkyImage(t, filepath.Join(root, "sky.fits"))
	c := folderPipe(t, root)
	sendMsg(t, c, icd.EventType_OPEN_FILE, 30, 5, &icd.OpenFile{Directory: ".", File: "sky.fits", FileId: 0})
	if ack := expect(t, c, icd.EventType_OPEN_FILE_ACK, &icd.OpenFileAck{}); !ack.Success {
		t.Fatalf("open: %s", ack.Message)
	}
	expect(t, c, icd.EventType_REGION_HISTOGRAM_DATA, &icd.RegionHistogramData{})
	return c, root
}

// importRegion sends IMPORT_REGION and returns its ack, past the log
// entry a message comes with.
func importRegion(t *testing.T, c *pipe, req uint32, m *icd.ImportRegion) *icd.ImportRegionAck {
	t.Helper()
	sendMsg(t, c, icd.EventType_IMPORT_REGION, 30, req, m)
	var ack icd.ImportRegionAck
	skipTo(t, c, icd.EventType_IMPORT_REGION_ACK, &ack)
	return &ack
}

// exportRegion sends EXPORT_REGION and returns its ack, past image data
// still streaming.
func exportRegion(t *testing.T, c *pipe, req uint32, m *icd.ExportRegion) *icd.ExportRegionAck {
	t.Helper()
	sendMsg(t, c, icd.EventType_EXPORT_REGION, 30, req, m)
	var ack icd.ExportRegionAck
	skipTo(t, c, icd.EventType_EXPORT_REGION_ACK, &ack)
	return &ack
}

func regionSum(t *testing.T, c *pipe, req uint32, id int32) float64 {
	t.Helper()
	sendMsg(t, c, icd.EventType_SET_STATS_REQUIREMENTS, 30, req, &icd.SetStatsRequirements{FileId: 0, RegionId: id,
		StatsConfigs: []*icd.SetStatsRequirements_StatsConfig{{Coordinate: "z", StatsTypes: []icd.StatsType{icd.StatsType_NumPixels, icd.StatsType_Sum}}}})
	var st icd.RegionStatsData
	skipTo(t, c, icd.EventType_REGION_STATS_DATA, &st)
	if st.RegionId != id || len(st.Statistics) != 2 {
		t.Fatalf("stats %+v, want region %d", &st, id)
	}
	return st.Statistics[1].Value
}

// TestImportRegionFile imports a CRTF file in world coordinates from the
// top folder: the ack carries the regions under new ids after the
// session's own (RegionHandler.cc ImportRegion: GetNextRegionId, then
// one id per region) with their styles, and an imported box has
// statistics like a drawn one.
func TestImportRegionFile(t *testing.T) {
	c, root := skyClient(t)
	if ack := setRegion(t, c, 6, 0, -1, &icd.RegionInfo{RegionType: icd.RegionType_POINT, ControlPoints: []*icd.Point{{X: 3, Y: 4}}}); ack.RegionId != 1 {
		t.Fatalf("drawn region id %d", ack.RegionId)
	}
	// The box is centred on the reference pixel (32, 32), 5″ × 3″: pixels
	// 30..34 × 31..33.
	crtf := strings.Join([]string{
		"#CRTFv0 CASA Region Text Format version 0",
		"centerbox [[13:29:52.70400, +47.11.42.72000], [5arcsec, 3arcsec]] coord=ICRS, color=ff0000, label=\"core\"",
		"ann text [[10pix, 12pix], \"hello\"] color=00ff00",
		"annulus [[10pix, 10pix], [2pix, 4pix]]",
	}, "\n")
	must(t, os.WriteFile(filepath.Join(root, "m51.crtf"), []byte(crtf), 0o644))
	sendMsg(t, c, icd.EventType_IMPORT_REGION, 30, 7, &icd.ImportRegion{GroupId: 0, Type: icd.FileType_CRTF, Directory: ".", File: "m51.crtf"})
	// The line that could not be imported is logged first, as the
	// reference's Session::OnImportRegion does with SendLogEvent.
	if e := expect(t, c, icd.EventType_ERROR_DATA, &icd.ErrorData{}); e.Severity != icd.ErrorSeverity_WARNING || !strings.Contains(e.Message, "annulus") {
		t.Errorf("log entry %+v", e)
	}
	ack := &icd.ImportRegionAck{}
	recv(t, c, icd.EventType_IMPORT_REGION_ACK, 7, ack)
	if !ack.Success || len(ack.Regions) != 2 || !strings.Contains(ack.Message, "annulus") {
		t.Fatalf("import ack %+v", ack)
	}
	box, text := ack.Regions[2], ack.Regions[3]
	if box.GetRegionType() != icd.RegionType_RECTANGLE || text.GetRegionType() != icd.RegionType_ANNTEXT {
		t.Fatalf("regions %v", ack.Regions)
	}
	if p := box.ControlPoints; math.Abs(float64(p[0].X)-32) > 1e-3 || math.Abs(float64(p[0].Y)-32) > 1e-3 ||
		math.Abs(float64(p[1].X)-5) > 1e-3 || math.Abs(float64(p[1].Y)-3) > 1e-3 {
		t.Errorf("box control points %v, want (32, 32) 5×3", p)
	}
	if st := ack.RegionStyles[2]; st.Name != "core" || st.Color != "#FF0000" {
		t.Errorf("box style %+v", st)
	}
	if st := ack.RegionStyles[3]; st.GetAnnotationStyle().GetTextLabel0() != "hello" {
		t.Errorf("text style %+v", st)
	}
	want := 0.0
	for y := 31; y <= 33; y++ {
		for x := 30; x <= 34; x++ {
			want += float64(x + 100*y)
		}
	}
	if got := regionSum(t, c, 8, 2); got != want {
		t.Errorf("imported box sum %g, want %g", got, want)
	}
}

// sampleInfos are regions of every kind the frontend draws, set with
// SET_REGION, and the styles its export sends for them.
func sampleInfos() ([]*icd.RegionInfo, []*icd.RegionStyle) {
	pt := func(xy ...float32) []*icd.Point {
		var ps []*icd.Point
		for i := 0; i < len(xy); i += 2 {
			ps = append(ps, &icd.Point{X: xy[i], Y: xy[i+1]})
		}
		return ps
	}
	infos := []*icd.RegionInfo{
		{RegionType: icd.RegionType_POINT, ControlPoints: pt(10.5, 20.25)},
		{RegionType: icd.RegionType_LINE, ControlPoints: pt(1, 2, 40, 50)},
		{RegionType: icd.RegionType_POLYLINE, ControlPoints: pt(1, 2, 10, 20, 30, 5)},
		{RegionType: icd.RegionType_RECTANGLE, ControlPoints: pt(32, 32, 10, 6), Rotation: 20},
		{RegionType: icd.RegionType_ELLIPSE, ControlPoints: pt(20, 40, 8, 4), Rotation: 45},
		{RegionType: icd.RegionType_POLYGON, ControlPoints: pt(5, 5, 20, 6, 12, 18)},
		{RegionType: icd.RegionType_ANNPOINT, ControlPoints: pt(50, 50)},
		{RegionType: icd.RegionType_ANNTEXT, ControlPoints: pt(40, 10, 30, 8)},
		{RegionType: icd.RegionType_ANNCOMPASS, ControlPoints: pt(12, 50, 10, 10)},
		{RegionType: icd.RegionType_ANNRULER, ControlPoints: pt(5, 60, 40, 55)},
		{RegionType: icd.RegionType_ANNVECTOR, ControlPoints: pt(50, 5, 60, 15)},
	}
	styles := make([]*icd.RegionStyle, len(infos))
	for i, info := range infos {
		styles[i] = &icd.RegionStyle{Name: "r" + info.RegionType.String(), Color: "#2EE6D6", LineWidth: 2, AnnotationStyle: &icd.AnnotationStyle{}}
	}
	styles[6].AnnotationStyle = &icd.AnnotationStyle{PointShape: icd.PointAnnotationShape_DIAMOND, PointWidth: 7}
	styles[7].AnnotationStyle = &icd.AnnotationStyle{TextLabel0: "Hi", FontSize: 20, FontStyle: "Bold", Font: "Times", TextPosition: icd.TextAnnotationPosition_LOWER_LEFT}
	styles[8].AnnotationStyle = &icd.AnnotationStyle{TextLabel0: "N", TextLabel1: "E", IsNorthArrow: true, IsEastArrow: true, FontSize: 14, FontStyle: "Normal", Font: "Helvetica", CoordinateSystem: "PIXEL"}
	styles[9].AnnotationStyle = &icd.AnnotationStyle{FontSize: 13, FontStyle: "Italic", Font: "Courier", CoordinateSystem: "PIXEL"}
	styles[1].DashList = []int32{2}
	return infos, styles
}

// TestExportImportRoundTrip exports drawn regions and annotations with
// the frontend's styles, as contents, in both formats and both
// coordinate types, imports the contents, and gets the same regions and
// styles (RegionHandler.cc ExportRegion / ImportRegion).
func TestExportImportRoundTrip(t *testing.T) {
	c, _ := skyClient(t)
	infos, styles := sampleInfos()
	byID := map[int32]int{}
	exp := map[int32]*icd.RegionStyle{}
	for i, info := range infos {
		ack := setRegion(t, c, uint32(10+i), 0, -1, info)
		if !ack.Success {
			t.Fatalf("set %v: %s", info.RegionType, ack.Message)
		}
		byID[ack.RegionId], exp[ack.RegionId] = i, styles[i]
	}
	req := uint32(100)
	for _, format := range []icd.FileType{icd.FileType_CRTF, icd.FileType_DS9_REG} {
		for _, coord := range []icd.CoordinateType{icd.CoordinateType_PIXEL, icd.CoordinateType_WORLD} {
			req++
			out := exportRegion(t, c, req, &icd.ExportRegion{Type: format, CoordType: coord, FileId: 0, RegionStyles: exp})
			if !out.Success || out.Message != "" {
				t.Fatalf("%v %v export: %+v", format, coord, out)
			}
			req++
			in := importRegion(t, c, req, &icd.ImportRegion{GroupId: 0, Type: format, Contents: out.Contents})
			if !in.Success || in.Message != "" || len(in.Regions) != len(infos) {
				t.Fatalf("%v %v import of\n%s\n: %+v", format, coord, strings.Join(out.Contents, "\n"), in)
			}
			tol := 0.0
			if coord == icd.CoordinateType_WORLD {
				tol = 1e-3
			}
			checkImported(t, in, infos, styles, tol)
		}
	}
}

// checkImported matches imported regions, in id order, to the ones
// exported.
func checkImported(t *testing.T, in *icd.ImportRegionAck, infos []*icd.RegionInfo, styles []*icd.RegionStyle, tol float64) {
	t.Helper()
	lo := int32(math.MaxInt32)
	for id := range in.Regions {
		lo = min(lo, id)
	}
	for i, want := range infos {
		got, st := in.Regions[lo+int32(i)], in.RegionStyles[lo+int32(i)]
		if got.GetRegionType() != want.RegionType || len(got.ControlPoints) != len(want.ControlPoints) {
			t.Fatalf("region %d: %v, want %v", i, got, want)
		}
		for j, p := range got.ControlPoints {
			w := want.ControlPoints[j]
			if math.Abs(float64(p.X-w.X)) > tol || math.Abs(float64(p.Y-w.Y)) > tol {
				t.Errorf("%v point %d: %v, want %v", want.RegionType, j, p, w)
			}
		}
		if d := math.Abs(float64(got.Rotation - want.Rotation)); math.Min(d, 360-d) > tol {
			t.Errorf("%v rotation %g, want %g", want.RegionType, got.Rotation, want.Rotation)
		}
		ws := styles[i]
		if st.Name != ws.Name || !strings.EqualFold(st.Color, ws.Color) || st.LineWidth != ws.LineWidth || dashOf(st) != dashOf(ws) {
			t.Errorf("%v style %v, want %v", want.RegionType, st, ws)
		}
		if want.RegionType >= icd.RegionType_ANNPOINT && !proto.Equal(st.AnnotationStyle, ws.AnnotationStyle) {
			t.Errorf("%v annotation style %v, want %v", want.RegionType, st.AnnotationStyle, ws.AnnotationStyle)
		}
	}
}

func dashOf(s *icd.RegionStyle) int32 {
	if len(s.DashList) == 0 {
		return 0
	}
	return s.DashList[0]
}

// TestExportRegionFileOverwrite writes a file in the top folder, asks
// for confirmation to replace it and replaces it when told to
// (RegionHandler.cc ExportRegion: "cannot overwrite existing file" with
// overwrite_confirmation_required); paths outside the top folder are
// refused for export and import.
func TestExportRegionFileOverwrite(t *testing.T) {
	c, root := skyClient(t)
	ack := setRegion(t, c, 6, 0, -1, &icd.RegionInfo{RegionType: icd.RegionType_ELLIPSE, ControlPoints: []*icd.Point{{X: 10, Y: 10}, {X: 4, Y: 4}}})
	styles := map[int32]*icd.RegionStyle{ack.RegionId: {Name: "c", Color: "#FF0000", LineWidth: 1}}
	msg := &icd.ExportRegion{Type: icd.FileType_DS9_REG, CoordType: icd.CoordinateType_PIXEL, FileId: 0, RegionStyles: styles, Directory: ".", File: "out.reg"}
	if out := exportRegion(t, c, 7, msg); !out.Success || len(out.Contents) != 0 {
		t.Fatalf("export: %+v", out)
	}
	b, err := os.ReadFile(filepath.Join(root, "out.reg"))
	must(t, err)
	if !strings.HasPrefix(string(b), "# Region file format: DS9") || !strings.Contains(string(b), "\ncircle(11, 11, 4) # color=#FF0000 width=1 text={c}\n") {
		t.Fatalf("out.reg:\n%s", b)
	}
	msg.CoordType = icd.CoordinateType_WORLD
	if out := exportRegion(t, c, 8, msg); out.Success || !out.OverwriteConfirmationRequired {
		t.Fatalf("export over an existing file: %+v", out)
	}
	msg.Overwrite = true
	if out := exportRegion(t, c, 9, msg); !out.Success {
		t.Fatalf("export with overwrite: %+v", out)
	}
	b, err = os.ReadFile(filepath.Join(root, "out.reg"))
	must(t, err)
	if !strings.Contains(string(b), "\nicrs\ncircle(202.") {
		t.Fatalf("overwritten out.reg:\n%s", b)
	}
	for _, bad := range []struct{ dir, file string }{{"..", "x.reg"}, {".", "../x.reg"}, {"/../..", "x.reg"}, {".", ".."}} {
		msg.Directory, msg.File = bad.dir, bad.file
		if out := exportRegion(t, c, 10, msg); out.Success {
			t.Errorf("export to %s/%s: %+v", bad.dir, bad.file, out)
		}
		if in := importRegion(t, c, 11, &icd.ImportRegion{Type: icd.FileType_DS9_REG, Directory: bad.dir, File: bad.file}); in.Success {
			t.Errorf("import of %s/%s: %+v", bad.dir, bad.file, in)
		}
	}
	if _, err := os.Stat(filepath.Join(filepath.Dir(root), "x.reg")); err == nil {
		t.Errorf("a file was written outside the top folder")
	}
}

// TestImportRegionRefusals: an image that is not open, a file with no
// regions and an unknown type all get success=false acks, after an
// ERROR log entry with the same text (Session.cc OnImportRegion).
func TestImportRegionRefusals(t *testing.T) {
	c, _ := skyClient(t)
	for i, m := range []*icd.ImportRegion{
		{GroupId: 7, Type: icd.FileType_CRTF, Contents: []string{"circle [[1pix, 1pix], 1pix]"}},
		{GroupId: 0, Type: icd.FileType_CRTF, Contents: []string{"#CRTFv0", "# nothing"}},
		{GroupId: 0, Type: icd.FileType_FITS, Contents: []string{"circle [[1pix, 1pix], 1pix]"}},
		{GroupId: 0, Type: icd.FileType_CRTF},
	} {
		sendMsg(t, c, icd.EventType_IMPORT_REGION, 30, uint32(20+i), m)
		if e := expect(t, c, icd.EventType_ERROR_DATA, &icd.ErrorData{}); e.Severity != icd.ErrorSeverity_ERROR {
			t.Errorf("import %d log entry %+v", i, e)
		}
		var ack icd.ImportRegionAck
		recv(t, c, icd.EventType_IMPORT_REGION_ACK, uint32(20+i), &ack)
		if ack.Success || ack.Message == "" || len(ack.Regions) != 0 {
			t.Errorf("import %d: %+v", i, &ack)
		}
	}
	noErrorsToPong(t, c)
}

// TestExportRegionOfAnotherImage exports, for image 1, a region drawn
// on image 0 whose sky is the same but shifted by (5, 3) pixels: the
// file has the region where it lies on image 1, as the reference writes
// it (RegionHandler.cc ExportRegion: GetImageRegionRecord of the region
// on the exported file's image). Carried over, a box is the polygon of
// its corners (region.Convert), as in the reference's record.
func TestExportRegionOfAnotherImage(t *testing.T) {
	c, root := skyClient(t)
	writeSkyImageAt(t, filepath.Join(root, "shifted.fits"), 38, 36)
	sendMsg(t, c, icd.EventType_OPEN_FILE, 30, 6, &icd.OpenFile{Directory: ".", File: "shifted.fits", FileId: 1})
	if ack := expect(t, c, icd.EventType_OPEN_FILE_ACK, &icd.OpenFileAck{}); !ack.Success {
		t.Fatalf("open: %s", ack.Message)
	}
	var set icd.SetRegionAck
	sendMsg(t, c, icd.EventType_SET_REGION, 30, 7, &icd.SetRegion{FileId: 0, RegionId: -1, RegionInfo: &icd.RegionInfo{RegionType: icd.RegionType_RECTANGLE, ControlPoints: []*icd.Point{{X: 20, Y: 30}, {X: 6, Y: 4}}}})
	skipTo(t, c, icd.EventType_SET_REGION_ACK, &set)
	out := exportRegion(t, c, 8, &icd.ExportRegion{Type: icd.FileType_CRTF, CoordType: icd.CoordinateType_PIXEL, FileId: 1,
		RegionStyles: map[int32]*icd.RegionStyle{set.RegionId: {Color: "#FF0000", LineWidth: 1}}})
	if !out.Success || len(out.Contents) != 2 {
		t.Fatalf("export: %+v", out)
	}
	in := importRegion(t, c, 9, &icd.ImportRegion{GroupId: 1, Type: icd.FileType_CRTF, Contents: out.Contents})
	if !in.Success || len(in.Regions) != 1 {
		t.Fatalf("import: %+v", in)
	}
	want := [][2]float32{{22, 31}, {28, 31}, {28, 35}, {22, 35}}
	for _, info := range in.Regions {
		p := info.ControlPoints
		ok := info.RegionType == icd.RegionType_POLYGON && len(p) == len(want)
		for i := 0; ok && i < len(p); i++ {
			ok = math.Abs(float64(p[i].X-want[i][0])) < 1e-3 && math.Abs(float64(p[i].Y-want[i][1])) < 1e-3
		}
		if !ok {
			t.Errorf("exported for image 1: %v %v, want the polygon %v\n%s", info.RegionType, p, want, strings.Join(out.Contents, "\n"))
		}
	}
}
