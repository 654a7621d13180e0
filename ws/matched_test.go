package ws

import (
	"encoding/binary"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gorilla/websocket"
	"google.golang.org/protobuf/proto"

	"cartago/icd"
	"cartago/imaging/fits"
	"cartago/session"
	"cartago/store"
)

// Two cubes over one field with different pixel grids: sky0 is SIN with
// square pixels; sky1 is TAN, rotated by CROTA2 20°, with rectangular
// pixels and another reference pixel and point. A region made on sky0
// is used on sky1, as the frontend does for spatially matched images.
const skyD = 4

type skyGrid struct {
	proj                 string // "SIN" or "TAN"; "GAL" for a galactic TAN
	w, h                 int
	ra0, dec0            float64 // CRVAL, degrees
	crpix1, crpix2       float64
	cdelt1, cdelt2, rota float64
}

var (
	sky0 = skyGrid{"SIN", 40, 48, 150, 2, 20, 25, -0.001, 0.001, 0}
	sky1 = skyGrid{"TAN", 56, 50, 150.003, 2.004, 31, 18, -0.0013, 0.0011, 20}
	// skyGal is in galactic coordinates, centred on (150.002, 2.003) FK5.
	skyGal = skyGrid{"GAL", 30, 36, 236.95285613627965, 41.90847910462525, 14, 19, -0.0021, 0.0021, -8}
)

// skyValue is sky1's pixel value; NaN on a scatter of pixels.
func skyValue(x, y, c int) float32 {
	if (7*x+3*y)%23 == 0 {
		return float32(math.NaN())
	}
	return float32(1000*c + 3*x + y*y/10)
}

func writeSky(t *testing.T, path string, g skyGrid) {
	t.Helper()
	data := make([]float32, g.w*g.h*skyD)
	for c := range skyD {
		for y := range g.h {
			for x := range g.w {
				data[(c*g.h+y)*g.w+x] = skyValue(x, y, c)
			}
		}
	}
	f, err := os.Create(path)
	must(t, err)
	defer f.Close()
	lon, lat := "RA---"+g.proj, "DEC--"+g.proj
	if g.proj == "GAL" {
		lon, lat = "GLON-TAN", "GLAT-TAN"
	}
	must(t, fits.Write(f, fits.WriteHDU{Bitpix: -32, Naxis: []int{g.w, g.h, skyD}, Data: data, Cards: []fits.Card{
		fits.NewStringCard("CTYPE1", lon, ""), fits.NewStringCard("CTYPE2", lat, ""),
		fits.NewStringCard("CTYPE3", "FREQ", ""), fits.NewStringCard("RADESYS", "FK5", ""), fits.NewFloatCard("EQUINOX", 2000, ""),
		fits.NewFloatCard("CRVAL1", g.ra0, ""), fits.NewFloatCard("CRVAL2", g.dec0, ""), fits.NewFloatCard("CRVAL3", 1.4e9, ""),
		fits.NewFloatCard("CRPIX1", g.crpix1, ""), fits.NewFloatCard("CRPIX2", g.crpix2, ""), fits.NewFloatCard("CRPIX3", 1, ""),
		fits.NewFloatCard("CDELT1", g.cdelt1, ""), fits.NewFloatCard("CDELT2", g.cdelt2, ""), fits.NewFloatCard("CDELT3", 1e6, ""),
		fits.NewFloatCard("CROTA2", g.rota, ""), fits.NewStringCard("BUNIT", "Jy/beam", ""),
	}}))
}

// writePlain writes a cube with linear axes only: no sky coordinates.
func writePlain(t *testing.T, path string) {
	t.Helper()
	f, err := os.Create(path)
	must(t, err)
	defer f.Close()
	must(t, fits.Write(f, fits.WriteHDU{Bitpix: -32, Naxis: []int{20, 20}, Data: make([]float32, 400), Cards: []fits.Card{
		fits.NewStringCard("CTYPE1", "X", ""), fits.NewStringCard("CTYPE2", "Y", ""),
	}}))
}

