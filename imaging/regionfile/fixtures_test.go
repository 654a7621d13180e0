package regionfile

import (
	"math"
	"os"
	"strings"
	"testing"

	"cartago/imaging/region"
)

func parseFixture(t *testing.T, f Format, name string) *Result {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	res, err := Parse(f, string(b), icrsImage(t))
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func near(a, b, tol float64) bool { return math.Abs(a-b) <= tol }

// TestParseCASAFixture reads a file in CASA's conventions: sexagesimal
// hours with dotted degrees, degrees, radians, arcsec and arcmin sizes,
// corner boxes, globals, an excluded region, a galactic position on an
// ICRS image, and an annulus (refused by line, as the frontend has none).
func TestParseCASAFixture(t *testing.T) {
	res := parseFixture(t, CRTF, "casa.crtf")
	if len(res.Problems) != 1 || !strings.Contains(res.Problems[0], "line 16") || !strings.Contains(res.Problems[0], "annulus") {
		t.Fatalf("problems %q, want only the annulus on line 16", res.Problems)
	}
	rs := res.Regions
	if len(rs) != 12 {
		t.Fatalf("%d regions, want 12", len(rs))
	}
	want := []region.Kind{region.KindEllipse, region.KindEllipse, region.KindRectangle, region.KindRectangle,
		region.KindRectangle, region.KindPolygon, region.KindPoint, region.KindEllipse, region.KindAnnLine,
		region.KindAnnPoint, region.KindAnnText, region.KindEllipse}
	for i, k := range want {
		if rs[i].Kind != k {
			t.Errorf("region %d kind %v, want %v", i, rs[i].Kind, k)
		}
	}
	// 13:29:52.7 +47:11:43 is 202.469583, 47.195278: 0.08 and 0.56
	// pixels from the reference pixel (256, 256) at 0.5" per pixel, and
	// 10" is 20 pixels.
	if c := rs[0].Points[0]; !near(c.X, 256.08, 0.01) || !near(c.Y, 256.56, 0.01) || !near(rs[0].Points[1].X, 20, 1e-3) {
		t.Errorf("circle %v", rs[0].Points)
	}
	if rs[0].Style.Color != "blue" || rs[0].Style.LineWidth != 2 {
		t.Errorf("globals not applied: %+v", rs[0].Style)
	}
	if e := rs[1]; e.Rotation != 30 || !near(e.Points[1].X, 40, 1e-3) || !near(e.Points[1].Y, 20, 1e-3) || e.Style.Name != "nucleus" || e.Style.Color != "red" {
		t.Errorf("ellipse %+v", e)
	}
	if b := rs[2]; b.Style.Dash[0] != dashDefault {
		t.Errorf("dashed centerbox dash %v", b.Style.Dash)
	}
	if b := rs[3]; b.Points[0] != (region.Point{X: 256, Y: 256}) || b.Points[1] != (region.Point{X: 20, Y: 40}) {
		t.Errorf("corner box %v", b.Points)
	}
	if b := rs[4]; b.Rotation != 45 || b.Points[1] != (region.Point{X: 30, Y: 10}) {
		t.Errorf("rotbox %+v", b)
	}
	if p := rs[5]; len(p.Points) != 3 || p.Style.Dash[0] != 1 {
		t.Errorf("polygon %+v", p)
	}
	if p := rs[6]; p.Style.Name != "point one" || !near(p.Points[0].X, rs[0].Points[0].X, 1e-6) {
		t.Errorf("symbol %+v, want at the circle's centre", p)
	}
	if !near(rs[7].Points[1].X, 60, 1e-3) {
		t.Errorf("0.5arcmin radius is %g pixels", rs[7].Points[1].X)
	}
	if rs[8].Style.Color != "#00FF00" {
		t.Errorf("hex colour %q", rs[8].Style.Color)
	}
	if a := rs[9].Style.Ann; a == nil || a.PointShape != shapeCircleLined || a.PointWidth != 9 {
		t.Errorf("ann symbol style %+v", a)
	}
	if a := rs[10].Style.Ann; a == nil || a.TextLabel0 != "Hello world" || a.FontSize != 14 || a.FontStyle != "Italic Bold" {
		t.Errorf("text style %+v", a)
	}
	// l=104.8515 b=68.5607 is M51's centre (astropy: 104.85148,
	// 68.56075): the reference pixel within a pixel (0.5").
	if g := rs[11].Points[0]; !near(g.X, 256, 1) || !near(g.Y, 256, 1) {
		t.Errorf("galactic circle at %v, want (256, 256)", g)
	}
}

// TestParseDS9Fixture reads a DS9 file: sexagesimal and degree fk5,
// arcsec sizes, image coordinates (1-based), "image;" prefixes, colours
// with '#', the old "circle point" form, text in braces, commented
// annotations, and a galactic line.
func TestParseDS9Fixture(t *testing.T) {
	res := parseFixture(t, DS9, "ds9.reg")
	if len(res.Problems) != 1 || !strings.Contains(res.Problems[0], "annulus") {
		t.Fatalf("problems %q, want only the annulus", res.Problems)
	}
	rs := res.Regions
	kinds := []region.Kind{region.KindEllipse, region.KindEllipse, region.KindRectangle, region.KindPolygon, region.KindPoint,
		region.KindEllipse, region.KindRectangle, region.KindLine, region.KindAnnText, region.KindAnnText, region.KindAnnVector,
		region.KindPoint, region.KindEllipse}
	if len(rs) != len(kinds) {
		t.Fatalf("%d regions, want %d", len(rs), len(kinds))
	}
	for i, k := range kinds {
		if rs[i].Kind != k {
			t.Errorf("region %d kind %v, want %v", i, rs[i].Kind, k)
		}
	}
	if c := rs[0]; c.Style.Name != "M51 core" || c.Style.Color != "red" || c.Style.LineWidth != 2 || !near(c.Points[1].X, 20, 1e-3) {
		t.Errorf("circle %+v", c)
	}
	if e := rs[1]; e.Rotation != 30 || e.Style.Dash[0] != 8 {
		t.Errorf("ellipse rotation %g dash %v, want 30 (120 from x) and the global dashlist", e.Rotation, e.Style.Dash)
	}
	if c := rs[5]; c.Points[0] != (region.Point{X: 99, Y: 99}) || c.Style.Color != "#FF00FF" {
		t.Errorf("image circle %+v, want 0-based (99, 99)", c)
	}
	if b := rs[6]; b.Points[0] != (region.Point{X: 49, Y: 59}) || b.Rotation != 30 || b.Style.LineWidth != 3 {
		t.Errorf("image;box %+v", b)
	}
	if a := rs[8].Style.Ann; a == nil || a.TextLabel0 != "Hello" {
		t.Errorf("text %+v", rs[8].Style)
	}
	if a := rs[9].Style.Ann; a == nil || a.TextLabel0 != "Braces text" {
		t.Errorf("text in braces %+v", rs[9].Style)
	}
	if v := rs[10].Points; !near(v[1].X, 99, 1e-9) || !near(v[1].Y, 119, 1e-9) {
		t.Errorf("vector ends %v, want (99, 99)-(99, 119)", v)
	}
	if p := rs[11].Points[0]; p != (region.Point{X: 199, Y: 199}) {
		t.Errorf("circle point at %v", p)
	}
	if g := rs[12].Points; !near(g[0].X, 256, 1) || !near(g[0].Y, 256, 1) || !near(g[1].X, 21.6, 0.01) {
		t.Errorf("galactic circle %v, want (256, 256) radius 21.6", g)
	}
}
