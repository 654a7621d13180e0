package fits

import "fmt"

// CheckCard reports whether the Encoder can write c, so a caller copying
// cards from a parsed header can leave out the ones it cannot.
func CheckCard(c Card) error {
	if reservedKeyword(c.Name) {
		return fmt.Errorf("%w: %s is written by the encoder", ErrBadCard, c.Name)
	}
	_, err := formatCard(c)
	return err
}

// DescribeHDU returns the primary HDU that Write would produce for h,
// without data: its Header, Naxis and Layout, for an image whose pixels
// come from elsewhere (several files read as one). Reading its data is
// not possible; it fails like Write would for an invalid h, and with
// the layout's error for an image this package cannot read.
func DescribeHDU(h WriteHDU) (*HDU, error) {
	block, _, err := headerBlock(h, true)
	if err != nil {
		return nil, fmt.Errorf("fits: describe HDU: %w", err)
	}
	hdr, _, err := ParseHeader([]byte(block))
	if err != nil {
		return nil, fmt.Errorf("fits: describe HDU: %w", err)
	}
	out := &HDU{Header: hdr, Bitpix: h.Bitpix, Naxis: append([]int(nil), h.Naxis...)}
	if len(out.Naxis) < 2 {
		return nil, fmt.Errorf("fits: describe HDU: %w: %d axes", ErrUnsupported, len(out.Naxis))
	}
	if out.Layout, err = newLayout(hdr, out.Naxis); err != nil {
		return nil, fmt.Errorf("fits: describe HDU: %w", err)
	}
	return out, nil
}