// Independent pixel ↔ sky: the textbook gnomonic and orthographic
// formulas in standard coordinates (ξ, η), not imaging/wcs.
func (g skyGrid) toSky(x, y float64) (ra, dec float64) {
	dx, dy := x+1-g.crpix1, y+1-g.crpix2
	s, c := math.Sincos(g.rota * math.Pi / 180)
	xi := (g.cdelt1*c*dx - g.cdelt2*s*dy) * math.Pi / 180
	eta := (g.cdelt1*s*dx + g.cdelt2*c*dy) * math.Pi / 180
	d0, a0 := g.dec0*math.Pi/180, g.ra0*math.Pi/180
	var a, d float64
	if g.proj != "SIN" {
		a = a0 + math.Atan2(xi, math.Cos(d0)-eta*math.Sin(d0))
		d = math.Atan2(math.Sin(d0)+eta*math.Cos(d0), math.Hypot(xi, math.Cos(d0)-eta*math.Sin(d0)))
	} else {
		rho := math.Hypot(xi, eta)
		cc := math.Asin(rho)
		d = math.Asin(math.Cos(cc)*math.Sin(d0) + eta*math.Sin(cc)*math.Cos(d0)/rho)
		a = a0 + math.Atan2(xi*math.Sin(cc), rho*math.Cos(d0)*math.Cos(cc)-eta*math.Sin(d0)*math.Sin(cc))
	}
	return a * 180 / math.Pi, d * 180 / math.Pi
}

func (g skyGrid) toPixel(ra, dec float64) (x, y float64) {
	a, d := (ra-g.ra0)*math.Pi/180, dec*math.Pi/180
	d0 := g.dec0 * math.Pi / 180
	cosc := math.Sin(d0)*math.Sin(d) + math.Cos(d0)*math.Cos(d)*math.Cos(a)
	xi := math.Cos(d) * math.Sin(a)
	eta := math.Cos(d0)*math.Sin(d) - math.Sin(d0)*math.Cos(d)*math.Cos(a)
	if g.proj != "SIN" {
		xi, eta = xi/cosc, eta/cosc
	}
	xi, eta = xi*180/math.Pi, eta*180/math.Pi
	s, c := math.Sincos(g.rota * math.Pi / 180)
	// Invert [[cd1 c, −cd2 s], [cd1 s, cd2 c]].
	dx := (c*xi + s*eta) / g.cdelt1
	dy := (-s*xi + c*eta) / g.cdelt2
	return dx + g.crpix1 - 1, dy + g.crpix2 - 1
}

// rectOnSky1 lists sky1's pixels whose centres, taken to sky0's pixels,
// lie in the rectangle centred on (cx, cy) of size w×h there. It fails
// the test if a centre lies within 1e-3 pixel of an edge, where a
// different but correct outline could decide otherwise.
func rectOnSky1(t *testing.T, cx, cy, w, h float64) [][2]int {
	t.Helper()
	var in [][2]int
	for y := range sky1.h {
		for x := range sky1.w {
			u, v := sky0.toPixel(sky1.toSky(float64(x), float64(y)))
			du, dv := math.Abs(u-cx)-w/2, math.Abs(v-cy)-h/2
			if math.Abs(du) < 1e-3 && dv < 1e-3 || math.Abs(dv) < 1e-3 && du < 1e-3 {
				t.Fatalf("sky1 pixel (%d, %d) lies on the rectangle's edge (%g, %g)", x, y, u, v)
			}
			if du < 0 && dv < 0 {
				in = append(in, [2]int{x, y})
			}
		}
	}
	if len(in) < 20 {
		t.Fatalf("only %d pixels in the rectangle", len(in))
	}
	return in
}

// pixelStats are the statistics of sky1's finite values at pixels on
// channel c.
func pixelStats(pixels [][2]int, c int) map[icd.StatsType]float64 {
	var n, sum, sumSq float64
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, p := range pixels {
		v := float64(skyValue(p[0], p[1], c))
		if math.IsNaN(v) {
			continue
		}
		n, sum, sumSq = n+1, sum+v, sumSq+v*v
		lo, hi = math.Min(lo, v), math.Max(hi, v)
	}
	mean := sum / n
	return map[icd.StatsType]float64{
		icd.StatsType_NumPixels: n, icd.StatsType_Sum: sum, icd.StatsType_Mean: mean,
		icd.StatsType_RMS: math.Sqrt(sumSq / n), icd.StatsType_Sigma: math.Sqrt((sumSq - n*mean*mean) / (n - 1)),
		icd.StatsType_SumSq: sumSq, icd.StatsType_Min: lo, icd.StatsType_Max: hi, icd.StatsType_Extrema: hi,
	}
}

