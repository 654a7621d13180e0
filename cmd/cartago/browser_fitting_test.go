package main

import (
	"fmt"
	"math"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"google.golang.org/protobuf/proto"

	"cartago/icd"
	"cartago/imaging/fit"
	"cartago/imaging/fits"
)

// fittingTruth is what TestBrowserFitting's image holds: two Gaussians
// on an offset, in Jy/pixel (so the widget shows integrated fluxes).
var fittingTruth = fit.Params{Components: []fit.Gaussian{
	{X: 40, Y: 52, Amp: 8, FWHMX: 14, FWHMY: 7, PA: 30},
	{X: 88, Y: 30, Amp: 4, FWHMX: 9, FWHMY: 6, PA: 125},
}, Offset: 0.5}

// TestBrowserFitting: with a generated 128×96 image of two known
// Gaussians open, the user opens the Image Fitting widget from the
// toolbar, turns off generated initial values, sets two components and
// types each one's initial values,
// and clicks Fit. The frontend sends those values; the server's fit
// recovers the Gaussians within the errors it reports, and the widget's
// result table shows exactly the server's values and errors as the
// frontend formats them (six decimals), its full log shows our log.
// Then the user fits again with generated initial values ("Auto", the
// widget's default): the server estimates them, the fit finds the
// Gaussians again, and the widget shows the generated values the log
// names in its inputs.
func TestBrowserFitting(t *testing.T) {
	root := t.TempDir()
	writeGaussImage(t, filepath.Join(root, "gauss.fits"), 128, 96, fittingTruth, 0.1,
		fits.NewStringCard("BUNIT", "Jy/pixel", ""))
	srv := startBrowserServer(t, root)
	b := startBrowser(t, srv)
	openDrawn(b, "gauss.fits")

	b.clickUntilShown("the toolbar's Image fitting button", `[data-testid="fitting-dialog-button"]`, `.fitting-dialog`, uiTimeout)
	// Initial values are generated ("Auto") by default, which we do not
	// serve: the user turns it off to type them.
	b.clickUntilShown("the widget's Auto switch", `.fitting-dialog .auto-switch`, `.fitting-dialog input[placeholder="Center X"]`, uiTimeout)
	b.typeKeys("the number of components", `.fitting-dialog .components-input input`, "2")
	pollJS[bool](b, "the component slider", `!!document.querySelector(".fitting-dialog .components-slider")`, uiTimeout)
	initial := make([]fit.Gaussian, 2)
	for i, g := range fittingTruth.Components {
		b.selectComponent(i, len(fittingTruth.Components))
		initial[i] = fit.Gaussian{X: g.X + 2, Y: g.Y - 1, Amp: math.Round(g.Amp * 0.8), FWHMX: g.FWHMX + 2, FWHMY: g.FWHMY - 1, PA: g.PA + 10}
		for _, in := range []struct {
			placeholder string
			v           float64
		}{{"Center X", initial[i].X}, {"Center Y", initial[i].Y}, {"Amplitude", initial[i].Amp},
			{"Major axis", initial[i].FWHMX}, {"Minor axis", initial[i].FWHMY}, {"Position angle", initial[i].PA}} {
			b.typeKeys(in.placeholder, `.fitting-dialog input[placeholder="`+in.placeholder+`"]`, strconv.FormatFloat(in.v, 'f', -1, 64)+"\r")
		}
	}

	// The background is fixed (at 0) by default; the user unlocks it.
	lock := `.fitting-dialog .lock-button:not([data-testid])`
	b.clickUntil("the background's lock button", lock, "it unlocked",
		`!!document.querySelector(`+strconv.Quote(lock+` [data-icon="unlock"]`)+`)`, uiTimeout)

	b.clickUntilSent("the widget's Fit button", `[data-testid="image-fitting-fit-button"]`, ev(icd.EventType_FITTING_REQUEST), uiTimeout)
	var req icd.FittingRequest
	if err := proto.Unmarshal(b.lastPayload(true, ev(icd.EventType_FITTING_REQUEST)), &req); err != nil {
		b.fail("FITTING_REQUEST: %v", err)
	}
	if len(req.InitialValues) != 2 {
		b.fail("the frontend sent %d components, want 2: %v", len(req.InitialValues), &req)
	}
	for i, g := range req.InitialValues {
		w := initial[i]
		if g.Center.X != w.X || g.Center.Y != w.Y || g.Amp != w.Amp || g.Fwhm.X != w.FWHMX || g.Fwhm.Y != w.FWHMY || g.Pa != w.PA {
			t.Errorf("the frontend sent component %d as %v, typed %+v", i+1, g, w)
		}
	}
	p := b.waitMessage(false, ev(icd.EventType_FITTING_RESPONSE), "FITTING_RESPONSE", func([]byte) bool { return true }, serverTimeout)
	var resp icd.FittingResponse
	if err := proto.Unmarshal(p, &resp); err != nil || !resp.Success {
		b.fail("FITTING_RESPONSE %v (%v)", &resp, err)
	}
	checkFitTruth(t, &resp)

	shown := pollJS[string](b, "the widget's fitting result", `document.querySelector(".fitting-dialog .fitting-result-text")?.textContent ?? ""`, serverTimeout)
	if len(req.FixedParams) != 13 || slices.Contains(req.FixedParams, true) {
		t.Errorf("the frontend sent fixed parameters %v, want 13 free", req.FixedParams)
	}
	for _, want := range resultLines(&resp) {
		if !strings.Contains(shown, want) {
			t.Errorf("the widget's result lacks %q:\n%s", want, shown)
		}
	}
	b.click("the Full Log tab", `[data-testid="image-fitting-full-log-tab-title"]`, uiTimeout)
	log := pollJS[string](b, "the widget's full log", `document.querySelector(".fitting-dialog .log-text")?.textContent ?? ""`, uiTimeout)
	if !strings.Contains(log, resp.Log) || !strings.Contains(log, "Gaussian fitting with 2 component(s)") {
		t.Errorf("the widget's full log does not show ours:\n%s\nours:\n%s", log, resp.Log)
	}
	b.saveShot("-result", b.capture())

	// ---- "Auto": the server generates the initial values ----

	// The user turns generated initial values back on and fits again:
	// the frontend sends NaN values, the server estimates them, and the
	// widget takes them from the log into its inputs.
	b.clickUntilGone("the widget's Auto switch", `.fitting-dialog .auto-switch`, `.fitting-dialog input[placeholder="Center X"]`, uiTimeout)
	nResp := b.rec.frames(false, ev(icd.EventType_FITTING_RESPONSE))
	b.clickUntilSent("the widget's Fit button", `[data-testid="image-fitting-fit-button"]`, ev(icd.EventType_FITTING_REQUEST), uiTimeout)
	if err := proto.Unmarshal(b.lastPayload(true, ev(icd.EventType_FITTING_REQUEST)), &req); err != nil || len(req.InitialValues) != 2 ||
		!math.IsNaN(req.InitialValues[0].Amp) {
		b.fail("the Auto request %v (%v), want 2 components of NaN", &req, err)
	}
	p = b.waitMessageFrom(false, ev(icd.EventType_FITTING_RESPONSE), nResp, "the Auto FITTING_RESPONSE", func([]byte) bool { return true }, serverTimeout)
	var auto icd.FittingResponse
	if err := proto.Unmarshal(p, &auto); err != nil || !auto.Success || !strings.HasPrefix(auto.Log, "Generated initial values of 2 component(s)") {
		b.fail("Auto FITTING_RESPONSE %v (%v)", &auto, err)
	}
	checkFitTruth(t, &auto)
	generated := regexp.MustCompile(`Center X +=\s*([-\d.]+)\s*\(`).FindStringSubmatch(auto.Log)
	b.clickUntilShown("the widget's Auto switch", `.fitting-dialog .auto-switch`, `.fitting-dialog input[placeholder="Center X"]`, uiTimeout)
	b.selectComponent(0, 2)
	shownX := pollJS[string](b, "the generated centre in the widget", `document.querySelector('.fitting-dialog input[placeholder="Center X"]')?.value ?? ""`, uiTimeout)
	if len(generated) != 2 || parseFloat(shownX) != parseFloat(generated[1]) {
		t.Errorf("the widget shows generated centre x %q; the log says %v", shownX, generated)
	}
	b.checkHealthy()
}

