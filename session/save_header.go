package session

import (
	"math"
	"regexp"
	"strconv"

	"cartago/imaging/fits"
)

// axisCut is what a saved file keeps of one source axis: n pixels,
// start, start+stride, ... (0-based).
type axisCut struct{ start, stride, n int }

// whole keeps all of an axis of length n.
func whole(n int) axisCut { return axisCut{0, 1, n} }

// savedAxes numbers the saved file's axes: new[i] is the 1-based number
// of source axis i+1 in the saved file, 0 when dropped. Degenerate axes
// go unless kept (the reference's casacore AxesSpecifier(false)); the
// render axes always stay, so the file remains an image.
func savedAxes(cuts []axisCut, render [2]int, keepDegenerate bool) (newNum []int, naxis []int) {
	newNum = make([]int, len(cuts))
	for i, c := range cuts {
		if keepDegenerate || c.n > 1 || i+1 == render[0] || i+1 == render[1] {
			naxis = append(naxis, c.n)
			newNum[i] = len(naxis)
		}
	}
	return newNum, naxis
}

// Axis-numbered WCS keywords, with an optional alternate-WCS letter.
var (
	axisKey   = regexp.MustCompile(`^(CTYPE|CRVAL|CDELT|CRPIX|CUNIT|CROTA|CNAME|CRDER|CSYER)([1-9][0-9]?)([A-Z]?)$`)
	matrixKey = regexp.MustCompile(`^(PC|CD|PV|PS)([1-9][0-9]?)_([0-9][0-9]?)([A-Z]?)$`)
)

// droppedKeys are cards of the source that would be wrong in the saved
// file: the data are written as float32 with scaling applied, checksums
// and data ranges describe the old data, and WCSAXES may count axes
// that were dropped (its default, the highest axis in use, is right).
var droppedKeys = map[string]bool{
	"BSCALE": true, "BZERO": true, "BLANK": true, "CHECKSUM": true, "DATASUM": true,
	"DATAMIN": true, "DATAMAX": true, "EXTNAME": true, "EXTVER": true, "EXTLEVEL": true,
	"WCSAXES": true,
}

// savedCards carries the source header over to a cut-out: structural
// cards go (the encoder writes them), WCS keywords of kept axes are
// renumbered and shifted so every kept pixel keeps its world
// coordinates (CRPIX for the start, CDELT or the CD column for a
// stride), keywords of dropped axes go, and RESTFRQ is replaced when
// restFreq is positive. Cards the encoder cannot write are left out.
func savedCards(src *fits.Header, cuts []axisCut, newNum []int, restFreq float64) []fits.Card {
	setRest := restFreq > 0 && !math.IsInf(restFreq, 0)
	var out []fits.Card
	for _, c := range src.Cards {
		if droppedKeys[c.Name] || (setRest && (c.Name == "RESTFRQ" || c.Name == "RESTFREQ")) {
			continue
		}
		c, ok := savedCard(c, cuts, newNum)
		if ok && fits.CheckCard(c) == nil {
			out = append(out, c)
		}
	}
	if setRest {
		out = append(out, fits.NewFloatCard("RESTFRQ", restFreq, "Rest frequency"))
	}
	return out
}

// savedCard maps one card; false drops it.
func savedCard(c fits.Card, cuts []axisCut, newNum []int) (fits.Card, bool) {
	axis := func(s string) (int, bool) {
		n, _ := strconv.Atoi(s)
		if n < 1 || n > len(newNum) || newNum[n-1] == 0 {
			return 0, false
		}
		return n - 1, true
	}
	if m := axisKey.FindStringSubmatch(c.Name); m != nil {
		i, ok := axis(m[2])
		if !ok {
			return c, false
		}
		c.Name = m[1] + strconv.Itoa(newNum[i]) + m[3]
		return adjustAxis(c, m[1], cuts[i]), true
	}
	if m := matrixKey.FindStringSubmatch(c.Name); m != nil {
		i, ok := axis(m[2])
		if !ok {
			return c, false
		}
		c.Name = m[1] + strconv.Itoa(newNum[i]) + "_"
		if m[1] == "PV" || m[1] == "PS" { // parameter number, not an axis
			c.Name += m[3] + m[4]
			return c, true
		}
		j, ok := axis(m[3])
		if !ok {
			return c, false
		}
		c.Name += strconv.Itoa(newNum[j]) + m[4]
		if m[1] == "CD" {
			return scaled(c, float64(cuts[j].stride)), true
		}
		return c, true
	}
	if len(c.Name) > 5 && c.Name[:5] == "NAXIS" {
		return c, false
	}
	return c, true
}

// adjustAxis shifts CRPIX and scales CDELT of an axis cut to
// start, start+stride, ...: old pixel p is new pixel (p-1-start)/stride+1.
func adjustAxis(c fits.Card, key string, cut axisCut) fits.Card {
	if c.Type != fits.TypeInt && c.Type != fits.TypeFloat {
		return c
	}
	switch key {
	case "CRPIX":
		return fits.NewFloatCard(c.Name, (c.Number-1-float64(cut.start))/float64(cut.stride)+1, c.Comment)
	case "CDELT":
		return scaled(c, float64(cut.stride))
	}
	return c
}

func scaled(c fits.Card, by float64) fits.Card {
	if by == 1 || (c.Type != fits.TypeInt && c.Type != fits.TypeFloat) {
		return c
	}
	return fits.NewFloatCard(c.Name, c.Number*by, c.Comment)
}