func openFile(t *testing.T, c *websocket.Conn, name string, id int32) {
	t.Helper()
	sendMsg(t, c, icd.EventType_OPEN_FILE, 30, 50, &icd.OpenFile{Directory: ".", File: name, FileId: id})
	var ack icd.OpenFileAck
	recv(t, c, icd.EventType_OPEN_FILE_ACK, 50, &ack)
	if !ack.Success {
		t.Fatalf("open %s: %s", name, ack.Message)
	}
	// The image histogram follows the ACK; wait for it so that it cannot
	// arrive after the next request's PONG.
	nextFor(t, c, icd.EventType_REGION_HISTOGRAM_DATA, id, &icd.RegionHistogramData{})
	drainToPong(t, c)
}

// skyClient serves sky0.fits, sky1.fits and plain.fits.
func skyClient(t *testing.T) *websocket.Conn {
	t.Helper()
	root := t.TempDir()
	writeSkies(t, root)
	folder, err := session.NewFolder(root, "")
	must(t, err)
	ts := startServerWith(t, Config{AuthToken: testToken}, session.Config{Folder: folder})
	c := ts.dial(t, testToken)
	register(t, c, 0)
	return c
}

func writeSkies(t *testing.T, root string) {
	writeSky(t, filepath.Join(root, "sky0.fits"), sky0)
	writeSky(t, filepath.Join(root, "sky1.fits"), sky1)
	writeSky(t, filepath.Join(root, "gal.fits"), skyGal)
	writePlain(t, filepath.Join(root, "plain.fits"))
}

// nextFor reads messages until one of type et for file fileID arrives.
func nextFor[M interface {
	proto.Message
	GetFileId() int32
}](t *testing.T, c *websocket.Conn, et icd.EventType, fileID int32, m M) M {
	t.Helper()
	for {
		h, p := next(t, c)
		if h.Type == icd.EventType_ERROR_DATA {
			var e icd.ErrorData
			must(t, proto.Unmarshal(p, &e))
			t.Fatalf("error while waiting for %s: %s", et, e.Message)
		}
		if h.Type != et {
			continue
		}
		must(t, proto.Unmarshal(p, m))
		if m.GetFileId() == fileID {
			return m
		}
	}
}

var statsZ = []*icd.SetStatsRequirements_StatsConfig{{Coordinate: "z", StatsTypes: allStats}}

