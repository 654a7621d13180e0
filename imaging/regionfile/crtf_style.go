package regionfile

import (
	"fmt"
	"strconv"
	"strings"

	"cartago/imaging/region"
)

// dashDefault is the dash length a dashed CRTF line gets (the
// reference's REGION_DASH_LENGTH); CRTF line styles carry no length.
const dashDefault = 2

// crtfStyle reads label, color, linewidth, linestyle and font keys. ann
// holds what the shape itself said (symbol, text); annotation kinds
// always get an annotation style.
func crtfStyle(k region.Kind, ann *Annotation, prop func(string) (string, bool)) Style {
	s := Style{Color: "#00ff00", LineWidth: 1, Dash: []int32{0}} // CRTF's default green, solid
	if v, ok := prop("label"); ok {
		s.Name = unquote(v)
	}
	if v, ok := prop("color"); ok {
		s.Color = importColor(unquote(v))
	}
	if v, ok := prop("linewidth"); ok {
		if n, err := strconv.Atoi(v); err == nil && n >= 0 && n <= 1000 {
			s.LineWidth = int32(n)
		}
	}
	if v, ok := prop("linestyle"); ok {
		switch v {
		case "-":
		case ":":
			s.Dash = []int32{1}
		default:
			s.Dash = []int32{dashDefault}
		}
	}
	if !k.IsAnnotation() {
		return s
	}
	if ann == nil {
		ann = &Annotation{}
	}
	if v, ok := prop("font"); ok {
		ann.Font = unquote(v)
	}
	if v, ok := prop("fontsize"); ok {
		if n, err := strconv.Atoi(v); err == nil && n > 0 && n <= 1000 {
			ann.FontSize = int32(n)
		}
	}
	if v, ok := prop("fontstyle"); ok {
		ann.FontStyle = fontStyleFromCRTF(v)
	}
	s.Ann = ann
	return s
}

// importColor turns a hex colour ("ff0000", "#FF0000") into the
// frontend's "#rrggbb"; names pass through.
func importColor(c string) string {
	h := strings.TrimPrefix(c, "#")
	if len(h) == 6 {
		if _, err := strconv.ParseUint(h, 16, 32); err == nil {
			return "#" + strings.ToUpper(h)
		}
	}
	return c
}

// crtfColor writes the frontend's colour as CRTF does: hex without '#'.
func crtfColor(c string) string {
	c = colorToken(c)
	if h, ok := strings.CutPrefix(c, "#"); ok {
		return strings.ToLower(h)
	}
	return c
}

// Font styles: the frontend's names and CRTF's.
var fontStyles = [][2]string{{"Normal", "normal"}, {"Bold", "bold"}, {"Italic", "italic"}, {"Italic Bold", "bold-italic"}}

func fontStyleFromCRTF(v string) string {
	for _, f := range fontStyles {
		if strings.EqualFold(v, f[1]) || strings.EqualFold(v, f[0]) || (strings.EqualFold(v, "italic_bold") && f[0] == "Italic Bold") {
			return f[0]
		}
	}
	return v
}

func fontStyleToCRTF(v string) string {
	for _, f := range fontStyles {
		if v == f[0] {
			return f[1]
		}
	}
	return "normal"
}

// symbolStyle reads a CASA symbol character and symsize/symthick into
// the frontend's point shape and width: a thickness of 0 means the
// outlined variant, as the reference writes it.
func symbolStyle(char string, props map[string]string) *Annotation {
	a := &Annotation{PointShape: shapeSquare, PointWidth: 6}
	lined := props["symthick"] == "0"
	switch unquote(char) {
	case "o":
		a.PointShape = pick(lined, shapeCircleLined, shapeCircle)
	case "s":
		a.PointShape = pick(lined, shapeBox, shapeSquare)
	case "d", "D":
		a.PointShape = pick(lined, shapeDiamondLined, shapeDiamond)
	case "+":
		a.PointShape = shapeCross
	case "x":
		a.PointShape = shapeX
	}
	if v, ok := props["symsize"]; ok {
		if n, err := strconv.Atoi(v); err == nil && n > 0 && n <= 1000 {
			a.PointWidth = int32(n)
		}
	}
	return a
}

func pick(c bool, a, b int32) int32 {
	if c {
		return a
	}
	return b
}

// symbolChar is the CASA symbol of a point shape, with symthick 0 for
// the outlined shapes.
func symbolChar(shape int32) (string, int) {
	switch shape {
	case shapeBox:
		return "s", 0
	case shapeCircle:
		return "o", 1
	case shapeCircleLined:
		return "o", 0
	case shapeDiamond:
		return "D", 1
	case shapeDiamondLined:
		return "D", 0
	case shapeCross:
		return "+", 1
	case shapeX:
		return "x", 1
	}
	return "s", 1
}

// Text positions as the protocol numbers them, by CRTF/DS9 align word.
var textPositions = []string{"center", "upperleft", "upperright", "lowerleft", "lowerright", "top", "bottom", "left", "right"}

func textPosition(v string) int32 {
	for i, p := range textPositions {
		if strings.EqualFold(unquote(v), p) {
			return int32(i)
		}
	}
	return 0
}

func textAlign(pos int32) string {
	if pos >= 0 && int(pos) < len(textPositions) {
		return textPositions[pos]
	}
	return textPositions[0]
}

// compassStyle reads CARTA's "compass=<coord> \"N\" \"E\" 1 1" key.
func compassStyle(v string) *Annotation {
	a := &Annotation{TextLabel0: "N", TextLabel1: "E", IsNorthArrow: true, IsEastArrow: true}
	f := fieldsQuoted(v)
	if len(f) >= 5 {
		a.CoordinateSystem = f[0]
		a.TextLabel0, a.TextLabel1 = unquote(f[1]), unquote(f[2])
		a.IsNorthArrow, a.IsEastArrow = f[3] == "1", f[4] == "1"
	}
	return a
}

func compassKey(a *Annotation) string {
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
	return fmt.Sprintf("%s %s %s %d %d", colorToken(cs), quoteLabel(a.TextLabel0), quoteLabel(a.TextLabel1), b(a.IsNorthArrow), b(a.IsEastArrow))
}
