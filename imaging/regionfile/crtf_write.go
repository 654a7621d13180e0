package regionfile

import (
	"fmt"
	"strings"

	"cartago/imaging/region"
)

var crtfFrameNames = map[Frame]string{FrameFK5: "J2000", FrameICRS: "ICRS", FrameFK4: "B1950",
	FrameGalactic: "GALACTIC", FrameEcliptic: "ECLIPTIC", FrameSupergalactic: "SUPERGAL"}

// crtfPos writes "[x, y]" in pixels or world coordinates.
func (w writer) crtfPos(p region.Point) (string, error) {
	if !w.world {
		return "[" + fmtPix(p.X) + "pix, " + fmtPix(p.Y) + "pix]", nil
	}
	lon, lat, err := w.c.pixelToWorld(p)
	if err != nil {
		return "", err
	}
	if w.c.file.equatorial() {
		return "[" + formatHours(lon) + ", " + formatDegrees(lat, ".") + "]", nil
	}
	return fmt.Sprintf("[%.9fdeg, %.9fdeg]", lon, lat), nil
}

func (w writer) crtfPoints(ps []region.Point) (string, error) {
	parts := make([]string, len(ps))
	for i, p := range ps {
		s, err := w.crtfPos(p)
		if err != nil {
			return "", err
		}
		parts[i] = s
	}
	return strings.Join(parts, ", "), nil
}

func pixUnit(v float64) string { return fmtPix(v) + "pix" }

func degUnit(v float64) string { return fmtNum(float64(float32(v))) + "deg" }

// crtf writes one region as CRTF lines.
func (w writer) crtf(r Region) ([]string, error) {
	ann := ""
	if r.Kind.IsAnnotation() {
		ann = "ann "
	}
	centre, err := w.crtfPos(r.Points[0])
	if err != nil {
		return nil, err
	}
	var line string
	switch r.Kind {
	case region.KindPoint, region.KindAnnPoint:
		char, _ := symbolChar(annOf(r).PointShape)
		if r.Kind == region.KindPoint {
			char = "."
		}
		line = fmt.Sprintf("%ssymbol [%s, %s]", ann, centre, char)
	case region.KindRectangle, region.KindAnnRectangle, region.KindEllipse, region.KindAnnEllipse:
		ellipse := r.Kind == region.KindEllipse || r.Kind == region.KindAnnEllipse
		a, b, err := w.sizes(r.Points[0], r.Points[1], ellipse, arcsec, pixUnit)
		if err != nil {
			return nil, err
		}
		shape := map[bool]string{false: "centerbox", true: "ellipse"}[ellipse]
		switch {
		case !ellipse && r.Rotation != 0:
			shape = "rotbox"
		case ellipse && r.Points[1].X == r.Points[1].Y && r.Rotation == 0:
			line = fmt.Sprintf("%scircle [%s, %s]", ann, centre, a)
		}
		if line == "" && (ellipse || r.Rotation != 0) {
			line = fmt.Sprintf("%s%s [%s, [%s, %s], %s]", ann, shape, centre, a, b, degUnit(r.Rotation))
		} else if line == "" {
			line = fmt.Sprintf("%s%s [%s, [%s, %s]]", ann, shape, centre, a, b)
		}
	case region.KindLine, region.KindAnnLine, region.KindAnnRuler, region.KindAnnVector,
		region.KindPolyline, region.KindAnnPolyline, region.KindPolygon, region.KindAnnPolygon:
		pts, err := w.crtfPoints(r.Points)
		if err != nil {
			return nil, err
		}
		shape := map[region.Kind]string{region.KindLine: "line", region.KindAnnLine: "line", region.KindAnnRuler: "line",
			region.KindAnnVector: "vector", region.KindPolyline: "polyline", region.KindAnnPolyline: "polyline",
			region.KindPolygon: "poly", region.KindAnnPolygon: "poly"}[r.Kind]
		line = fmt.Sprintf("%s%s [%s]", ann, shape, pts)
	case region.KindAnnCompass:
		l, _, err := w.sizes(r.Points[0], r.Points[1], true, arcsec, pixUnit)
		if err != nil {
			return nil, err
		}
		line = fmt.Sprintf("# compass [%s, %s]", centre, l)
	case region.KindAnnText:
		return w.crtfText(r, centre)
	default:
		return nil, fmt.Errorf("%s is %w in CRTF", kindName(r.Kind), ErrUnsupported)
	}
	return []string{line + w.crtfStyle(r)}, nil
}

// crtfText writes a text annotation as CARTA does: a "# textbox" comment
// with its box and alignment, then the text itself, which CASA reads.
func (w writer) crtfText(r Region, centre string) ([]string, error) {
	a, b, err := w.sizes(r.Points[0], r.Points[1], false, arcsec, pixUnit)
	if err != nil {
		return nil, err
	}
	ann := annOf(r)
	box := fmt.Sprintf("# textbox [%s, [%s, %s], %s]%s, align=%s", centre, a, b, degUnit(r.Rotation), w.coordKey(), textAlign(ann.TextPosition))
	text := fmt.Sprintf("ann text [%s, %s]%s", centre, quoteLabel(ann.TextLabel0), w.crtfStyle(r))
	return []string{box, text}, nil
}

func (w writer) coordKey() string {
	if name, ok := crtfFrameNames[w.c.img.Frame]; ok && w.c.img.Sky != nil {
		return " coord=" + name
	}
	return ""
}

// crtfStyle writes the keys after the shape.
func (w writer) crtfStyle(r Region) string {
	var b strings.Builder
	b.WriteString(w.coordKey())
	if b.Len() > 0 {
		b.WriteString(",")
	}
	linestyle := "-"
	if len(r.Style.Dash) > 0 && r.Style.Dash[0] != 0 {
		linestyle = map[bool]string{true: ":", false: "--"}[r.Style.Dash[0] == 1]
	}
	fmt.Fprintf(&b, " linewidth=%d, linestyle=%s, color=%s", r.Style.LineWidth, linestyle, crtfColor(r.Style.Color))
	if r.Style.Name != "" {
		fmt.Fprintf(&b, ", label=%s", quoteLabel(r.Style.Name))
	}
	if !r.Kind.IsAnnotation() {
		return b.String()
	}
	a := annOf(r)
	if a.Font != "" || a.FontSize != 0 || a.FontStyle != "" {
		fmt.Fprintf(&b, ", font=%s, fontsize=%d, fontstyle=%s", quoteLabel(a.Font), a.FontSize, fontStyleToCRTF(a.FontStyle))
	}
	switch r.Kind {
	case region.KindAnnPoint:
		_, thick := symbolChar(a.PointShape)
		fmt.Fprintf(&b, ", symsize=%d, symthick=%d", a.PointWidth, thick)
	case region.KindAnnRuler:
		fmt.Fprintf(&b, ", ruler=%s", colorToken(rulerSystem(a)))
	case region.KindAnnCompass:
		fmt.Fprintf(&b, ", compass=%s", compassKey(a))
	}
	return b.String()
}

func rulerSystem(a *Annotation) string {
	if a.CoordinateSystem == "" {
		return "PIXEL"
	}
	return a.CoordinateSystem
}

// annOf returns r's annotation style, or an empty one.
func annOf(r Region) *Annotation {
	if r.Style.Ann != nil {
		return r.Style.Ann
	}
	return &Annotation{}
}