// TestRegionOnMatchedImage: statistics, histograms and spectral profiles
// of a region made on file 0, asked for on file 1, are those of the
// pixels of file 1 inside the region carried over through both images'
// sky coordinates. Reference: CARTAvis/carta-backend
// src/Region/RegionHandler.cc:863-877 (ApplyRegionToFile goes through
// the region's converter for an image other than its own),
// src/Region/RegionConverter.cc:240-290 (GetImageRegion: direct or
// polygon conversion), :327-390 (distortion check that sends these
// rectangular, rotated pixels to the polygon path), and
// src/Session/Session.cc:834 (SET_REGION updates the data of every file,
// ALL_FILES).
func TestRegionOnMatchedImage(t *testing.T) {
	c := skyClient(t)
	openFile(t, c, "sky0.fits", 0)
	openFile(t, c, "sky1.fits", 1)
	ack := setRegion(t, c, 2, 0, -1, box(18.3, 22.6, 11.4, 8.2))
	if !ack.Success {
		t.Fatalf("region: %+v", ack)
	}
	id := ack.RegionId
	in := rectOnSky1(t, 18.3, 22.6, 11.4, 8.2)

	sendMsg(t, c, icd.EventType_SET_STATS_REQUIREMENTS, 30, 3, &icd.SetStatsRequirements{FileId: 1, RegionId: id, StatsConfigs: statsZ})
	st := nextFor(t, c, icd.EventType_REGION_STATS_DATA, 1, &icd.RegionStatsData{})
	if st.RegionId != id || st.Channel != 0 {
		t.Fatalf("stats header %+v", st)
	}
	checkStats(t, st, pixelStats(in, 0))

	sendMsg(t, c, icd.EventType_SET_HISTOGRAM_REQUIREMENTS, 30, 4, &icd.SetHistogramRequirements{FileId: 1, RegionId: id,
		Histograms: []*icd.HistogramConfig{{Coordinate: "z", Channel: -1, NumBins: -1}}})
	h := nextFor(t, c, icd.EventType_REGION_HISTOGRAM_DATA, 1, &icd.RegionHistogramData{})
	var n int32
	for _, b := range h.Histograms.Bins {
		n += b
	}
	if want := pixelStats(in, 0)[icd.StatsType_NumPixels]; h.RegionId != id || float64(n) != want {
		t.Fatalf("histogram of region %d counts %d, want %g", h.RegionId, n, want)
	}

	sendMsg(t, c, icd.EventType_SET_SPECTRAL_REQUIREMENTS, 30, 5, &icd.SetSpectralRequirements{FileId: 1, RegionId: id,
		SpectralProfiles: []*icd.SetSpectralRequirements_SpectralConfig{{Coordinate: "z", StatsTypes: []icd.StatsType{icd.StatsType_Mean}}}})
	checkSkySpectrum(t, c, id, in)

	// Moving the region on file 0 updates file 1's results.
	setRegion(t, c, 6, 0, id, box(22.1, 27.4, 9.2, 12.6))
	moved := rectOnSky1(t, 22.1, 27.4, 9.2, 12.6)
	checkStats(t, nextFor(t, c, icd.EventType_REGION_STATS_DATA, 1, &icd.RegionStatsData{}), pixelStats(moved, 0))
	checkSkySpectrum(t, c, id, moved)

	// A channel change on file 1 re-sends its statistics for that channel.
	sendMsg(t, c, icd.EventType_SET_IMAGE_CHANNELS, 30, 7, &icd.SetImageChannels{FileId: 1, Channel: 2})
	st = nextFor(t, c, icd.EventType_REGION_STATS_DATA, 1, &icd.RegionStatsData{})
	if st.Channel != 2 {
		t.Fatalf("stats for channel %d", st.Channel)
	}
	checkStats(t, st, pixelStats(moved, 2))
	drainToPong(t, c)
}

// checkSkySpectrum waits for file 1's complete mean profile of region id
// and compares it with the pixels in.
func checkSkySpectrum(t *testing.T, c *websocket.Conn, id int32, in [][2]int) {
	t.Helper()
	var sp *icd.SpectralProfileData
	for sp == nil || sp.Progress < 1 {
		sp = nextFor(t, c, icd.EventType_SPECTRAL_PROFILE_DATA, 1, &icd.SpectralProfileData{})
	}
	if sp.RegionId != id || len(sp.Profiles) != 1 || len(sp.Profiles[0].RawValuesFp64) != 8*skyD {
		t.Fatalf("spectral profile %+v", sp)
	}
	for ch := range skyD {
		v := math.Float64frombits(binary.LittleEndian.Uint64(sp.Profiles[0].RawValuesFp64[8*ch:]))
		if want := pixelStats(in, ch)[icd.StatsType_Mean]; math.Abs(v-want) > 1e-9*want {
			t.Fatalf("channel %d mean %g, want %g", ch, v, want)
		}
	}
}

