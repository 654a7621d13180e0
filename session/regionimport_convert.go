package session

import (
	"cartago/icd"
	"cartago/imaging/fits"
	"cartago/imaging/region"
	"cartago/imaging/regionfile"
	"cartago/imaging/wcs"
)

// regionFileFormats maps the protocol's region file types.
var regionFileFormats = map[icd.FileType]regionfile.Format{
	icd.FileType_CRTF:    regionfile.CRTF,
	icd.FileType_DS9_REG: regionfile.DS9,
}

// regionFileFrames maps sky frames of images to the frames region files
// convert between; others (FK4 B1950 is FK4 too) stay as they are.
var regionFileFrames = map[string]regionfile.Frame{
	wcs.ICRS: regionfile.FrameICRS, wcs.FK5: regionfile.FrameFK5, wcs.FK4: regionfile.FrameFK4,
	wcs.Galactic: regionfile.FrameGalactic, wcs.Ecliptic: regionfile.FrameEcliptic,
	wcs.Supergalactic: regionfile.FrameSupergalactic,
}

// regionFileImage is the sky mapping of an image's render axes for
// region files; without celestial render axes it has pixels only.
func regionFileImage(h *fits.HDU, l fits.Layout) regionfile.Image {
	cel, err := wcs.FromHeader(h.Header)
	if err != nil {
		return regionfile.Image{}
	}
	lo, hi := min(cel.LonAxis, cel.LatAxis), max(cel.LonAxis, cel.LatAxis)
	if lo != l.Axes.SpatialX || hi != l.Axes.SpatialY {
		return regionfile.Image{} // a position-velocity or other non-sky render pair
	}
	frame, ok := regionFileFrames[cel.Frame.System]
	if !ok || (cel.Frame.System == wcs.FK5 && cel.Frame.Equinox != 2000) {
		return regionfile.Image{Sky: cel} // pixel files still import
	}
	return regionfile.Image{Sky: cel, Frame: frame}
}

// fileRegion is a session region with the style the frontend sent.
func fileRegion(info *icd.RegionInfo, st *icd.RegionStyle) regionfile.Region {
	r := regionfile.Region{Kind: region.Kind(info.GetRegionType()), Rotation: float64(info.GetRotation())}
	for _, p := range info.GetControlPoints() {
		r.Points = append(r.Points, region.Point{X: float64(p.GetX()), Y: float64(p.GetY())})
	}
	r.Style = regionfile.Style{Name: st.GetName(), Color: st.GetColor(), LineWidth: st.GetLineWidth(), Dash: st.GetDashList()}
	if a := st.GetAnnotationStyle(); a != nil {
		r.Style.Ann = &regionfile.Annotation{
			PointShape: int32(a.PointShape), PointWidth: a.PointWidth, TextLabel0: a.TextLabel0, TextLabel1: a.TextLabel1,
			CoordinateSystem: a.CoordinateSystem, IsNorthArrow: a.IsNorthArrow, IsEastArrow: a.IsEastArrow,
			TextPosition: int32(a.TextPosition), FontStyle: a.FontStyle, Font: a.Font, FontSize: a.FontSize,
		}
	}
	return r
}

// protoRegion is the RegionInfo and RegionStyle of an imported region.
func protoRegion(r regionfile.Region) (*icd.RegionInfo, *icd.RegionStyle) {
	info := &icd.RegionInfo{RegionType: icd.RegionType(r.Kind), Rotation: float32(r.Rotation)}
	for _, p := range r.Points {
		info.ControlPoints = append(info.ControlPoints, &icd.Point{X: float32(p.X), Y: float32(p.Y)})
	}
	st := &icd.RegionStyle{Name: r.Style.Name, Color: r.Style.Color, LineWidth: r.Style.LineWidth, DashList: r.Style.Dash}
	if a := r.Style.Ann; a != nil {
		st.AnnotationStyle = &icd.AnnotationStyle{
			PointShape: icd.PointAnnotationShape(a.PointShape), PointWidth: a.PointWidth, TextLabel0: a.TextLabel0,
			TextLabel1: a.TextLabel1, CoordinateSystem: a.CoordinateSystem, IsNorthArrow: a.IsNorthArrow,
			IsEastArrow: a.IsEastArrow, TextPosition: icd.TextAnnotationPosition(a.TextPosition),
			FontStyle: a.FontStyle, Font: a.Font, FontSize: a.FontSize,
		}
	}
	return info, st
}
