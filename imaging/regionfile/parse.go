package regionfile

import (
	"fmt"
	"strings"
)

// maxProblems bounds the per-line problems kept for one parse; a file of
// garbage would otherwise give a message as long as the file.
const maxProblems = 20

// Result is what parsing a file gives: the regions, in file order, and
// the lines that could not be read.
type Result struct {
	Regions  []Region
	Problems []string
	dropped  int // problems beyond maxProblems
}

func (r *Result) problem(line int, text string, err error) {
	if len(r.Problems) >= maxProblems {
		r.dropped++
		return
	}
	if len(text) > 80 {
		text = text[:80] + "…"
	}
	r.Problems = append(r.Problems, fmt.Sprintf("line %d (%s): %v", line, strings.ToValidUTF8(text, "?"), err))
}

// Message joins the problems for a reply.
func (r *Result) Message() string {
	msg := strings.Join(r.Problems, "\n")
	if r.dropped > 0 {
		msg += fmt.Sprintf("\n… and %d more lines", r.dropped)
	}
	return msg
}

// Parse reads a region file of format f for img. It fails only when the
// format is unknown; lines it cannot read become Problems, and a file
// with no regions has none.
func Parse(f Format, text string, img Image) (*Result, error) {
	lines := strings.Split(strings.ReplaceAll(text, "\r\n", "\n"), "\n")
	switch f {
	case CRTF:
		return parseCRTF(lines, img), nil
	case DS9:
		return parseDS9(lines, img), nil
	}
	return nil, ErrFormat
}