// TestMatchedImageClosing: closing the other image drops the region's
// requirements there (reopening it under the same id brings no data
// until asked again), as the reference's RegionHandler::RemoveFrame
// (src/Region/RegionHandler.cc:345-355) removes that file's
// requirements; closing the region's own image removes the region.
func TestMatchedImageClosing(t *testing.T) {
	c := skyClient(t)
	openFile(t, c, "sky0.fits", 0)
	openFile(t, c, "sky1.fits", 1)
	id := setRegion(t, c, 2, 0, -1, box(18.3, 22.6, 11.4, 8.2)).RegionId
	sendMsg(t, c, icd.EventType_SET_STATS_REQUIREMENTS, 30, 3, &icd.SetStatsRequirements{FileId: 1, RegionId: id, StatsConfigs: statsZ})
	nextFor(t, c, icd.EventType_REGION_STATS_DATA, 1, &icd.RegionStatsData{})

	sendMsg(t, c, icd.EventType_CLOSE_FILE, 30, 4, &icd.CloseFile{FileId: 1})
	openFile(t, c, "sky1.fits", 1)
	setRegion(t, c, 5, 0, id, box(22.1, 27.4, 9.2, 12.6))
	readToPong(t, c, func(h icd.Header, p []byte) {
		if h.Type == icd.EventType_REGION_STATS_DATA || h.Type == icd.EventType_ERROR_DATA {
			t.Errorf("after closing file 1: %s", h.Type)
		}
	})
	// Asked again, the data comes back.
	sendMsg(t, c, icd.EventType_SET_STATS_REQUIREMENTS, 30, 6, &icd.SetStatsRequirements{FileId: 1, RegionId: id, StatsConfigs: statsZ})
	checkStats(t, nextFor(t, c, icd.EventType_REGION_STATS_DATA, 1, &icd.RegionStatsData{}), pixelStats(rectOnSky1(t, 22.1, 27.4, 9.2, 12.6), 0))

	// Closing file 0 removes the region: its results on file 1 stop, and
	// the frontend's clearing of them is silent.
	sendMsg(t, c, icd.EventType_CLOSE_FILE, 30, 7, &icd.CloseFile{FileId: 0})
	sendMsg(t, c, icd.EventType_SET_STATS_REQUIREMENTS, 30, 8, &icd.SetStatsRequirements{FileId: 1, RegionId: id})
	sendMsg(t, c, icd.EventType_SET_IMAGE_CHANNELS, 30, 9, &icd.SetImageChannels{FileId: 1, Channel: 1})
	readToPong(t, c, func(h icd.Header, p []byte) {
		if h.Type == icd.EventType_REGION_STATS_DATA || h.Type == icd.EventType_ERROR_DATA {
			t.Errorf("after closing file 0: %s", h.Type)
		}
	})
}

// TestRegionOnImageWithoutSky: an image without celestial coordinates
// cannot take a region from another image. The reference answers with
// the data of a region outside the image (its converter finds no
// region: src/Region/RegionConverter.cc:970-1012 and
// src/Region/RegionHandler.cc:2221-2233) and only logs why; we also tell
// the client why in a WARNING.
func TestRegionOnImageWithoutSky(t *testing.T) {
	c := skyClient(t)
	openFile(t, c, "sky0.fits", 0)
	openFile(t, c, "plain.fits", 2)
	id := setRegion(t, c, 2, 0, -1, box(18.3, 22.6, 11.4, 8.2)).RegionId
	sendMsg(t, c, icd.EventType_SET_STATS_REQUIREMENTS, 30, 3, &icd.SetStatsRequirements{FileId: 2, RegionId: id, StatsConfigs: statsZ})
	e := expect(t, c, icd.EventType_ERROR_DATA, &icd.ErrorData{})
	if e.Severity != icd.ErrorSeverity_WARNING || !strings.Contains(e.Message, "region 1 of file 0 cannot be applied to file 2") ||
		!strings.Contains(e.Message, "no usable celestial coordinates") {
		t.Fatalf("warning %v: %q", e.Severity, e.Message)
	}
	drainToPong(t, c)
}