func parseFloat(s string) float64 {
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return math.NaN()
	}
	return v
}

// checkFitTruth checks the server's fit found the image's Gaussians
// within 4 of its reported errors.
func checkFitTruth(t *testing.T, resp *icd.FittingResponse) {
	t.Helper()
	for i, w := range fittingTruth.Components {
		g, e := resp.ResultValues[i], resp.ResultErrors[i]
		for _, c := range [][3]float64{{g.Center.X, e.Center.X, w.X}, {g.Center.Y, e.Center.Y, w.Y}, {g.Amp, e.Amp, w.Amp},
			{g.Fwhm.X, e.Fwhm.X, w.FWHMX}, {g.Fwhm.Y, e.Fwhm.Y, w.FWHMY}, {g.Pa, e.Pa, w.PA}} {
			if !(c[1] > 0 && math.Abs(c[0]-c[2]) <= 4*c[1]) {
				t.Errorf("component %d: %g ± %g, truth %g", i+1, c[0], c[1], c[2])
			}
		}
	}
}

// resultLines are the lines the widget's result shows for resp, as
// frontend 6.0.0 formats them for an image without celestial axes
// (ImageFittingStore.setResultString: toFixed(6), "±", units).
func resultLines(resp *icd.FittingResponse) []string {
	line := func(name string, v, e float64, unit string) string {
		return fmt.Sprintf("%s = %.6f ± %.6f (%s)", name, v, e, unit)
	}
	var out []string
	for i, g := range resp.ResultValues {
		e := resp.ResultErrors[i]
		out = append(out, fmt.Sprintf("Component #%d:", i+1),
			line("Center X       ", g.Center.X, e.Center.X, "px"),
			line("Center Y       ", g.Center.Y, e.Center.Y, "px"),
			line("Amplitude      ", g.Amp, e.Amp, "Jy/pixel"),
			line("FWHM Major Axis", g.Fwhm.X, e.Fwhm.X, "px"),
			line("FWHM Minor Axis", g.Fwhm.Y, e.Fwhm.Y, "px"),
			line("P.A.           ", g.Pa, e.Pa, "deg"),
			line("Integrated flux", resp.IntegratedFluxValues[i], resp.IntegratedFluxErrors[i], "Jy"))
	}
	return append(out, line("Background     ", resp.OffsetValue, resp.OffsetError, "Jy/pixel"))
}

