package session

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"cartago/icd"
)

// TestErrorData checks the one rule of errors.go: the reference's text,
// tag and severity where it has them (carta-backend
// src/Session/Session.cc, the SendLogEvent calls cited per case), our
// own redacted text otherwise, and "cartago" tags for what the reference
// only logs on the server.
func TestErrorData(t *testing.T) {
	redact := func(s string) string { return strings.ReplaceAll(s, "/srv/root", "<root>") }
	const (
		debug   = icd.ErrorSeverity_DEBUG
		warning = icd.ErrorSeverity_WARNING
		errSev  = icd.ErrorSeverity_ERROR
	)
	for _, tc := range []struct {
		name     string
		event    icd.EventType
		tag      string
		err      error
		text     string
		tags     []string
		severity icd.ErrorSeverity
	}{
		// Session.cc:780-781.
		{"cursor on a closed file", icd.EventType_SET_CURSOR, "", fmt.Errorf("SET_CURSOR: %w", errFileNotFound(3)),
			"File id 3 not found", []string{"cursor"}, debug},
		// Session.cc:760-761, 961-962, 1003-1004, 1044-1045, 1081-1082.
		{"channels on a closed file", icd.EventType_SET_IMAGE_CHANNELS, "", errFileNotFound(2), "File id 2 not found", []string{"channels"}, debug},
		{"spatial on a closed file", icd.EventType_SET_SPATIAL_REQUIREMENTS, "", errFileNotFound(2), "File id 2 not found", []string{"spatial"}, debug},
		{"histogram on a closed file", icd.EventType_SET_HISTOGRAM_REQUIREMENTS, "", errFileNotFound(2), "File id 2 not found", []string{"histogram"}, debug},
		{"spectral on a closed file", icd.EventType_SET_SPECTRAL_REQUIREMENTS, "", errFileNotFound(2), "File id 2 not found", []string{"spectral"}, debug},
		{"stats on a closed file", icd.EventType_SET_STATS_REQUIREMENTS, "", errFileNotFound(2), "File id 2 not found", []string{"stats"}, debug},
		// Session.cc:1077-1078, 999-1000, 1040-1041, 957-958.
		{"stats of no region", icd.EventType_SET_STATS_REQUIREMENTS, "", errInvalidRequirements(icd.EventType_SET_STATS_REQUIREMENTS, 4),
			"Stats requirements not valid for region id 4", []string{"stats"}, errSev},
		{"histogram of no region", icd.EventType_SET_HISTOGRAM_REQUIREMENTS, "", errInvalidRequirements(icd.EventType_SET_HISTOGRAM_REQUIREMENTS, 4),
			"Histogram requirements not valid for region id 4", []string{"histogram"}, errSev},
		{"spectra of no region", icd.EventType_SET_SPECTRAL_REQUIREMENTS, "", errInvalidRequirements(icd.EventType_SET_SPECTRAL_REQUIREMENTS, 4),
			"Spectral requirements not valid for region id 4", []string{"spectral"}, errSev},
		{"spatial of no region", icd.EventType_SET_SPATIAL_REQUIREMENTS, "", errInvalidRequirements(icd.EventType_SET_SPATIAL_REQUIREMENTS, 4),
			"Spatial requirements failed for region 4: invalid region id or type", []string{"spatial"}, errSev},
		// Session.cc:1016-1017.
		{"spectra of a 2-D image", icd.EventType_SET_SPECTRAL_REQUIREMENTS, "", errNoSpectralAxis,
			"Spectral profile not valid for 2D image.", []string{"spectral"}, warning},
		// Frame.cc:366 sent at Session.cc:751.
		{"channel outside", icd.EventType_SET_IMAGE_CHANNELS, "", errInvalidChannel(9, 0, errors.New("file 0: channel 9 outside 0..4")),
			"Channel 9 or Stokes 0 is invalid in image", []string{"channels"}, errSev},
		// Session.cc:1647-1658: background work names its feature.
		{"spatial profiles of a rectangle", icd.EventType_EMPTY_EVENT, "spatial", errSpatialType(5, icd.RegionType_RECTANGLE),
			"Spatial profiles not valid for region 5 type", []string{"spatial"}, debug},
		// Our own texts, redacted, with the reference's tag and severity
		// for the feature (Session.cc:1889 contours, 1956 vector field
		// WARNING; stats ERROR).
		{"contours failed", icd.EventType_EMPTY_EVENT, "contours", errors.New("contours of file 0: /srv/root/a.fits: read error"),
			"contours of file 0: <root>/a.fits: read error", []string{"contours"}, warning},
		{"vectors failed", icd.EventType_EMPTY_EVENT, "vector field", errors.New("no Q plane"), "no Q plane", []string{"vector field"}, warning},
		{"stats failed", icd.EventType_EMPTY_EVENT, "stats", errors.New("out of memory"), "out of memory", []string{"stats"}, errSev},
		{"unsupported feature", icd.EventType_SET_CONTOUR_PARAMETERS, "", fmt.Errorf("matched contours are %w", ErrUnsupported),
			"matched contours are not supported by this server yet", []string{"contours"}, warning},
		// What the reference only logs on its server.
		{"unknown event", icd.EventType(999), "", fmt.Errorf("%w 999", ErrUnknownEvent),
			"unknown event type 999", []string{"cartago", "999"}, errSev},
		{"before REGISTER_VIEWER", icd.EventType_FILE_LIST_REQUEST, "", fmt.Errorf("FILE_LIST_REQUEST: %w", ErrNotRegistered),
			"FILE_LIST_REQUEST: REGISTER_VIEWER must come first", []string{"cartago", "FILE_LIST_REQUEST"}, errSev},
		{"bad payload", icd.EventType_SET_CURSOR, "", fmt.Errorf("SET_CURSOR: %w: proto: cannot parse", ErrBadPayload),
			"SET_CURSOR: undecodable payload: proto: cannot parse", []string{"cartago", "SET_CURSOR"}, errSev},
		{"panic", icd.EventType_SET_CURSOR, "", fmt.Errorf("%w handling SET_CURSOR", errInternal),
			"internal error handling SET_CURSOR", []string{"cartago", "SET_CURSOR"}, errSev},
		{"unsupported command", icd.EventType_SCRIPTING_RESPONSE, "", fmt.Errorf("SCRIPTING_RESPONSE: %w", ErrUnsupported),
			"SCRIPTING_RESPONSE: not supported by this server yet", []string{"cartago", "SCRIPTING_RESPONSE"}, warning},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := errorData(tc.event, tc.tag, tc.err, redact)
			if e.Message != tc.text || !slices.Equal(e.Tags, tc.tags) || e.Severity != tc.severity {
				t.Errorf("got %q %v %v, want %q %v %v", e.Message, e.Tags, e.Severity, tc.text, tc.tags, tc.severity)
			}
		})
	}
}

