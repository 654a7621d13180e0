package regionfile

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"cartago/imaging/region"
)

// ds9Systems are DS9's coordinate systems; pixel systems map to
// FrameNone, "wcs" to the image's own frame (-1 here).
var ds9Systems = map[string]Frame{
	"image": FrameNone, "physical": FrameNone, "fk5": FrameFK5, "j2000": FrameFK5, "fk4": FrameFK4,
	"b1950": FrameFK4, "icrs": FrameICRS, "galactic": FrameGalactic, "ecliptic": FrameEcliptic, "wcs": -1,
}

// ds9Shapes are the shapes DS9 and CARTA write, for telling an
// annotation line "# point(...)" from a comment.
var ds9Shapes = map[string]bool{"point": true, "line": true, "polyline": true, "box": true, "ellipse": true,
	"circle": true, "polygon": true, "annulus": true, "text": true, "textbox": true, "vector": true,
	"ruler": true, "compass": true, "projection": true, "panda": true, "epanda": true, "bpanda": true, "composite": true}

type ds9Parser struct {
	img     Image
	system  Frame
	pixel   bool
	globals map[string]string
	res     *Result
	textbox *Region
}

func parseDS9(lines []string, img Image) *Result {
	p := &ds9Parser{img: img, pixel: true, globals: map[string]string{}, res: &Result{}}
	for i, line := range lines {
		line = strings.TrimSpace(line)
		if err := p.line(line); err != nil {
			p.res.problem(i+1, line, err)
		}
	}
	return p.res
}

func (p *ds9Parser) line(line string) error {
	ann := false
	if rest, ok := strings.CutPrefix(line, "#"); ok {
		// "# shape(...)" is how DS9 and CARTA keep annotations DS9 itself
		// would not draw; any other '#' line is a comment.
		rest = strings.TrimSpace(rest)
		word, _ := cutShapeDS9(rest)
		if !ds9Shapes[word] {
			return nil
		}
		ann, line = true, rest
	}
	if line == "" {
		return nil
	}
	body, comment := splitComment(line)
	if w, rest, _ := strings.Cut(body, " "); w == "global" {
		for k, v := range ds9Props(rest) {
			p.globals[k] = v
		}
		return nil
	}
	pieces := splitTop(body, ';')
	props := ds9Props(comment)
	for i, piece := range pieces {
		if piece == "" {
			continue
		}
		if err := p.piece(piece, ann, props, i == len(pieces)-1); err != nil {
			return err
		}
	}
	return nil
}

// splitComment splits a line at the '#' that starts its properties.
// Quotes do not count before it: DS9 writes arcseconds as 3".
func splitComment(line string) (string, string) {
	depth := 0
	for i := 0; i < len(line); i++ {
		switch c := line[i]; {
		case c == '(' || c == '{':
			depth++
		case c == ')' || c == '}':
			depth--
		case c == '#' && depth <= 0 && (i == 0 || line[i-1] != '='): // color=#ff0000 is a value
			return strings.TrimSpace(line[:i]), strings.TrimSpace(line[i+1:])
		}
	}
	return line, ""
}

// closingParen returns the index of the ')' closing s[0] == '(', or -1;
// quotes inside are arcseconds, not strings.
func closingParen(s string) int {
	depth := 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '(':
			depth++
		case ')':
			if depth--; depth == 0 {
				return i
			}
		}
	}
	return -1
}

func cutShapeDS9(s string) (string, string) {
	i := strings.IndexAny(s, "( \t")
	if i < 0 {
		return strings.ToLower(s), ""
	}
	return strings.ToLower(s[:i]), s[i:]
}

// ds9Props reads "color=red width=2 text={a b} dashlist=8 3": a word
// with '=' starts a key, other words extend the value before them.
func ds9Props(s string) map[string]string {
	props := map[string]string{}
	key := ""
	for _, f := range fieldsQuoted(s) {
		if k, v, ok := strings.Cut(f, "="); ok && !strings.ContainsAny(k, "{\"'") {
			key = strings.ToLower(k)
			props[key] = v
			continue
		}
		if key != "" {
			props[key] = strings.TrimSpace(props[key] + " " + f)
		}
	}
	return props
}

