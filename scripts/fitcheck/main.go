// Command fitcheck checks and times FITTING_REQUEST against scipy's
// curve_fit (issue 13): it writes a 640×640 image of three Gaussians on
// an offset with noise, starts `cartago serve` on loopback, draws a
// 512×512 rectangle region, fits the three Gaussians in it with model
// and residual images, then fits the same pixels from the same initial
// values with fitcheck.py (scipy.optimize.curve_fit). It prints both
// parameter sets, our errors, whether every parameter is within our
// reported error of scipy's, both times and their ratio, the server's
// peak RSS while fitting and its RSS after the session ends (images
// closed, socket closed, idle timeout passed). It exits 1 when a
// parameter disagrees beyond our error.
//
//	go run ./scripts/fitcheck -bin /tmp/cartago -py scripts/fitcheck/fitcheck.py
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"time"

	"cartago/icd"
	"cartago/imaging/fit"
	"cartago/imaging/fits"
	"cartago/scripts/benchclient"
	"cartago/scripts/procstat"
)

const (
	size      = 640
	box0, box = 64, 512 // the region: pixels 64…575 on both axes
	noise     = 0.2
)

var truth = fit.Params{Components: []fit.Gaussian{
	{X: 220, Y: 260, Amp: 10, FWHMX: 40, FWHMY: 20, PA: 30},
	{X: 400, Y: 380, Amp: 5, FWHMX: 25, FWHMY: 25, PA: 0},
	{X: 330, Y: 170, Amp: -3, FWHMX: 50, FWHMY: 15, PA: 120},
}, Offset: 0.5}

// initial values: a few pixels and tens of percent off the truth.
func initial() fit.Params {
	p := fit.Params{Offset: 0}
	for _, g := range truth.Components {
		p.Components = append(p.Components, fit.Gaussian{X: g.X + 4, Y: g.Y - 3, Amp: g.Amp * 0.8,
			FWHMX: g.FWHMX * 1.2, FWHMY: g.FWHMY * 0.85, PA: g.PA + 10})
	}
	return p
}

func main() {
	bin := flag.String("bin", "", "cartago binary to run (required)")
	py := flag.String("py", "scripts/fitcheck/fitcheck.py", "the scipy side")
	dir := flag.String("dir", "", "folder for the image (default: a new temporary one)")
	flag.Parse()
	if *bin == "" {
		log.Fatal("-bin is required")
	}
	if *dir == "" {
		d, err := os.MkdirTemp("", "fitcheck")
		benchclient.Check(err)
		defer os.RemoveAll(d)
		*dir = d
	}
	image := filepath.Join(*dir, "gauss3.fits")
	benchclient.Check(writeImage(image))

	ours, took, peak, after := fitOnServer(*bin, *dir)
	theirs := fitWithScipy(*py, image)
	fmt.Printf("fit of %d Gaussians + offset on a %d×%d region (%d pixels) of a %d×%d image, noise %g\n",
		len(truth.Components), box, box, box*box, size, size, noise)
	ok := report(ours, theirs)
	fmt.Printf("time: cartago %v (request to response, with model and residual images), scipy curve_fit %v; scipy/cartago %.1f×\n",
		took.Round(time.Millisecond), time.Duration(theirs.Seconds*float64(time.Second)).Round(time.Millisecond), theirs.Seconds/took.Seconds())
	fmt.Printf("server: peak RSS while fitting %s (RssAnon %s); after the session ended RSS %s (RssAnon %s)\n",
		procstat.MiB(peak.RSS), procstat.MiB(peak.Anon), procstat.MiB(after.RSS), procstat.MiB(after.Anon))
	if !ok {
		fmt.Println("FAIL: parameters disagree beyond our reported errors")
		os.Exit(1)
	}
	fmt.Println("ok: every parameter within our reported error of scipy's")
}

