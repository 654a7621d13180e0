package regionfile

import (
	"fmt"
	"math"
	"strings"
	"testing"

	"cartago/imaging/fits"
	"cartago/imaging/region"
	"cartago/imaging/wcs"
)

// skyImage is a 512×512 TAN image of 0.5″ pixels centred on M51, in
// the frame a CTYPE/RADESYS pair names.
func skyImage(tb testing.TB, lon, lat, radesys string, frame Frame) Image {
	tb.Helper()
	cards := []string{
		"SIMPLE  =                    T", "BITPIX  =                  -32", "NAXIS   =                    2",
		"NAXIS1  =                  512", "NAXIS2  =                  512",
		fmt.Sprintf("CTYPE1  = '%-8s'", lon), fmt.Sprintf("CTYPE2  = '%-8s'", lat),
		"CRVAL1  =             202.4696", "CRVAL2  =              47.1952",
		"CRPIX1  =                257.0", "CRPIX2  =                257.0",
		"CDELT1  =      -1.38888889E-04", "CDELT2  =       1.38888889E-04",
		"CUNIT1  = 'deg     '", "CUNIT2  = 'deg     '",
	}
	if radesys != "" {
		cards = append(cards, fmt.Sprintf("RADESYS = '%s'", radesys), "EQUINOX =               2000.0")
	}
	var b strings.Builder
	for _, c := range append(cards, "END") {
		b.WriteString(c + strings.Repeat(" ", fits.CardLen-len(c)))
	}
	for b.Len()%fits.BlockLen != 0 {
		b.WriteByte(' ')
	}
	h, _, err := fits.ParseHeader([]byte(b.String()))
	if err != nil {
		tb.Fatal(err)
	}
	cel, err := wcs.FromHeader(h)
	if err != nil {
		tb.Fatal(err)
	}
	return Image{Sky: cel, Frame: frame}
}

func icrsImage(tb testing.TB) Image { return skyImage(tb, "RA---TAN", "DEC--TAN", "ICRS", FrameICRS) }

