package ws

import (
	"fmt"
	"testing"

	"google.golang.org/protobuf/proto"

	"cartago/icd"
)

// largeRegions builds n regions the way frontend 6.0.0 fills
// ImageProperties.regions on RESUME_SESSION: a mix of rectangles,
// ellipses, points and polygons of polyPoints vertices.
func largeRegions(n, polyPoints int) map[int32]*icd.RegionInfo {
	regions := make(map[int32]*icd.RegionInfo, n)
	for i := range n {
		info := &icd.RegionInfo{Rotation: 12.5}
		points := 2
		switch i % 4 {
		case 0:
			info.RegionType = icd.RegionType_RECTANGLE
		case 1:
			info.RegionType = icd.RegionType_ELLIPSE
		case 2:
			info.RegionType, points = icd.RegionType_POINT, 1
		case 3:
			info.RegionType, points = icd.RegionType_POLYGON, polyPoints
		}
		for p := range points {
			info.ControlPoints = append(info.ControlPoints, &icd.Point{X: 1000.25 + float32(p), Y: 2000.75 - float32(p)})
		}
		regions[int32(i+1)] = info
	}
	return regions
}

// resumeMessage is a RESUME_SESSION with images × regions each.
func resumeMessage(images, regions, polyPoints int) *icd.ResumeSession {
	m := &icd.ResumeSession{}
	for i := range images {
		levels := make([]float64, 50)
		for l := range levels {
			levels[l] = float64(l) * 0.01
		}
		m.Images = append(m.Images, &icd.ImageProperties{
			Directory: "/data/projects/alma/cycle10/member.uid___A001_X1234_X5678/product",
			File:      fmt.Sprintf("member.uid___A001_X1234_X5678.spw%02d.cube.I.pbcor.fits", i),
			Hdu:       "0", FileId: int32(i), Channel: 100, Stokes: 0,
			Regions:         largeRegions(regions, polyPoints),
			ContourSettings: &icd.SetContourParameters{FileId: uint32(i), Levels: levels, ContourChunkSize: 100000},
		})
	}
	return m
}

// TestLargestFrontendMessagesFit measures the largest messages frontend
// 6.0.0 can send (see the reasoning at DefaultMaxMessageSize) and checks
// that the extreme ones fit the default with at least 2× headroom, the
// heavy-but-ordinary one with 10×.
func TestLargestFrontendMessagesFit(t *testing.T) {
	polygon := &icd.SetRegion{FileId: 0, RegionId: 1, RegionInfo: largeRegions(4, 100_000)[4]}
	cases := []struct {
		name     string
		m        proto.Message
		headroom int64
	}{
		{"RESUME_SESSION 8 images × 2,000 regions (polygons of 16 points)", resumeMessage(8, 2_000, 16), 10},
		{"RESUME_SESSION 32 images × 10,000 regions (polygons of 16 points)", resumeMessage(32, 10_000, 16), 2},
		{"RESUME_SESSION 4 images × 2,000 regions (polygons of 1,000 points)", resumeMessage(4, 2_000, 1_000), 2},
		{"SET_REGION polygon of 100,000 points", polygon, 10},
	}
	for _, c := range cases {
		n := icd.HeaderSize + proto.Size(c.m)
		t.Logf("%-70s %9d bytes (%.1f MiB)", c.name, n, float64(n)/(1<<20))
		if int64(n)*c.headroom > DefaultMaxMessageSize {
			t.Errorf("%s: %d bytes leaves less than %d× headroom under %d", c.name, n, c.headroom, DefaultMaxMessageSize)
		}
	}
}
