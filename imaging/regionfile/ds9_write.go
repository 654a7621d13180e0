package regionfile

import (
	"fmt"
	"math"
	"strings"

	"cartago/imaging/region"
)

var ds9FrameNames = map[Frame]string{FrameFK5: "fk5", FrameICRS: "icrs", FrameFK4: "fk4",
	FrameGalactic: "galactic", FrameEcliptic: "ecliptic"}

// ds9Header writes the format line, DS9's default globals and the
// coordinate system of every line after them.
func (w writer) ds9Header() {
	system := "image"
	if w.world {
		name, ok := ds9FrameNames[w.c.img.Frame]
		if !ok {
			name = "wcs"
		}
		system = name
	}
	w.out.Lines = append(w.out.Lines,
		"# Region file format: DS9 version 4.1",
		`global color=green dashlist=8 3 width=1 font="helvetica 10 normal roman" select=1 highlite=1 dash=0 fixed=0 edit=1 move=1 delete=1 include=1 source=1`,
		system)
}

// ds9Pos writes "x, y": 1-based pixels or degrees.
func (w writer) ds9Pos(p region.Point) (string, error) {
	if !w.world {
		return fmtNum(float64(float32(p.X))+1) + ", " + fmtNum(float64(float32(p.Y))+1), nil
	}
	lon, lat, err := w.c.pixelToWorld(p)
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("%.9f, %.9f", lon, lat), nil
}

func ds9Arcsec(deg float64) string { return fmtFixed(deg*3600, 7) + `"` }

// ds9 writes one region as DS9 lines; annotations are "# " lines.
func (w writer) ds9(r Region) ([]string, error) {
	prefix := ""
	if r.Kind.IsAnnotation() {
		prefix = "# "
	}
	var shape string
	switch r.Kind {
	case region.KindPoint, region.KindAnnPoint:
		pos, err := w.ds9Pos(r.Points[0])
		if err != nil {
			return nil, err
		}
		shape = fmt.Sprintf("point(%s)", pos)
	case region.KindLine, region.KindAnnLine, region.KindAnnRuler, region.KindPolyline, region.KindAnnPolyline,
		region.KindPolygon, region.KindAnnPolygon, region.KindAnnVector:
		parts := make([]string, len(r.Points))
		for i, p := range r.Points {
			s, err := w.ds9Pos(p)
			if err != nil {
				return nil, err
			}
			parts[i] = s
		}
		name := map[region.Kind]string{region.KindLine: "line", region.KindAnnLine: "line", region.KindAnnRuler: "ruler",
			region.KindPolyline: "polyline", region.KindAnnPolyline: "polyline", region.KindPolygon: "polygon",
			region.KindAnnPolygon: "polygon", region.KindAnnVector: "line"}[r.Kind]
		shape = fmt.Sprintf("%s(%s)", name, strings.Join(parts, ", "))
		if r.Kind == region.KindAnnVector {
			shape += " # vector=1" // kept as its two ends; CARTA's own form
		}
	case region.KindRectangle, region.KindAnnRectangle, region.KindEllipse, region.KindAnnEllipse, region.KindAnnCompass, region.KindAnnText:
		s, err := w.ds9Sized(r)
		if err != nil {
			return nil, err
		}
		shape = s
	default:
		return nil, fmt.Errorf("%s is %w in DS9", kindName(r.Kind), ErrUnsupported)
	}
	if r.Kind == region.KindAnnText {
		return w.ds9Text(r, shape)
	}
	return []string{prefix + shape + w.ds9Style(r, strings.Contains(shape, "#"))}, nil
}