func (p *ds9Parser) piece(piece string, ann bool, props map[string]string, last bool) error {
	piece = strings.TrimLeft(piece, "+-")
	word, rest := cutShapeDS9(piece)
	if f, ok := ds9Systems[word]; ok && strings.TrimSpace(rest) == "" {
		if f < 0 {
			f = p.img.Frame
		}
		p.system, p.pixel = f, f == FrameNone
		return nil
	}
	if !last {
		props = map[string]string{} // properties belong to the line's last shape
	}
	rest = strings.TrimSpace(rest)
	if !strings.HasPrefix(rest, "(") {
		// the old form "circle point(x, y)"
		if pw, prest := cutShapeDS9(rest); pw == "point" && word != "point" {
			props["point"] = word
			word, rest = pw, strings.TrimSpace(prest)
		}
	}
	end := -1
	if strings.HasPrefix(rest, "(") {
		end = closingParen(rest)
	}
	if end < 0 {
		return fmt.Errorf("%s has no (coordinates)", word)
	}
	tail := strings.TrimSpace(rest[end+1:])
	switch {
	case word == "text" && strings.HasPrefix(tail, "{"):
		props["text"] = tail // text(x, y) {Hello}
	case tail != "":
		// "# text(x, y) text={Hello}": an annotation's properties may
		// follow without a second '#'
		for k, v := range ds9Props(tail) {
			props[k] = v
		}
	}
	vals := strings.Split(rest[1:end], ",")
	if len(vals) == 1 {
		vals = strings.Fields(vals[0]) // DS9 also separates values by spaces
	}
	g := geom{c: converter{img: p.img, file: p.system}, vals: vals, hours: p.system.equatorial(),
		barePix: p.pixel, oneBased: true, ds9: true}
	r, err := ds9Shape(word, ann, g, props)
	if err != nil {
		return err
	}
	return p.add(word, r, props)
}

func ds9Shape(word string, ann bool, g geom, props map[string]string) (Region, error) {
	kind := func(plain, annotation region.Kind) region.Kind {
		if ann {
			return annotation
		}
		return plain
	}
	var r Region
	var err error
	switch word {
	case "point":
		r, err = g.point(kind(region.KindPoint, region.KindAnnPoint))
	case "line":
		k := kind(region.KindLine, region.KindAnnLine)
		if _, ok := props["vector"]; ok && ann {
			k = region.KindAnnVector // CARTA's vector: its two ends
		}
		r, err = g.points(k, 2, 2)
	case "ruler":
		r, err = g.points(region.KindAnnRuler, 2, 2)
	case "polyline":
		r, err = g.points(kind(region.KindPolyline, region.KindAnnPolyline), 3, -1)
	case "polygon":
		r, err = g.points(kind(region.KindPolygon, region.KindAnnPolygon), 3, -1)
	case "box":
		r, err = g.sized(kind(region.KindRectangle, region.KindAnnRectangle), true, false)
	case "textbox":
		r, err = g.sized(region.KindAnnText, true, false)
	case "ellipse":
		r, err = g.sized(kind(region.KindEllipse, region.KindAnnEllipse), true, true)
		r.Rotation = math.Mod(r.Rotation-90+360, 360) // DS9 measures the first radius from x
	case "circle", "compass":
		k := kind(region.KindEllipse, region.KindAnnEllipse)
		if word == "compass" {
			k = region.KindAnnCompass
		}
		r, err = g.circle(k)
	case "text":
		r, err = g.point(region.KindAnnText)
		r.Points = append(r.Points, region.Point{})
	case "vector":
		r, err = g.vector()
	case "annulus", "panda", "epanda", "bpanda":
		return r, fmt.Errorf("%s regions are %w by the frontend", word, ErrUnsupported)
	default:
		return r, fmt.Errorf("shape %q is %w", word, ErrUnsupported)
	}
	return r, err
}

// vector reads DS9's vector(x, y, length, angle) into its two ends.
func (g geom) vector() (Region, error) {
	start, err := g.pos(0)
	if err != nil {
		return Region{}, err
	}
	l, err := g.length(2, start, false)
	if err != nil {
		return Region{}, err
	}
	a, err := g.angle(3)
	if err != nil {
		return Region{}, err
	}
	s, c := math.Sincos(a * math.Pi / 180)
	return Region{Kind: region.KindAnnVector, Points: []region.Point{start, {X: start.X + l*c, Y: start.Y + l*s}}}, nil
}

func (p *ds9Parser) prop(props map[string]string, key string) (string, bool) {
	if v, ok := props[key]; ok {
		return v, true
	}
	v, ok := p.globals[key]
	return v, ok
}

func (p *ds9Parser) add(word string, r Region, props map[string]string) error {
	r.Style = p.style(r.Kind, props)
	switch {
	case word == "textbox":
		r.Style.Name, r.Style.Ann.TextLabel0 = r.Style.Ann.TextLabel0, ""
		p.textbox = &r
		return nil
	case word == "text" && p.textbox != nil:
		box := p.textbox
		p.textbox = nil
		box.Style.Ann.TextLabel0 = r.Style.Ann.TextLabel0
		box.Style.Color, box.Style.LineWidth, box.Style.Dash = r.Style.Color, r.Style.LineWidth, r.Style.Dash
		box.Style.Ann.Font, box.Style.Ann.FontSize, box.Style.Ann.FontStyle = r.Style.Ann.Font, r.Style.Ann.FontSize, r.Style.Ann.FontStyle
		r = *box
	}
	if err := (region.Desc{Kind: r.Kind, Points: r.Points, Rotation: r.Rotation}).Validate(); err != nil {
		return fmt.Errorf("%s: %w", word, err)
	}
	p.res.Regions = append(p.res.Regions, r)
	return nil
}