// TestMatchedRequirementsSurviveRestart: the requirements of a region on
// another image are part of the stored session: after a restart, the
// RESUME_SESSION that lists the region on file 0 only (as frontend 6.0.0
// sends it) brings back file 1's statistics without the frontend asking.
func TestMatchedRequirementsSurviveRestart(t *testing.T) {
	d := newDurable(t)
	writeSkies(t, d.root)
	c := d.ts.dial(t, d.token)
	sid := register(t, c, 0).SessionId
	openFile(t, c, "sky0.fits", 0)
	openFile(t, c, "sky1.fits", 1)
	id := setRegion(t, c, 2, 0, -1, box(18.3, 22.6, 11.4, 8.2)).RegionId
	sendMsg(t, c, icd.EventType_SET_STATS_REQUIREMENTS, 30, 3, &icd.SetStatsRequirements{FileId: 1, RegionId: id, StatsConfigs: statsZ})
	nextFor(t, c, icd.EventType_REGION_STATS_DATA, 1, &icd.RegionStatsData{})
	d.waitStored(sid, func(s *store.Snapshot) bool {
		for _, img := range s.GetImages() {
			if r := img.GetRegions()[id]; img.FileId == 0 && r != nil && len(r.GetMatched()[1].GetStats()) == 1 {
				return true
			}
		}
		return false
	})
	c.Close()
	d.restart()

	c = d.ts.dial(t, d.token)
	register(t, c, sid)
	sendMsg(t, c, icd.EventType_RESUME_SESSION, 30, 4, &icd.ResumeSession{Images: []*icd.ImageProperties{
		{Directory: ".", File: "sky1.fits", FileId: 1},
		{Directory: ".", File: "sky0.fits", FileId: 0, Regions: map[int32]*icd.RegionInfo{id: box(22.1, 27.4, 9.2, 12.6)}},
	}})
	// The statistics may come before or after the ACK (which waits for
	// the images' own data only).
	var st *icd.RegionStatsData
	for acked := false; !acked || st == nil; {
		h, p := next(t, c)
		switch h.Type {
		case icd.EventType_RESUME_SESSION_ACK:
			acked = true
		case icd.EventType_REGION_STATS_DATA:
			st = &icd.RegionStatsData{}
			must(t, proto.Unmarshal(p, st))
		case icd.EventType_ERROR_DATA:
			t.Fatalf("error during resume")
		}
	}
	if st.FileId != 1 || st.RegionId != id {
		t.Fatalf("stats for file %d region %d", st.FileId, st.RegionId)
	}
	checkStats(t, st, pixelStats(rectOnSky1(t, 22.1, 27.4, 9.2, 12.6), 0))
}

// TestEllipseOnMatchedImage: an ellipse carried to sky1, whose
// rectangular pixels distort it, is the 1000-point outline of the
// reference's RegionConverter::GetApproximateEllipsePoints
// (src/Region/RegionConverter.cc:579-605); its statistics are those of
// sky1's pixels whose centres fall inside the ellipse on sky0.
func TestEllipseOnMatchedImage(t *testing.T) {
	c := skyClient(t)
	openFile(t, c, "sky0.fits", 0)
	openFile(t, c, "sky1.fits", 1)
	const cx, cy, a, b, rot = 19.6, 24.2, 7.3, 4.7, 25.0
	ack := setRegion(t, c, 2, 0, -1, &icd.RegionInfo{RegionType: icd.RegionType_ELLIPSE,
		ControlPoints: []*icd.Point{{X: cx, Y: cy}, {X: a, Y: b}}, Rotation: rot})
	sr, cr := math.Sincos(rot * math.Pi / 180)
	var in [][2]int
	for y := range sky1.h {
		for x := range sky1.w {
			px, py := sky0.toPixel(sky1.toSky(float64(x), float64(y)))
			dx, dy := px-cx, py-cy
			u, v := (dx*cr+dy*sr)/b, (-dx*sr+dy*cr)/a // b along (cos r, sin r), a along (−sin r, cos r)
			r := math.Hypot(u, v)
			if math.Abs(r-1)*b < 2e-3 {
				t.Fatalf("sky1 pixel (%d, %d) lies on the ellipse", x, y)
			}
			if r < 1 {
				in = append(in, [2]int{x, y})
			}
		}
	}
	sendMsg(t, c, icd.EventType_SET_STATS_REQUIREMENTS, 30, 3, &icd.SetStatsRequirements{FileId: 1, RegionId: ack.RegionId, StatsConfigs: statsZ})
	checkStats(t, nextFor(t, c, icd.EventType_REGION_STATS_DATA, 1, &icd.RegionStatsData{}), pixelStats(in, 0))
}

