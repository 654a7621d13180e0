package main

import (
	"context"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"google.golang.org/protobuf/proto"

	"cartago/icd"
	"cartago/imaging/fits"
	"cartago/imaging/region"
	"cartago/imaging/regionfile"
	"cartago/imaging/wcs"
)

// shownRegion is a region as the frontend holds it (its RegionStore).
type shownRegion struct {
	ID       int32        `json:"id"`
	Type     int32        `json:"type"`
	Points   [][2]float64 `json:"points"`
	Rotation float64      `json:"rotation"`
	Name     string       `json:"name"`
	Color    string       `json:"color"`
	Text     *string      `json:"text"`       // text annotations
	Shape    *int32       `json:"pointShape"` // point annotations
}

// shownRegionsJS lists the active image's regions but the cursor.
const shownRegionsJS = `(() => {
	const rs = window.app?.activeFrame?.regionSet?.regions;
	if (!rs) return null;
	return rs.filter(r => r.regionId > 0).map(r => ({id: r.regionId, type: r.regionType,
		points: r.controlPoints.map(p => [p.x, p.y]), rotation: r.rotation, name: r.name, color: r.color,
		text: r.regionType === 15 ? r.text : null, pointShape: r.regionType === 7 ? r.pointShape : null}));
})()`

// cubeImage is the sky mapping of the sample cube, for writing and
// reading its region files in the test.
func cubeImage(t *testing.T, path string) regionfile.Image {
	t.Helper()
	f, err := fits.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	h, err := f.HDU("0")
	if err != nil {
		t.Fatal(err)
	}
	cel, err := wcs.FromHeader(h.Header)
	if err != nil || cel.Frame.System != wcs.FK5 {
		t.Fatalf("sample cube WCS %v, %v: want FK5", cel, err)
	}
	return regionfile.Image{Sky: cel, Frame: regionfile.FrameFK5}
}

