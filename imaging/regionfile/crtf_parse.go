package regionfile

import (
	"errors"
	"fmt"
	"strings"

	"cartago/imaging/region"
)

// crtfFrames are CRTF's coord= values this package converts.
var crtfFrames = map[string]Frame{
	"J2000": FrameFK5, "ICRS": FrameICRS, "B1950": FrameFK4, "B1950_VLA": FrameFK4,
	"GALACTIC": FrameGalactic, "ECLIPTIC": FrameEcliptic, "SUPERGAL": FrameSupergalactic,
}

type crtfParser struct {
	img     Image
	globals map[string]string
	res     *Result
	textbox *Region // CARTA's "# textbox" line, waiting for its "text" line
}

func parseCRTF(lines []string, img Image) *Result {
	p := &crtfParser{img: img, globals: map[string]string{}, res: &Result{}}
	for i, line := range lines {
		line = strings.TrimSpace(line)
		if err := p.line(line); err != nil {
			p.res.problem(i+1, line, err)
		}
	}
	return p.res
}

func (p *crtfParser) line(line string) error {
	if line == "" {
		return nil
	}
	if rest, ok := strings.CutPrefix(line, "#"); ok {
		// CARTA writes compass and text boxes as comments, which CASA
		// skips; everything else after '#' is a comment.
		rest = strings.TrimSpace(rest)
		if !strings.HasPrefix(rest, "compass") && !strings.HasPrefix(rest, "textbox") {
			return nil
		}
		line = rest
	}
	line = strings.TrimLeft(line, "+-") // include and exclude are both imported
	ann := false
	if rest, ok := strings.CutPrefix(line, "ann "); ok {
		ann, line = true, strings.TrimSpace(rest)
	}
	shape, rest := cutShape(line)
	if shape == "global" {
		for k, v := range parseProps(rest) {
			p.globals[k] = v
		}
		return nil
	}
	open := strings.IndexByte(rest, '[')
	if open < 0 {
		return fmt.Errorf("%s has no coordinates", shape)
	}
	end := closing(rest, open)
	if end < 0 {
		return errors.New("unbalanced brackets")
	}
	props := parseProps(rest[end+1:])
	conv, err := p.converter(props)
	if err != nil {
		return err
	}
	r, err := crtfShape(shape, ann, splitTop(rest[open+1:end], ','), props, conv)
	if err != nil {
		return err
	}
	return p.add(shape, r, props)
}

// cutShape splits off the shape word, which ends at a space or '['.
func cutShape(line string) (string, string) {
	i := strings.IndexAny(line, " \t[")
	if i < 0 {
		return strings.ToLower(line), ""
	}
	return strings.ToLower(line[:i]), line[i:]
}

// parseProps reads ", key=value, key=value" (CRTF) into lower-case keys.
func parseProps(s string) map[string]string {
	props := map[string]string{}
	for _, kv := range splitTop(s, ',') {
		if k, v, ok := strings.Cut(kv, "="); ok {
			props[strings.ToLower(strings.TrimSpace(k))] = strings.TrimSpace(v)
		}
	}
	return props
}

func (p *crtfParser) prop(props map[string]string, key string) (string, bool) {
	if v, ok := props[key]; ok {
		return v, true
	}
	v, ok := p.globals[key]
	return v, ok
}

func (p *crtfParser) converter(props map[string]string) (converter, error) {
	c := converter{img: p.img, file: p.img.Frame}
	if name, ok := p.prop(props, "coord"); ok {
		f, known := crtfFrames[strings.ToUpper(name)]
		if !known {
			return c, fmt.Errorf("coord=%s is %w", name, ErrUnsupported)
		}
		c.file = f
	}
	return c, nil
}

// add styles r and keeps it; a textbox waits for its text line.
func (p *crtfParser) add(shape string, r Region, props map[string]string) error {
	r.Style = crtfStyle(r.Kind, r.Style.Ann, func(k string) (string, bool) { return p.prop(props, k) })
	switch {
	case shape == "textbox":
		r.Style.Ann.TextPosition = textPosition(props["align"])
		p.textbox = &r
		return nil
	case shape == "text" && p.textbox != nil:
		box := p.textbox
		p.textbox = nil
		box.Style.Ann.TextLabel0 = r.Style.Ann.TextLabel0
		box.Style.Color, box.Style.LineWidth, box.Style.Dash = r.Style.Color, r.Style.LineWidth, r.Style.Dash
		box.Style.Ann.Font, box.Style.Ann.FontSize, box.Style.Ann.FontStyle = r.Style.Ann.Font, r.Style.Ann.FontSize, r.Style.Ann.FontStyle
		if r.Style.Name != "" {
			box.Style.Name = r.Style.Name
		}
		r = *box
	}
	if err := (region.Desc{Kind: r.Kind, Points: r.Points, Rotation: r.Rotation}).Validate(); err != nil {
		return fmt.Errorf("%s: %w", shape, err)
	}
	p.res.Regions = append(p.res.Regions, r)
	return nil
}

func crtfShape(shape string, ann bool, args []string, props map[string]string, c converter) (Region, error) {
	kind := func(plain, annotation region.Kind) region.Kind {
		if ann {
			return annotation
		}
		return plain
	}
	g := geom{c: c, vals: flatten(args), hours: c.file.equatorial(), barePix: c.img.Sky == nil}
	var r Region
	var err error
	switch shape {
	case "symbol":
		r, err = g.point(kind(region.KindPoint, region.KindAnnPoint))
		if err == nil {
			r.Style.Ann = symbolStyle(g.arg(2), props)
		}
	case "text":
		r, err = g.point(region.KindAnnText)
		r.Points = append(r.Points, region.Point{})
		r.Style.Ann = &Annotation{TextLabel0: unquote(g.arg(2))}
	case "line", "vector":
		k := kind(region.KindLine, region.KindAnnLine)
		if shape == "vector" {
			k = region.KindAnnVector
		} else if _, ok := props["ruler"]; ok {
			k = region.KindAnnRuler
		}
		r, err = g.points(k, 2, 2)
		if k == region.KindAnnRuler {
			r.Style.Ann = &Annotation{CoordinateSystem: strings.Fields(props["ruler"] + " PIXEL")[0]}
		}
	case "polyline":
		r, err = g.points(kind(region.KindPolyline, region.KindAnnPolyline), 3, -1)
	case "poly", "polygon":
		r, err = g.points(kind(region.KindPolygon, region.KindAnnPolygon), 3, -1)
	case "box":
		r, err = g.corners(kind(region.KindRectangle, region.KindAnnRectangle))
	case "centerbox", "rotbox":
		r, err = g.sized(kind(region.KindRectangle, region.KindAnnRectangle), shape == "rotbox", false)
	case "textbox":
		r, err = g.sized(region.KindAnnText, len(g.vals) > 4, false)
	case "ellipse":
		r, err = g.sized(kind(region.KindEllipse, region.KindAnnEllipse), true, true)
	case "circle", "compass":
		k := kind(region.KindEllipse, region.KindAnnEllipse)
		if shape == "compass" {
			k = region.KindAnnCompass
		}
		r, err = g.circle(k)
		if err == nil && shape == "compass" {
			r.Style.Ann = compassStyle(props["compass"])
		}
	case "annulus":
		return r, fmt.Errorf("annulus regions are %w by the frontend", ErrUnsupported)
	default:
		return r, fmt.Errorf("shape %q is %w", shape, ErrUnsupported)
	}
	return r, err
}