// TestPointOnMatchedImage: a point region's spectral profile on sky1 is
// the spectrum at the sky1 pixel of the point's sky position. We differ
// from the reference here on purpose: its converter finds no outline for
// a point (src/Region/RegionConverter.cc:489-509 falls through to the
// polygon case) and answers with NaN.
func TestPointOnMatchedImage(t *testing.T) {
	c := skyClient(t)
	openFile(t, c, "sky0.fits", 0)
	openFile(t, c, "sky1.fits", 1)
	ack := setRegion(t, c, 2, 0, -1, &icd.RegionInfo{RegionType: icd.RegionType_POINT, ControlPoints: []*icd.Point{{X: 21.2, Y: 26.9}}})
	u, v := sky1.toPixel(sky0.toSky(float64(float32(21.2)), float64(float32(26.9))))
	for _, p := range []float64{u, v} {
		if f := p - math.Floor(p); math.Abs(f-0.5) < 1e-3 {
			t.Fatalf("point lands half-way between sky1 pixels: (%g, %g)", u, v)
		}
	}
	x, y := int(math.Round(u)), int(math.Round(v))
	sendMsg(t, c, icd.EventType_SET_SPECTRAL_REQUIREMENTS, 30, 3, &icd.SetSpectralRequirements{FileId: 1, RegionId: ack.RegionId,
		SpectralProfiles: []*icd.SetSpectralRequirements_SpectralConfig{{Coordinate: "z", StatsTypes: []icd.StatsType{icd.StatsType_Sum}}}})
	var sp *icd.SpectralProfileData
	for sp == nil || sp.Progress < 1 {
		sp = nextFor(t, c, icd.EventType_SPECTRAL_PROFILE_DATA, 1, &icd.SpectralProfileData{})
	}
	got := floats(sp.Profiles[0].RawValuesFp32)
	for ch := range skyD {
		if want := skyValue(x, y, ch); got[ch] != want {
			t.Fatalf("channel %d: %g, want %g at sky1 pixel (%d, %d)", ch, got[ch], want, x, y)
		}
	}
}

// galFromEq is the IAU galactic rotation as the Hipparcos catalogue
// gives it (vol. 1, sec. 1.5.3): r_gal = A·r_eq. imaging/wcs builds it
// from the pole's coordinates instead.
var galFromEq = [3][3]float64{
	{-0.0548755604162154, -0.8734370902348850, -0.4838350155487132},
	{+0.4941094278755837, -0.4448296299600112, +0.7469822444972189},
	{-0.8676661490190047, -0.1980763734312015, +0.4559837761750669},
}

// galToEq takes galactic (l, b) to equatorial (α, δ), degrees.
func galToEq(l, b float64) (float64, float64) {
	sl, cl := math.Sincos(l * math.Pi / 180)
	sb, cb := math.Sincos(b * math.Pi / 180)
	g := [3]float64{cb * cl, cb * sl, sb}
	var e [3]float64
	for i := range 3 {
		for j := range 3 {
			e[i] += galFromEq[j][i] * g[j] // Aᵀ·g
		}
	}
	return math.Atan2(e[1], e[0]) * 180 / math.Pi, math.Asin(e[2]) * 180 / math.Pi
}

// TestRegionOnGalacticImage: a region made on an FK5 image and used on a
// galactic one is carried through a frame conversion, as the reference's
// RegionConverter::WorldPointToImagePixels converts the direction
// between the images' frames (src/Region/RegionConverter.cc:970-990).
func TestRegionOnGalacticImage(t *testing.T) {
	c := skyClient(t)
	openFile(t, c, "sky0.fits", 0)
	openFile(t, c, "gal.fits", 3)
	const cx, cy, w, h = 18.71, 22.93, 11.4, 8.2
	ack := setRegion(t, c, 2, 0, -1, box(cx, cy, w, h))
	var in [][2]int
	for y := range skyGal.h {
		for x := range skyGal.w {
			u, v := sky0.toPixel(galToEq(skyGal.toSky(float64(x), float64(y))))
			du, dv := math.Abs(u-cx)-w/2, math.Abs(v-cy)-h/2
			if math.Abs(du) < 2e-3 && dv < 2e-3 || math.Abs(dv) < 2e-3 && du < 2e-3 {
				t.Fatalf("gal pixel (%d, %d) lies on the rectangle's edge (%g, %g)", x, y, u, v)
			}
			if du < 0 && dv < 0 {
				in = append(in, [2]int{x, y})
			}
		}
	}
	if len(in) < 10 {
		t.Fatalf("only %d pixels inside", len(in))
	}
	sendMsg(t, c, icd.EventType_SET_STATS_REQUIREMENTS, 30, 3, &icd.SetStatsRequirements{FileId: 3, RegionId: ack.RegionId, StatsConfigs: statsZ})
	checkStats(t, nextFor(t, c, icd.EventType_REGION_STATS_DATA, 3, &icd.RegionStatsData{}), pixelStats(in, 0))
}