// TestBrowserRegionFile: File > Import regions in the real frontend
// loads a CRTF file in world coordinates (written by hand-picked pixel
// regions through the cube's WCS) and the frontend shows those regions,
// names and colours, at those pixels, with a point and a text annotation
// (their shape and text); File > Export regions then writes a
// file in the top folder whose regions are the ones the frontend shows
// (CARTAvis/carta-backend src/Region/RegionHandler.cc ImportRegion and
// ExportRegion; the frontend's importRegion/exportRegions).
func TestBrowserRegionFile(t *testing.T) {
	skipIfShort(t)
	root := smallSample(t)
	img := cubeImage(t, filepath.Join(root, sampleCube))
	p := func(x, y float64) region.Point { return region.Point{X: x, Y: y} }
	want := []regionfile.Region{
		{Kind: region.KindRectangle, Points: []region.Point{p(10, 12), p(6, 4)}, Rotation: 30, Style: regionfile.Style{Name: "box", Color: "#FF0000", LineWidth: 2}},
		{Kind: region.KindEllipse, Points: []region.Point{p(20, 20), p(5, 3)}, Rotation: 45, Style: regionfile.Style{Name: "disk", Color: "#00FF00", LineWidth: 1}},
		{Kind: region.KindPolygon, Points: []region.Point{p(3, 3), p(9, 4), p(6, 9)}, Style: regionfile.Style{Name: "tri", Color: "#2EE6D6", LineWidth: 1}},
		{Kind: region.KindPoint, Points: []region.Point{p(25.5, 7.25)}, Style: regionfile.Style{Name: "star", Color: "#FFFF00", LineWidth: 1}},
		{Kind: region.KindLine, Points: []region.Point{p(2, 28), p(28, 26)}, Style: regionfile.Style{Name: "cut", Color: "#2EE6D6", LineWidth: 1}},
		{Kind: region.KindAnnPoint, Points: []region.Point{p(15, 25)}, Style: regionfile.Style{Color: "#FFFFFF", LineWidth: 2,
			Ann: &regionfile.Annotation{PointShape: int32(icd.PointAnnotationShape_CIRCLE), PointWidth: 8}}},
		{Kind: region.KindAnnText, Points: []region.Point{p(16, 4), p(10, 3)}, Style: regionfile.Style{Name: "note", Color: "#FFFFFF", LineWidth: 1,
			Ann: &regionfile.Annotation{TextLabel0: "hello M42", FontSize: 14, Font: "Helvetica", FontStyle: "Bold"}}},
	}
	w, err := regionfile.Write(regionfile.CRTF, want, img, true)
	if err != nil || len(w.Problems) > 0 {
		t.Fatalf("writing the import file: %v %v", err, w.Problems)
	}
	if err := os.WriteFile(filepath.Join(root, "cube.crtf"), []byte(strings.Join(w.Lines, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}

	srv := startBrowserServer(t, root)
	b := startBrowser(t, srv)
	b.open("&file=" + sampleCube)
	b.waitFrame(false, uint16(icd.EventType_OPEN_FILE_ACK), 1, serverTimeout)
	b.waitFrame(false, uint16(icd.EventType_RASTER_TILE_DATA), 1, serverTimeout)

	fileMenu := `//*[contains(@class,"root-menu-entry")]//a[contains(@class,"bp6-menu-item")][normalize-space(.)="File"]`
	importItem := `//a[contains(@class,"bp6-menu-item")][.//*[normalize-space(text())="Import Regions"]]`
	b.clickUntil("the File menu", fileMenu, "its Import Regions item shown", visibleXPath(importItem), uiTimeout)
	b.clickUntilSent("File > Import Regions", importItem, ev(icd.EventType_REGION_LIST_REQUEST), uiTimeout)
	b.clickUntilSent("cube.crtf in the file browser", `.file-list .filename-cell[title="cube.crtf"] .cell-text`, ev(icd.EventType_REGION_FILE_INFO_REQUEST), uiTimeout)
	b.waitMessage(false, uint16(icd.EventType_REGION_FILE_INFO_RESPONSE), "a successful REGION_FILE_INFO_RESPONSE", func(p []byte) bool {
		var m icd.RegionFileInfoResponse
		return proto.Unmarshal(p, &m) == nil && m.Success
	}, serverTimeout)
	b.clickUntilSent("the Load region button",
		`//div[contains(@class,"bp6-dialog-footer-actions")]//a[normalize-space(.)="Load region" and not(@disabled)]`, ev(icd.EventType_IMPORT_REGION), uiTimeout)
	b.waitMessage(false, uint16(icd.EventType_IMPORT_REGION_ACK), "a successful IMPORT_REGION_ACK", func(p []byte) bool {
		var m icd.ImportRegionAck
		return proto.Unmarshal(p, &m) == nil && m.Success && len(m.Regions) == len(want)
	}, serverTimeout)

	shown := pollJS[[]shownRegion](b, "the imported regions in the frontend", `(() => { const r = `+shownRegionsJS+`; return r && r.length >= `+itoa(len(want))+` ? r : null })()`, uiTimeout)
	b.saveShot("-imported", b.screenshot())
	if len(shown) != len(want) {
		t.Fatalf("frontend shows %d regions, want %d: %+v", len(shown), len(want), shown)
	}
	for i, s := range shown {
		if d := compareShown(s, want[i], 1e-3); d != "" {
			t.Errorf("imported region %d: %s", i, d)
		}
	}

	exportItem := `//a[contains(@class,"bp6-menu-item")][.//*[normalize-space(text())="Export Regions"]]`
	b.clickUntil("the File menu", fileMenu, "its Export Regions item shown", visibleXPath(exportItem), uiTimeout)
	b.clickUntilShown("File > Export Regions", exportItem, `input[placeholder="Enter file name"]`, uiTimeout)
	ctx, cancel := context.WithTimeout(b.ctx, uiTimeout)
	err = chromedp.Do(ctx, chromedp.SendKeys(`input[placeholder="Enter file name"]`, "out.crtf"))
	cancel()
	if err != nil {
		b.fail("typing the export file name: %v", err)
	}
	b.clickUntilSent("the Export regions button",
		`//div[contains(@class,"bp6-dialog-footer-actions")]//a[normalize-space(.)="Export regions" and not(@disabled)]`, ev(icd.EventType_EXPORT_REGION), uiTimeout)
	b.waitMessage(false, uint16(icd.EventType_EXPORT_REGION_ACK), "a successful EXPORT_REGION_ACK", func(p []byte) bool {
		var m icd.ExportRegionAck
		return proto.Unmarshal(p, &m) == nil && m.Success
	}, serverTimeout)
	text, err := os.ReadFile(filepath.Join(root, "out.crtf"))
	if err != nil {
		t.Fatalf("the exported file: %v", err)
	}
	res, err := regionfile.Parse(regionfile.CRTF, string(text), img)
	if err != nil || len(res.Problems) > 0 || len(res.Regions) != len(shown) {
		t.Fatalf("exported file: %v %v, %d regions, want %d:\n%s", err, res.Problems, len(res.Regions), len(shown), text)
	}
	for i, r := range res.Regions {
		if d := compareShown(shown[i], r, 1e-3); d != "" {
			t.Errorf("exported region %d: %s\n%s", i, d, text)
		}
	}
	b.checkHealthy()
	b.rec.logSummary(t)
}

func visibleXPath(xp string) string {
	return `!!document.evaluate(` + jsQuote(xp) + `, document, null, XPathResult.FIRST_ORDERED_NODE_TYPE, null).singleNodeValue?.offsetParent`
}

func jsQuote(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

func itoa(n int) string {
	b, _ := json.Marshal(n)
	return string(b)
}

// compareShown says how the frontend's region differs from r, "" if not.
func compareShown(s shownRegion, r regionfile.Region, tol float64) string {
	if r.Kind == region.KindAnnText && len(s.Points) == 2 {
		// The frontend sizes a text annotation's box to its text.
		s.Points, r.Points = s.Points[:1], r.Points[:1]
		if s.Text == nil || r.Style.Ann == nil || *s.Text != r.Style.Ann.TextLabel0 {
			return "text " + string(mustJSON(s.Text)) + " vs " + string(mustJSON(r.Style.Ann))
		}
	}
	if r.Kind == region.KindAnnPoint && (s.Shape == nil || r.Style.Ann == nil || *s.Shape != r.Style.Ann.PointShape) {
		return "point shape " + string(mustJSON(s.Shape)) + " vs " + string(mustJSON(r.Style.Ann))
	}
	if s.Type != int32(r.Kind) || len(s.Points) != len(r.Points) {
		return "type/points " + jsQuote(s.Name) + " differ: " + string(mustJSON(s)) + " vs " + string(mustJSON(r))
	}
	for i, p := range s.Points {
		if math.Abs(p[0]-r.Points[i].X) > tol || math.Abs(p[1]-r.Points[i].Y) > tol {
			return "points " + string(mustJSON(s.Points)) + " vs " + string(mustJSON(r.Points))
		}
	}
	// The frontend gives a line the angle of its points as rotation.
	if d := math.Mod(math.Abs(s.Rotation-r.Rotation), 360); !r.Kind.IsLine() && math.Min(d, 360-d) > tol {
		return "rotation " + string(mustJSON(s.Rotation)) + " vs " + string(mustJSON(r.Rotation))
	}
	if s.Name != r.Style.Name || !strings.EqualFold(s.Color, r.Style.Color) {
		return "style " + string(mustJSON(s)) + " vs " + string(mustJSON(r.Style))
	}
	return ""
}

func mustJSON(v any) []byte {
	b, _ := json.Marshal(v)
	return b
}