// style reads DS9's properties: text (the name, or a text annotation's
// text), color, width, dash and dashlist, font, point, compass, ruler,
// align.
func (p *ds9Parser) style(k region.Kind, props map[string]string) Style {
	get := func(key string) (string, bool) { return p.prop(props, key) }
	s := Style{Color: "green", LineWidth: 1, Dash: []int32{0}}
	if v, ok := get("color"); ok {
		s.Color = importColor(unquote(v))
	}
	if v, ok := get("width"); ok {
		if n, err := strconv.Atoi(v); err == nil && n >= 0 && n <= 1000 {
			s.LineWidth = int32(n)
		}
	}
	if v, _ := get("dash"); v == "1" {
		list, _ := get("dashlist")
		if f := strings.Fields(list + " 8"); len(f) > 0 {
			if n, err := strconv.Atoi(f[0]); err == nil && n > 0 && n <= 1000 {
				s.Dash = []int32{int32(n)}
			}
		}
	}
	text := unquote(props["text"])
	if k != region.KindAnnText {
		s.Name = text
	}
	if !k.IsAnnotation() {
		return s
	}
	a := &Annotation{}
	s.Ann = a
	switch k {
	case region.KindAnnText:
		a.TextLabel0 = text
		a.TextPosition = textPosition(props["align"])
	case region.KindAnnPoint:
		a.PointShape, a.PointWidth = ds9PointShape(props["point"], props["fill"] == "1")
	case region.KindAnnCompass:
		*a = *compassStyle(props["compass"])
	case region.KindAnnRuler:
		a.CoordinateSystem = strings.Fields(props["ruler"] + " PIXEL")[0]
	}
	if v, ok := get("font"); ok && props["font"] != "" {
		a.Font, a.FontSize, a.FontStyle = ds9Font(unquote(v))
	}
	return s
}

// ds9PointShape reads "circle 11"; DS9's points are outlines unless
// fill=1.
func ds9PointShape(v string, filled bool) (int32, int32) {
	f := strings.Fields(v)
	shape, width := shapeBox, int32(11)
	if len(f) > 1 {
		if n, err := strconv.Atoi(f[1]); err == nil && n > 0 && n <= 1000 {
			width = int32(n)
		}
	}
	if len(f) > 0 {
		switch f[0] {
		case "circle":
			shape = pick(filled, shapeCircle, shapeCircleLined)
		case "box":
			shape = pick(filled, shapeSquare, shapeBox)
		case "diamond":
			shape = pick(filled, shapeDiamond, shapeDiamondLined)
		case "cross":
			shape = shapeCross
		case "x":
			shape = shapeX
		}
	}
	return shape, width
}

func ds9PointName(shape int32) (string, bool) {
	switch shape {
	case shapeSquare:
		return "box", true
	case shapeCircle:
		return "circle", true
	case shapeCircleLined:
		return "circle", false
	case shapeDiamond:
		return "diamond", true
	case shapeDiamondLined:
		return "diamond", false
	case shapeCross:
		return "cross", false
	case shapeX:
		return "x", false
	}
	return "box", false
}

// ds9Font reads "helvetica 10 normal roman": family, size, weight, slant.
func ds9Font(v string) (font string, size int32, style string) {
	f := strings.Fields(v)
	if len(f) > 0 {
		font = f[0]
	}
	if len(f) > 1 {
		if n, err := strconv.Atoi(f[1]); err == nil && n > 0 && n <= 1000 {
			size = int32(n)
		}
	}
	bold := len(f) > 2 && f[2] == "bold"
	italic := len(f) > 3 && f[3] == "italic"
	style = map[[2]bool]string{{false, false}: "Normal", {true, false}: "Bold", {false, true}: "Italic", {true, true}: "Italic Bold"}[[2]bool{bold, italic}]
	return font, size, style
}

func ds9FontString(a *Annotation) string {
	weight, slant := "normal", "roman"
	if strings.Contains(a.FontStyle, "Bold") {
		weight = "bold"
	}
	if strings.Contains(a.FontStyle, "Italic") {
		slant = "italic"
	}
	font := a.Font
	if font == "" {
		font = "helvetica"
	}
	size := a.FontSize
	if size == 0 {
		size = 10
	}
	return fmt.Sprintf(`font="%s %d %s %s"`, strings.ReplaceAll(quoted.Replace(font), " ", "_"), size, weight, slant)
}
