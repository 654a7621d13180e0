package catalog

import (
	"bufio"
	"bytes"
	"io"
	"regexp"
)

// Some services write VOTables with a namespace prefix on every element
// (<vot:VOTABLE xmlns:vot="...">, <vot:TR>, ...). The readers here look
// for plain element names, so a prefixed document is read through a
// filter that drops the root's prefix from every tag. In well-formed
// XML a '<' outside tags is escaped, so only tags change (CDATA sections
// and comments with such text are the exception, and harmless).

// rootPrefix finds the prefix of a prefixed VOTABLE root element.
var rootPrefix = regexp.MustCompile(`<([A-Za-z_][A-Za-z0-9_.-]{0,63}):VOTABLE[\s>/]`)

// unprefixed returns a reader of br's document without the root
// element's namespace prefix, or br itself when the root has none.
func unprefixed(br *bufio.Reader) io.Reader {
	head, _ := br.Peek(64 << 10)
	m := rootPrefix.FindSubmatch(head)
	if m == nil {
		return br
	}
	p := string(m[1]) + ":"
	return &prefixStripper{r: br, open: []byte("<" + p), close: []byte("</" + p)}
}

// prefixStripper turns "<p:" into "<" and "</p:" into "</".
type prefixStripper struct {
	r           io.Reader
	open, close []byte
	in          []byte // read, not yet filtered
	out         []byte // filtered, not yet returned
	buf         []byte // one read's worth (64 KiB), reused
	eof         bool
}

func (s *prefixStripper) Read(p []byte) (int, error) {
	for len(s.out) == 0 {
		if s.eof && len(s.in) == 0 {
			return 0, io.EOF
		}
		if !s.eof {
			if s.buf == nil {
				s.buf = make([]byte, 64<<10)
			}
			n, err := s.r.Read(s.buf)
			s.in = append(s.in, s.buf[:n]...)
			if err == io.EOF {
				s.eof = true
			} else if err != nil {
				return 0, err
			}
		}
		s.filter()
	}
	n := copy(p, s.out)
	s.out = s.out[n:]
	return n, nil
}

// filter moves what can be decided from in to out: all of it at EOF,
// else all but a tail that may be the start of a prefixed tag.
func (s *prefixStripper) filter() {
	keep := 0
	if !s.eof {
		keep = min(len(s.close)-1, len(s.in))
		if i := bytes.LastIndexByte(s.in[len(s.in)-keep:], '<'); i >= 0 {
			keep -= i
		} else {
			keep = 0
		}
	}
	done := s.in[:len(s.in)-keep]
	done = bytes.ReplaceAll(done, s.close, []byte("</"))
	s.out = append(s.out[:0], bytes.ReplaceAll(done, s.open, []byte("<"))...)
	s.in = append(s.in[:0], s.in[len(s.in)-keep:]...)
}
