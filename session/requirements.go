package session

import (
	"errors"

	"cartago/icd"
	"cartago/imaging/region"
)

// setRequirements stores the requirements of message type t (n configs)
// on region id through fn, as the reference's RegionHandler::Set*Requirements
// accept them: clearing those of a region that does not exist is fine
// (the frontend does it after REMOVE_REGION) and returns nil, nil;
// setting them on a region that does not exist or whose kind has no such
// data is errInvalidRequirements.
func (s *Session) setRequirements(t icd.EventType, fileID, id int32, n int, fn func(*regionState)) (*regionState, error) {
	r, err := s.region(id)
	var gone noRegionError
	switch {
	case clearsGoneRegion(err, n):
		return nil, nil
	case errors.As(err, &gone):
		return nil, errInvalidRequirements(t, id)
	case err != nil:
		return nil, err
	case n > 0 && !requirementsFit(t, r.desc.Kind):
		return nil, errInvalidRequirements(t, id)
	}
	return s.updateRegion(fileID, id, fn)
}

// requirementsFit reports whether a region of kind k can have the data of
// requirements message t (RegionHandler.cc: statistics and histograms of
// closed regions, spectra of closed and point regions, spatial profiles
// of points and lines; annotations have none).
func requirementsFit(t icd.EventType, k region.Kind) bool {
	closed := k == region.KindRectangle || k == region.KindEllipse || k == region.KindPolygon
	switch t {
	case icd.EventType_SET_SPECTRAL_REQUIREMENTS:
		return closed || k == region.KindPoint
	case icd.EventType_SET_SPATIAL_REQUIREMENTS:
		return k == region.KindPoint || k == region.KindLine || k == region.KindPolyline
	default:
		return closed
	}
}

// region returns a copy of region id, whichever image it was drawn on:
// its kind decides which requirements fit, on any image.
func (s *Session) region(id int32) (*regionState, error) {
	s.rmu.Lock()
	defer s.rmu.Unlock()
	r := s.regions[id]
	if r == nil {
		return nil, noRegionError(id)
	}
	return r.clone(), nil
}
