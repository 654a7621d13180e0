package stats

import "errors"

var (
	// ErrTooManyBins means a Config asked for more than MaxBins bins.
	ErrTooManyBins = errors.New("stats: too many histogram bins")
	// ErrMismatch means histograms or planes that must agree in shape
	// (bins and bounds, plane size and data length, one statistics entry
	// per plane) do not.
	ErrMismatch = errors.New("stats: histogram or plane shapes do not match")
)
