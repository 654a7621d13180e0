package session

import (
	"errors"
	"fmt"
	"math"

	"cartago/icd"
	"cartago/imaging/fit"
)

// What a fit is asked (initial values, given or estimated) and what it
// answers (FITTING_RESPONSE).

// fitMessage is the response's message for a failed fit: the
// reference's words where it has them ("insufficient data points", "fit
// did not converge").
func fitMessage(err error, redact func(string) string) string {
	for _, e := range []error{fit.ErrNoData, fit.ErrNotConverg} {
		if errors.Is(err, e) {
			return e.Error()
		}
	}
	return clientText(err, redact)
}

// fitRequest is what to fit: the request's initial values, or, when
// every one is NaN (the widget's "Auto"), values estimated from the
// data, with the part of the log that names them. The offset keeps the
// request's value when it is fixed.
func fitRequest(msg *icd.FittingRequest, img fit.Image, unit string) (fit.Request, string, error) {
	req := fit.Request{Initial: initialParams(msg), Fixed: msg.FixedParams}
	for _, g := range req.Initial.Components {
		if !math.IsNaN(g.X) || !math.IsNaN(g.Y) || !math.IsNaN(g.Amp) || !math.IsNaN(g.FWHMX) || !math.IsNaN(g.FWHMY) {
			return req, "", nil
		}
	}
	n := len(req.Initial.Components)
	est, err := fit.Estimate(img, n)
	if err != nil {
		return req, "", fmt.Errorf("initial values: %w", err)
	}
	// The offset is fixed unless the request frees it (the reference's
	// default for a fixed-parameter list of the wrong length).
	offsetFixed := len(msg.FixedParams) != 6*n+1 || msg.FixedParams[6*n]
	if offsetFixed {
		est.Offset = msg.Offset
		if math.IsNaN(est.Offset) {
			est.Offset = 0
		}
	}
	req.Initial, req.Fixed = est, make([]bool, 6*len(est.Components)+1)
	req.Fixed[len(req.Fixed)-1] = offsetFixed
	return req, fit.EstimateLog(est, unit), nil
}

// initialParams are the request's initial values (the ICD's order).
func initialParams(msg *icd.FittingRequest) fit.Params {
	p := fit.Params{Offset: msg.Offset}
	for _, g := range msg.InitialValues {
		p.Components = append(p.Components, fit.Gaussian{X: g.GetCenter().GetX(), Y: g.GetCenter().GetY(), Amp: g.Amp,
			FWHMX: g.GetFwhm().GetX(), FWHMY: g.GetFwhm().GetY(), PA: g.Pa})
	}
	return p
}

// component is a Gaussian as the ICD carries it.
func component(g fit.Gaussian) *icd.GaussianComponent {
	return &icd.GaussianComponent{Center: &icd.DoublePoint{X: g.X, Y: g.Y}, Amp: g.Amp,
		Fwhm: &icd.DoublePoint{X: g.FWHMX, Y: g.FWHMY}, Pa: g.PA}
}

// fitResponse is a successful fit's response. Integrated fluxes are
// given for Jy/beam images with a beam and Jy/pixel images, as the
// reference (ImageFitter::CalculateErrors).
func fitResponse(src *frame, res *fit.Result) *icd.FittingResponse {
	resp := &icd.FittingResponse{Success: true, Log: res.Log(), OffsetValue: res.Values.Offset, OffsetError: res.Errors.Offset}
	if res.IterationLimit {
		resp.Message = "exceeded max number of iterations" // GSL's words, which the reference sends
	}
	for i, g := range res.Values.Components {
		resp.ResultValues = append(resp.ResultValues, component(g))
		resp.ResultErrors = append(resp.ResultErrors, component(res.Errors.Components[i]))
	}
	beam := beamPixels(src)
	if beam <= 0 {
		return resp
	}
	for i := range res.Values.Components {
		v, e := res.Flux(i, beam)
		resp.IntegratedFluxValues = append(resp.IntegratedFluxValues, v)
		resp.IntegratedFluxErrors = append(resp.IntegratedFluxErrors, e)
	}
	return resp
}

// beamPixels is what divides a Gaussian's volume into a flux: the
// beam's area in pixels for Jy/beam, 1 for Jy/pixel; 0 when there is no
// flux to give.
func beamPixels(f *frame) float64 {
	b := f.bright
	switch b.Unit {
	case "Jy/pixel":
		return 1
	case "Jy/beam":
		if b.BeamMajor > 0 && b.BeamMinor > 0 && b.CDelt1 != 0 && b.CDelt2 != 0 {
			return math.Pi * (b.BeamMajor / math.Abs(b.CDelt1)) * (b.BeamMinor / math.Abs(b.CDelt2)) / (4 * math.Ln2)
		}
	}
	return 0
}