func (w writer) ds9Sized(r Region) (string, error) {
	pos, err := w.ds9Pos(r.Points[0])
	if err != nil {
		return "", err
	}
	ellipse := r.Kind == region.KindEllipse || r.Kind == region.KindAnnEllipse || r.Kind == region.KindAnnCompass
	a, b, err := w.sizes(r.Points[0], r.Points[1], ellipse, ds9Arcsec, func(v float64) string { return fmtPix(v) })
	if err != nil {
		return "", err
	}
	switch r.Kind {
	case region.KindAnnCompass:
		return fmt.Sprintf("compass(%s, %s)", pos, a), nil
	case region.KindEllipse, region.KindAnnEllipse:
		if r.Points[1].X == r.Points[1].Y && r.Rotation == 0 {
			return fmt.Sprintf("circle(%s, %s)", pos, a), nil
		}
		angle := math.Mod(float64(float32(r.Rotation))+90, 360)
		return fmt.Sprintf("ellipse(%s, %s, %s, %s)", pos, a, b, fmtNum(angle)), nil
	case region.KindAnnText:
		return fmt.Sprintf("textbox(%s, %s, %s, %s)", pos, a, b, fmtPix(r.Rotation)), nil
	}
	return fmt.Sprintf("box(%s, %s, %s, %s)", pos, a, b, fmtPix(r.Rotation)), nil
}

// ds9Text writes a text annotation as CARTA does: "# textbox" with the
// box, name and alignment, then "# text" with the text.
func (w writer) ds9Text(r Region, box string) ([]string, error) {
	pos, err := w.ds9Pos(r.Points[0])
	if err != nil {
		return nil, err
	}
	a := annOf(r)
	first := fmt.Sprintf("# %s # text=%s align=%s", box, braceLabel(r.Style.Name), textAlign(a.TextPosition))
	second := fmt.Sprintf("# text(%s) text=%s", pos, braceLabel(a.TextLabel0)) + w.ds9Style(Region{Kind: r.Kind, Style: Style{
		Color: r.Style.Color, LineWidth: r.Style.LineWidth, Dash: r.Style.Dash, Ann: a}}, true)
	return []string{first, second}, nil
}

// ds9Style writes the properties after '#'.
func (w writer) ds9Style(r Region, hasHash bool) string {
	var b strings.Builder
	if !hasHash {
		b.WriteString(" #")
	}
	fmt.Fprintf(&b, " color=%s width=%d", colorToken(r.Style.Color), r.Style.LineWidth)
	if r.Style.Name != "" && r.Kind != region.KindAnnText {
		fmt.Fprintf(&b, " text=%s", braceLabel(r.Style.Name))
	}
	if len(r.Style.Dash) > 0 && r.Style.Dash[0] != 0 {
		on := r.Style.Dash[0]
		off := on
		if len(r.Style.Dash) > 1 {
			off = r.Style.Dash[1]
		}
		fmt.Fprintf(&b, " dash=1 dashlist=%d %d", on, off)
	}
	if !r.Kind.IsAnnotation() {
		return b.String()
	}
	a := annOf(r)
	if a.Font != "" || a.FontSize != 0 || a.FontStyle != "" {
		b.WriteString(" " + ds9FontString(a))
	}
	switch r.Kind {
	case region.KindAnnPoint:
		name, filled := ds9PointName(a.PointShape)
		fmt.Fprintf(&b, " point=%s %d", name, a.PointWidth)
		if filled {
			b.WriteString(" fill=1")
		}
	case region.KindAnnRuler:
		fmt.Fprintf(&b, " ruler=%s", colorToken(rulerSystem(a)))
	case region.KindAnnCompass:
		fmt.Fprintf(&b, " compass=%s", compassKeyDS9(a))
	}
	return b.String()
}

func compassKeyDS9(a *Annotation) string {
	b := func(v bool) int {
		if v {
			return 1
		}
		return 0
	}
	cs := a.CoordinateSystem
	if cs == "" {
		cs = "PIXEL"
	}
	return fmt.Sprintf("%s %s %s %d %d", colorToken(cs), braceLabel(a.TextLabel0), braceLabel(a.TextLabel1), b(a.IsNorthArrow), b(a.IsEastArrow))
}