// fitOnServer fits on a real server and returns its response, the time
// from request to response, and the server's memory while fitting and
// after the session ended.
func fitOnServer(bin, dir string) (*icd.FittingResponse, time.Duration, procstat.Mem, procstat.Mem) {
	cmd, url, err := procstat.StartServe(bin, "serve", "--host", "127.0.0.1", "--port", "0", "--no-auth", "--no-frontend",
		"--root", dir, "--db", filepath.Join(dir, "fit.db"), "--idle-timeout", "1s")
	benchclient.Check(err)
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	pid := cmd.Process.Pid
	c := benchclient.Dial(url)
	c.OpenImage("gauss3.fits")
	centre := float32(box0) + float32(box-1)/2
	c.MustSend(icd.EventType_SET_REGION, &icd.SetRegion{FileId: 0, RegionId: -1, RegionInfo: &icd.RegionInfo{
		RegionType: icd.RegionType_RECTANGLE, ControlPoints: []*icd.Point{{X: centre, Y: centre}, {X: box, Y: box}}}})
	var rack icd.SetRegionAck
	c.Await(icd.EventType_SET_REGION_ACK, &rack, nil)
	if !rack.Success {
		log.Fatalf("region: %s", rack.Message)
	}
	req := &icd.FittingRequest{FileId: 0, RegionId: rack.RegionId, FixedParams: make([]bool, 6*len(truth.Components)+1),
		CreateModelImage: true, CreateResidualImage: true}
	init := initial()
	for _, g := range init.Components {
		req.InitialValues = append(req.InitialValues, &icd.GaussianComponent{Center: &icd.DoublePoint{X: g.X, Y: g.Y}, Amp: g.Amp,
			Fwhm: &icd.DoublePoint{X: g.FWHMX, Y: g.FWHMY}, Pa: g.PA})
	}
	sampler := procstat.StartPeak(pid)
	start := time.Now()
	c.MustSend(icd.EventType_FITTING_REQUEST, req)
	var resp icd.FittingResponse
	c.Await(icd.EventType_FITTING_RESPONSE, &resp, nil)
	took := time.Since(start)
	peak, err := sampler.Stop()
	benchclient.Check(err)
	if !resp.Success {
		log.Fatalf("fit: %s", resp.Message)
	}
	for _, id := range []int32{resp.ModelImage.GetFileId(), resp.ResidualImage.GetFileId(), 0} {
		c.MustSend(icd.EventType_CLOSE_FILE, &icd.CloseFile{FileId: id})
	}
	benchclient.Check(c.Ping())
	benchclient.Check(c.ToPong(context.Background(), nil))
	benchclient.Check(c.Close())
	time.Sleep(2 * time.Second) // past the idle timeout: the session is released
	after, err := procstat.Settle(pid, 15*time.Second)
	benchclient.Check(err)
	return &resp, took, peak, after
}

// scipyFit is fitcheck.py's output.
type scipyFit struct {
	Values, Errors []float64
	Seconds        float64
	Pixels         int
}

func fitWithScipy(py, image string) *scipyFit {
	var flat []float64
	for _, g := range initial().Components {
		flat = append(flat, g.X, g.Y, g.Amp, g.FWHMX, g.FWHMY, g.PA)
	}
	flat = append(flat, initial().Offset)
	init, err := json.Marshal(flat)
	benchclient.Check(err)
	out, err := exec.Command("/usr/bin/python3", py, image, strconv.Itoa(box0), strconv.Itoa(box0),
		strconv.Itoa(box), strconv.Itoa(box), string(init)).Output()
	if ee, ok := err.(*exec.ExitError); ok {
		log.Fatalf("%s: %v\n%s", py, err, ee.Stderr)
	}
	benchclient.Check(err)
	var s scipyFit
	benchclient.Check(json.Unmarshal(out, &s))
	if s.Pixels != box*box || len(s.Values) != 6*len(truth.Components)+1 {
		log.Fatalf("scipy fitted %d pixels, %d values", s.Pixels, len(s.Values))
	}
	return &s
}

// report prints the parameters side by side and whether each of ours
// is within our error of scipy's.
func report(ours *icd.FittingResponse, theirs *scipyFit) bool {
	names := []string{"center x", "center y", "amplitude", "fwhm major", "fwhm minor", "p.a."}
	fmt.Printf("%-14s %14s %14s %12s %14s %12s %9s %6s\n", "parameter", "truth", "cartago", "± error", "scipy", "± error", "|Δ|/σ", "ok")
	ok := true
	row := func(name string, truth, v, e, sv, se float64) {
		d := math.Abs(v-sv) / e
		good := d <= 1
		ok = ok && good
		fmt.Printf("%-14s %14.6f %14.6f %12.6f %14.6f %12.6f %9.2e %6v\n", name, truth, v, e, sv, se, d, good)
	}
	for i, g := range ours.ResultValues {
		e, t := ours.ResultErrors[i], truth.Components[i]
		ov := []float64{g.Center.X, g.Center.Y, g.Amp, g.Fwhm.X, g.Fwhm.Y, g.Pa}
		oe := []float64{e.Center.X, e.Center.Y, e.Amp, e.Fwhm.X, e.Fwhm.Y, e.Pa}
		tv := []float64{t.X, t.Y, t.Amp, t.FWHMX, t.FWHMY, t.PA}
		for j := range 6 {
			row(fmt.Sprintf("#%d %s", i+1, names[j]), tv[j], ov[j], oe[j], theirs.Values[6*i+j], theirs.Errors[6*i+j])
		}
	}
	n := len(theirs.Values) - 1
	row("offset", truth.Offset, ours.OffsetValue, ours.OffsetError, theirs.Values[n], theirs.Errors[n])
	return ok
}

func writeImage(path string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer f.Close()
	return fits.Write(f, fits.WriteHDU{Bitpix: -32, Naxis: []int{size, size}, Data: fit.Synthesize(size, size, truth, noise, 7),
		Cards: []fits.Card{fits.NewStringCard("BUNIT", "Jy/pixel", "")}})
}
