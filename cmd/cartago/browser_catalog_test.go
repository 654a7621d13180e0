package main

import (
	"bytes"
	"fmt"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"testing"

	"github.com/chromedp/chromedp"
	"google.golang.org/protobuf/proto"

	"cartago/icd"
	"cartago/imaging/catalog"
)

// catalogRows is the size of the browser test's catalogue: more than
// the frontend's preview, so Plot must ask for the rest.
const catalogRows = 120

// writeStarCatalog writes stars.xml: catalogRows sources on a 10×12
// grid inside the small sample cube (RA 83.8221, Dec -5.3911 at its
// centre, about 50" across), named SRC-000.., with RA/DEC in degrees as
// a VOTable from a survey would give them.
func writeStarCatalog(t *testing.T, root string) *catalog.Spec {
	t.Helper()
	s := &catalog.Spec{Description: "test stars", Coosys: catalog.Coosys{System: "ICRS", Equinox: "J2000"},
		Columns: []catalog.SpecColumn{
			{Name: "RA", Unit: "deg", UCD: "pos.eq.ra;meta.main", Type: catalog.Double},
			{Name: "DEC", Unit: "deg", UCD: "pos.eq.dec;meta.main", Type: catalog.Double},
			{Name: "flux", Unit: "mJy", Type: catalog.Float},
			{Name: "name", Type: catalog.String},
		}}
	for r := range catalogRows {
		s.Columns[0].Values = append(s.Columns[0].Values, 83.8221+(-0.006+0.012*float64(r%10)/9)/math.Cos(5.3911*math.Pi/180))
		s.Columns[1].Values = append(s.Columns[1].Values, -5.3911+(-0.006+0.012*float64(r/10)/11))
		s.Columns[2].Values = append(s.Columns[2].Values, float64(r)+0.5)
		s.Columns[3].Strings = append(s.Columns[3].Strings, fmt.Sprintf("SRC-%03d", r))
	}
	f, err := os.Create(filepath.Join(root, "stars.xml"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := catalog.WriteVOTable(f, s, catalog.TableData); err != nil {
		t.Fatal(err)
	}
	return s
}

// TestBrowserCatalog: File > Import Catalog lists the VOTable (by
// content), loads it into the catalog widget, whose table shows the
// file's columns and rows and whose footer counts its entries; Plot
// streams every row (CATALOG_FILTER_REQUEST) and draws the overlay on
// the image.
func TestBrowserCatalog(t *testing.T) {
	skipIfShort(t)
	root := smallSample(t)
	spec := writeStarCatalog(t, root)
	srv := startBrowserServer(t, root)
	b := startBrowser(t, srv)
	b.open("&file=" + sampleCube)
	b.waitFrame(false, ev(icd.EventType_OPEN_FILE_ACK), 1, serverTimeout)
	b.waitFrame(false, ev(icd.EventType_RASTER_TILE_DATA), 1, serverTimeout)

	item := `//a[contains(@class,"bp6-menu-item")][.//*[normalize-space(text())="Import Catalog"]]`
	b.clickUntil("the File menu", `//*[contains(@class,"root-menu-entry")]//a[contains(@class,"bp6-menu-item")][normalize-space(.)="File"]`, "its Import Catalog item shown",
		`!!document.evaluate(`+strconv.Quote(item)+`, document, null, XPathResult.FIRST_ORDERED_NODE_TYPE, null).singleNodeValue?.offsetParent`, uiTimeout)
	b.clickUntilSent("File > Import Catalog", item, ev(icd.EventType_CATALOG_LIST_REQUEST), uiTimeout)
	b.waitMessage(false, ev(icd.EventType_CATALOG_LIST_RESPONSE), "a catalog list holding stars.xml", func(p []byte) bool {
		var m icd.CatalogListResponse
		return proto.Unmarshal(p, &m) == nil && m.Success && slices.ContainsFunc(m.Files, func(f *icd.CatalogFileInfo) bool {
			return f.Name == "stars.xml" && f.Type == icd.CatalogFileType_VOTable
		})
	}, serverTimeout)
	b.clickUntilSent("stars.xml in the file browser", `.file-list .filename-cell[title="stars.xml"] .cell-text`,
		ev(icd.EventType_CATALOG_FILE_INFO_REQUEST), uiTimeout)
	b.clickUntilSent("the file browser's Load button",
		`//div[contains(@class,"bp6-dialog-footer-actions")]//a[normalize-space(.)="Load catalog" and not(@disabled)]`, ev(icd.EventType_OPEN_CATALOG_FILE), uiTimeout)
	b.waitMessage(false, ev(icd.EventType_OPEN_CATALOG_FILE_ACK), "a successful OPEN_CATALOG_FILE_ACK", func(p []byte) bool {
		var m icd.OpenCatalogFileAck
		return proto.Unmarshal(p, &m) == nil && m.Success && m.DataSize == catalogRows
	}, serverTimeout)

	// The widget's table: the file's column names, its first rows.
	headers := pollJS[[]string](b, "the catalog table's column headers", `(() => {
		const hs = Array.from(document.querySelectorAll('.catalog-table .bp6-table-column-name-text')).map(e => e.textContent.trim());
		return hs.length ? hs : null;
	})()`, uiTimeout)
	for _, c := range spec.Columns {
		if !slices.Contains(headers, c.Name) {
			t.Errorf("catalog table headers %q lack %q", headers, c.Name)
		}
	}
	cells := pollJS[[]string](b, "the catalog table's cells", `(() => {
		const cs = Array.from(document.querySelectorAll('.catalog-table .bp6-table-cell')).map(e => e.textContent.trim());
		return cs.some(c => c === 'SRC-000') ? cs : null;
	})()`, uiTimeout)
	for _, want := range []string{"SRC-000", "SRC-001", "SRC-002", "0.5", "1.5"} {
		if !slices.Contains(cells, want) {
			t.Errorf("catalog table cells lack %q: %q", want, cells)
		}
	}
	footer := regexp.MustCompile(`Showing 1 to (\d+) of total (\d+) entries`)
	text := pollJS[string](b, "the catalog footer", `(() => { const m = document.body.innerText.match(/Showing 1 to \d+ of total \d+ entries/); return m ? m[0] : ""; })()`, uiTimeout)
	if m := footer.FindStringSubmatch(text); m == nil || m[2] != strconv.Itoa(catalogRows) {
		t.Errorf("catalog footer %q, want a total of %d entries", text, catalogRows)
	} else {
		t.Logf("catalog widget before Plot: %s", text)
	}

	// Plot: the overlay needs every row; the frontend asks for them and
	// draws them on the image.
	before := b.capture()
	b.clickUntilSent("the catalog widget's Plot button", `[data-testid="catalog-plot-button"]:not([disabled])`, ev(icd.EventType_CATALOG_FILTER_REQUEST), uiTimeout)
	b.waitMessage(false, ev(icd.EventType_CATALOG_FILTER_RESPONSE), "the whole catalog in CATALOG_FILTER_RESPONSE", func(p []byte) bool {
		var m icd.CatalogFilterResponse
		return proto.Unmarshal(p, &m) == nil && m.Progress == 1 && m.SubsetEndIndex == catalogRows
	}, serverTimeout)
	shown := pollJS[string](b, "the footer to count every source", `(() => { const m = document.body.innerText.match(/Showing 1 to \d+ of total \d+ entries/); return m && m[0] === "Showing 1 to `+strconv.Itoa(catalogRows)+` of total `+strconv.Itoa(catalogRows)+` entries" ? m[0] : ""; })()`, serverTimeout)
	t.Logf("catalog widget: %s", shown)
	after := b.capture()
	b.saveShot("-overlay", after)
	if changed := changedPixels(t, b, before, after, elementRect(b, ".catalog-canvas")); changed == 0 {
		t.Errorf("no pixel of the image view changed after Plot: no overlay drawn")
	} else {
		t.Logf("overlay changed %d pixels of the catalog canvas", changed)
	}

	// A filter typed in the flux column's header: the frontend sends it
	// as a Greater filter, and the footer counts what we found.
	if _, err := chromedp.Run(b.ctx, chromedp.SendKeys(`[data-testid="filterable-table-filter-input-2"]`, "> 99.5")); err != nil {
		b.fail("typing a filter for flux: %v", err)
	}
	b.clickUntilSent("the catalog widget's Apply filter button", `[data-testid="catalog-filter-button"]:not([disabled])`,
		ev(icd.EventType_CATALOG_FILTER_REQUEST), uiTimeout)
	b.waitMessage(false, ev(icd.EventType_CATALOG_FILTER_RESPONSE), "the filtered catalog in CATALOG_FILTER_RESPONSE", func(p []byte) bool {
		var m icd.CatalogFilterResponse
		return proto.Unmarshal(p, &m) == nil && m.FilterDataSize == 20 && m.Progress == 1
	}, serverTimeout)
	var req icd.CatalogFilterRequest
	if err := proto.Unmarshal(b.lastPayload(true, ev(icd.EventType_CATALOG_FILTER_REQUEST)), &req); err != nil || len(req.FilterConfigs) != 1 ||
		req.FilterConfigs[0].ColumnName != "flux" || req.FilterConfigs[0].ComparisonOperator != icd.ComparisonOperator_Greater || req.FilterConfigs[0].Value != 99.5 {
		t.Errorf("filter request %v (%v)", &req, err)
	}
	filtered := pollJS[string](b, "the footer to count the filtered sources", `(() => { const m = document.body.innerText.match(/Showing 1 to \d+ of \d+ filtered entries. Total \d+ entries/); return m ? m[0] : ""; })()`, serverTimeout)
	if want := "Showing 1 to 20 of 20 filtered entries. Total 120 entries"; filtered != want {
		t.Errorf("catalog footer after the filter: %q, want %q", filtered, want)
	}
	b.saveShot("-filtered", b.capture())
	b.checkHealthy()
	b.rec.logSummary(t)
}

// changedPixels counts pixels that differ between two screenshots
// inside r (CSS pixels, scaled to the shots).
func changedPixels(t *testing.T, br *browser, a, b []byte, r rect) int {
	t.Helper()
	ia, err := png.Decode(bytes.NewReader(a))
	if err != nil {
		t.Fatal(err)
	}
	ib, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	box := shotRect(br, r, ia.Bounds().Dx(), 0).Intersect(ia.Bounds())
	for y := box.Min.Y; y < box.Max.Y; y++ {
		for x := box.Min.X; x < box.Max.X; x++ {
			if ia.At(x, y) != ib.At(x, y) {
				n++
			}
		}
	}
	return n
}