// sampleRegions are one region of every kind the frontend draws, with
// the styles the frontend sends for them (exportRegions in the 6.0.0
// bundle: annotation styles only for points, text, compass and ruler).
func sampleRegions() []Region {
	p := func(x, y float64) region.Point { return region.Point{X: x, Y: y} }
	st := func(name, color string, w int32, dash ...int32) Style {
		return Style{Name: name, Color: color, LineWidth: w, Dash: dash}
	}
	withAnn := func(s Style, a *Annotation) Style { s.Ann = a; return s }
	return []Region{
		{Kind: region.KindPoint, Points: []region.Point{p(100.25, 200.5)}, Style: st("star A", "#2EE6D6", 2)},
		{Kind: region.KindLine, Points: []region.Point{p(10, 20), p(300.125, 250.75)}, Style: st("", "#FF0000", 1, 2)},
		{Kind: region.KindPolyline, Points: []region.Point{p(10, 20), p(30, 50), p(60, 30.5)}, Style: st("pl", "#2EE6D6", 3)},
		{Kind: region.KindRectangle, Points: []region.Point{p(256, 256), p(40, 20)}, Style: st("box", "#2EE6D6", 2)},
		{Kind: region.KindRectangle, Points: []region.Point{p(128.5, 300), p(40, 20)}, Rotation: 30, Style: st("rotbox", "#2EE6D6", 2, 2)},
		{Kind: region.KindEllipse, Points: []region.Point{p(200, 220), p(30, 15)}, Rotation: 45, Style: st("ell", "#2EE6D6", 2)},
		{Kind: region.KindEllipse, Points: []region.Point{p(300, 120), p(12.5, 12.5)}, Style: st("circle", "#2EE6D6", 2)},
		{Kind: region.KindPolygon, Points: []region.Point{p(50, 50), p(90, 60), p(70, 95), p(45, 80)}, Style: st("poly", "#00FF00", 1)},
		{Kind: region.KindAnnPoint, Points: []region.Point{p(400, 400)}, Style: withAnn(st("", "#FFFFFF", 2), &Annotation{PointShape: shapeCircleLined, PointWidth: 8})},
		{Kind: region.KindAnnLine, Points: []region.Point{p(20, 400), p(80, 450)}, Style: st("", "#FFFFFF", 2)},
		{Kind: region.KindAnnPolyline, Points: []region.Point{p(20, 300), p(40, 320), p(60, 310)}, Style: st("", "#FFFFFF", 2)},
		{Kind: region.KindAnnRectangle, Points: []region.Point{p(420, 100), p(30, 10)}, Rotation: 15, Style: st("", "#FFFFFF", 2)},
		{Kind: region.KindAnnEllipse, Points: []region.Point{p(420, 200), p(20, 10)}, Rotation: 10, Style: st("", "#FFFFFF", 2)},
		{Kind: region.KindAnnPolygon, Points: []region.Point{p(350, 350), p(380, 360), p(370, 390)}, Style: st("", "#FFFFFF", 2)},
		{Kind: region.KindAnnVector, Points: []region.Point{p(100, 450), p(150, 480)}, Style: st("", "#FFFFFF", 2)},
		{Kind: region.KindAnnRuler, Points: []region.Point{p(100, 100), p(200, 150)}, Style: withAnn(st("", "#FFFFFF", 2), &Annotation{CoordinateSystem: "PIXEL", Font: "Helvetica", FontSize: 13, FontStyle: "Normal"})},
		{Kind: region.KindAnnText, Points: []region.Point{p(250, 50), p(80, 20)}, Style: withAnn(st("label box", "#FFFFFF", 2), &Annotation{TextLabel0: "Hello M51", TextPosition: 5, Font: "Times", FontSize: 20, FontStyle: "Italic Bold"})},
		{Kind: region.KindAnnCompass, Points: []region.Point{p(60, 450), p(40, 40)}, Style: withAnn(st("", "#FFFFFF", 2), &Annotation{TextLabel0: "N", TextLabel1: "E", CoordinateSystem: "PIXEL", IsNorthArrow: true, IsEastArrow: true, Font: "Helvetica", FontSize: 14, FontStyle: "Bold"})},
	}
}

// sameRegion reports how a differs from b, with positions compared to
// tol pixels and angles to tol degrees; "" when they match.
func sameRegion(a, b Region, tol float64) string {
	if a.Kind != b.Kind || len(a.Points) != len(b.Points) {
		return fmt.Sprintf("kind/points %v %d, want %v %d", a.Kind, len(a.Points), b.Kind, len(b.Points))
	}
	for i := range a.Points {
		if math.Abs(a.Points[i].X-b.Points[i].X) > tol || math.Abs(a.Points[i].Y-b.Points[i].Y) > tol {
			return fmt.Sprintf("point %d %v, want %v", i, a.Points[i], b.Points[i])
		}
	}
	if d := math.Mod(math.Abs(a.Rotation-b.Rotation), 360); math.Min(d, 360-d) > tol {
		return fmt.Sprintf("rotation %g, want %g", a.Rotation, b.Rotation)
	}
	if tol == 0 && (float32(a.Rotation) != float32(b.Rotation) && math.Mod(a.Rotation-b.Rotation, 360) != 0) {
		return fmt.Sprintf("rotation %g, want %g", a.Rotation, b.Rotation)
	}
	dash := func(d []int32) int32 {
		if len(d) == 0 {
			return 0
		}
		return d[0]
	}
	if a.Style.Name != b.Style.Name || !strings.EqualFold(a.Style.Color, b.Style.Color) ||
		a.Style.LineWidth != b.Style.LineWidth || dash(a.Style.Dash) != dash(b.Style.Dash) {
		return fmt.Sprintf("style %+v, want %+v", a.Style, b.Style)
	}
	if b.Style.Ann != nil && (a.Style.Ann == nil || *a.Style.Ann != *b.Style.Ann) {
		return fmt.Sprintf("annotation style %+v, want %+v", a.Style.Ann, b.Style.Ann)
	}
	return ""
}