// typeKeys types text into the input sel, as a user does: a click
// (the widget's inputs select their whole value on focus), the keys.
func (b *browser) typeKeys(what, sel, text string) {
	b.t.Helper()
	b.click(what, sel, uiTimeout)
	if err := chromedp.Do(b.ctx, chromedp.SendKeys(sel, text)); err != nil {
		b.fail("typing %q into %s: %v", text, what, err)
	}
}

// selectComponent moves the widget's component slider (1…n) to
// component i+1 (0-based i) of n with a click on its track, as a user
// can: adding components selects the last one.
func (b *browser) selectComponent(i, n int) {
	b.t.Helper()
	handle := `.fitting-dialog .components-slider .bp6-slider-handle`
	at := `document.querySelector("` + handle + `")?.textContent ?? ""`
	want := strconv.Itoa(i + 1)
	for attempt := range 3 {
		if evalJS[string](b, at) == want {
			return
		}
		// Typing scrolled the widget's inputs; the slider comes back into view.
		evalJS[bool](b, `(() => { document.querySelector(".fitting-dialog .components-slider").scrollIntoView({block: "center"}); return true })()`)
		track := elementRect(b, `.fitting-dialog .components-slider .bp6-slider-track`)
		x := track.X + track.W*float64(i)/float64(n-1)
		x = math.Min(math.Max(x, track.X+1), track.X+track.W-1)
		b.clickAt(x, track.Y+track.H/2)
		b.t.Logf("clicked the component slider at %.0f for component %s (attempt %d)", x, want, attempt+1)
		pollJS[bool](b, "the slider's handle to move", `(`+at+`) !== ""`, uiTimeout)
		for range 20 {
			if evalJS[string](b, at) == want {
				return
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	b.fail("the component slider shows %q, never component %s", evalJS[string](b, at), want)
}