// TestFileNotFoundIsRecognised: the handlers that are silent about a
// file that is not open recognise errFileNotFound through wrapping, and
// only it.
func TestFileNotFoundIsRecognised(t *testing.T) {
	if err := silentIfNotOpen(fmt.Errorf("ADD_REQUIRED_TILES: %w", errFileNotFound(1))); err != nil {
		t.Errorf("wrapped errFileNotFound: %v, want nil", err)
	}
	other := errInvalidRequirements(icd.EventType_SET_STATS_REQUIREMENTS, 1)
	if err := silentIfNotOpen(other); err != other {
		t.Errorf("other error: %v, want it back", err)
	}
}

// TestRegisterFailureIsAFailedAck: REGISTER_VIEWER is always answered
// with its ack, as in the reference (carta-backend
// src/Session/Session.cc:339-402, Session::OnRegisterViewer), also when
// the session cannot be attached; the frontend waits for the ack.
func TestRegisterFailureIsAFailedAck(t *testing.T) {
	m := NewManager(Config{Logger: newTestManager(time.Minute).log, IdleTimeout: time.Minute})
	p := &pipe{t: t, wake: make(chan struct{}, 1)}
	p.client = m.NewClient(p, "pipe", nil)
	m.Close("test over")
	sendMsg(t, p, icd.EventType_REGISTER_VIEWER, icd.Version, 1, &icd.RegisterViewer{})
	ack := expect(t, p, icd.EventType_REGISTER_VIEWER_ACK, &icd.RegisterViewerAck{})
	if ack.Success || ack.Message != "server is shutting down" {
		t.Fatalf("register during shutdown: %v", ack)
	}
}
