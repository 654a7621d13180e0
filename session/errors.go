package session

import (
	"errors"
	"fmt"
	"os"
	"slices"

	"cartago/icd"
	"cartago/imaging/fits"
)

// How failures reach the client. This is the one rule; Client.reportError
// (handlers) and frame.reportError (background work) both apply it
// through errorData. Clients written against the reference backend
// (CARTAvis/carta-backend, src/Session/Session.cc: every SendLogEvent)
// match on what it sends, so for the same situation we send the same:
//
//   - Silence where the reference is silent. Stopping, closing, clearing
//     or removing something that is not there (CLOSE_FILE, REMOVE_REGION,
//     STOP_*, CLOSE_PV_PREVIEW, CLOSE_CATALOG_FILE, empty requirements of a
//     gone region, a vector overlay cleared), tiles, contours and vector
//     settings for a file that is not open: the handler returns nil.
//   - A request with a reply of its own answers failures in it
//     (FILE_INFO_RESPONSE, OPEN_FILE_ACK, SET_REGION_ACK, ...:
//     success=false and the reference's message), never with ERROR_DATA.
//   - Otherwise ERROR_DATA with
//     Message: the reference's text where it has one for the situation,
//     carried by a *refError anywhere in the error chain (our context
//     around it goes to the server log only), e.g. "File id 3 not found";
//     else our own wrapped text, stripped of server paths.
//     Tags: one tag naming the feature, the reference's for the message
//     type (featureTags; background work names its feature itself);
//     ["cartago", TYPE] for what the reference only logs on the server
//     (undecodable or unknown messages, messages before REGISTER_VIEWER,
//     panics; ["cartago", "image"] for a panic in background work, see
//     frame.recovered).
//     Messages and features the reference lacks (unsupported commands,
//     tiles) get ["cartago", TYPE] or their own feature name.
//     Severity: the refError's; WARNING for ErrUnsupported and for failed
//     contour, vector field and histogram work (featureSeverity); else
//     ERROR. A message for a file id that is not open is DEBUG: the
//     frontend sends them routinely while it closes a file.
//
// Deliberate differences: ERROR_DATA answering a message carries that
// message's request id (the reference always sends 0; clients treat
// ERROR_DATA as a stream, and the id ties an error to its cause in logs
// and tests). Requests we do not serve (moments, PV, fitting, import,
// export, catalogs, ...) get their reply with success=false even for a
// file that is not open, where the reference only sends a DEBUG "File id
// N not found": a frontend waiting for the reply must not hang.
// RESUME_SESSION reports what it could not restore in WARNING
// ERROR_DATA besides its ack (see resume.go); the reference has only the
// ack.

// Errors returned by handlers; Client.Handle turns them into ERROR_DATA.
var (
	// ErrBadPayload means the protobuf payload did not decode.
	ErrBadPayload = errors.New("undecodable payload")
	// ErrUnknownEvent means the event type is not part of ICD 30.
	ErrUnknownEvent = errors.New("unknown event type")
	// ErrUnsupported means the event is valid ICD but not served yet.
	ErrUnsupported = errors.New("not supported by this server yet")
	// ErrNotRegistered means a session message arrived before REGISTER_VIEWER.
	ErrNotRegistered = errors.New("REGISTER_VIEWER must come first")
	// ErrWrongDirection means a client sent a server-to-client message.
	ErrWrongDirection = errors.New("message is sent by servers, not clients")
	// errInternal means a handler panicked.
	errInternal = errors.New("internal error")
)

// protocolErrors are failures the reference only logs on its server.
var protocolErrors = []error{ErrBadPayload, ErrUnknownEvent, ErrNotRegistered, ErrWrongDirection, errInternal, icd.ErrShortFrame}

func isProtocolError(err error) bool {
	return slices.ContainsFunc(protocolErrors, func(p error) bool { return errors.Is(err, p) })
}

// refError is a failure the reference backend reports with a log event
// of its own: text is exactly its message, tag its tag ("" for the
// message type's) and severity its severity.
// cause, if any, is what we know beyond that text: it goes to the log.
type refError struct {
	text     string
	tag      string
	severity icd.ErrorSeverity
	cause    error
}

func (e *refError) Error() string {
	if e.cause != nil {
		return e.text + ": " + e.cause.Error()
	}
	return e.text
}

func (e *refError) Unwrap() error { return e.cause }

// errNotOpen is in the chain of errFileNotFound, for handlers that stay
// silent about a file that is not open, as the reference does.
var errNotOpen = errors.New("file is not open")

// errFileNotFound is the reference's answer to a message for a file id
// that is not open (Session::OnSetCursor and the other handlers).
func errFileNotFound(id int32) error {
	return &refError{text: fmt.Sprintf("File id %d not found", id), severity: icd.ErrorSeverity_DEBUG, cause: errNotOpen}
}

// isNotOpen reports whether err is errFileNotFound.
func isNotOpen(err error) bool { return errors.Is(err, errNotOpen) }

// silentIfNotOpen drops errFileNotFound, for the messages the reference
// ignores when their file is not open (tiles, contours, vector overlay).
func silentIfNotOpen(err error) error {
	if isNotOpen(err) {
		return nil
	}
	return err
}

// errInvalidRequirements is the reference's answer to requirements for a
// region that does not exist or has the wrong kind
// (Session::OnSetStatsRequirements and its siblings).
func errInvalidRequirements(t icd.EventType, region int32) error {
	var text string
	switch t {
	case icd.EventType_SET_STATS_REQUIREMENTS:
		text = fmt.Sprintf("Stats requirements not valid for region id %d", region)
	case icd.EventType_SET_HISTOGRAM_REQUIREMENTS:
		text = fmt.Sprintf("Histogram requirements not valid for region id %d", region)
	case icd.EventType_SET_SPECTRAL_REQUIREMENTS:
		text = fmt.Sprintf("Spectral requirements not valid for region id %d", region)
	default:
		text = fmt.Sprintf("Spatial requirements failed for region %d: invalid region id or type", region)
	}
	return &refError{text: text, severity: icd.ErrorSeverity_ERROR}
}

// errCannotSetRegion and errRegionParameters are the reference's
// SET_REGION_ACK messages (Session::OnSetRegion).
func errCannotSetRegion(file int32, cause error) error {
	return &refError{text: fmt.Sprintf("Cannot set region, file id %d not found", file), severity: icd.ErrorSeverity_ERROR, cause: cause}
}

func errRegionParameters(region, file int32, cause error) error {
	return &refError{text: fmt.Sprintf("Region %d parameters for file %d failed", region, file), severity: icd.ErrorSeverity_ERROR, cause: cause}
}

// errFileAccess gives a failure to open file name in directory dir (as
// the client named them) the reference's text where it has one
// (GetResolvedFilename in src/Util/Casacore.cc; "Unsupported format."
// from Session::FillExtendedFileInfo), for FILE_INFO_RESPONSE and
// OPEN_FILE_ACK.
func errFileAccess(folder *Folder, dir, name string, err error) error {
	text := ""
	switch {
	case errors.Is(err, os.ErrNotExist):
		text = "File " + name + " does not exist."
		if _, _, derr := folder.Dir(dir); errors.Is(derr, os.ErrNotExist) {
			text = "Directory " + dir + " does not exist."
		}
	case errors.Is(err, os.ErrPermission):
		text = "File " + name + " is not readable."
	case errors.Is(err, fits.ErrNotFITS):
		text = "Unsupported format."
	default:
		return err
	}
	return &refError{text: text, severity: icd.ErrorSeverity_ERROR, cause: err}
}

// errListDirectory gives a failure to list directory dir (as the client
// named it) the reference's FILE_LIST_RESPONSE message
// (FileListHandler::GetFileList).
func errListDirectory(dir string, err error) error {
	text := ""
	switch {
	case errors.Is(err, os.ErrNotExist):
		text = "File list failed: Directory " + dir + " does not exist."
	case errors.Is(err, ErrOutsideRoot):
		text = "Forbidden path."
	case errors.Is(err, ErrNotDirectory):
		text = "File list failed: requested path " + dir + " is not a directory."
	default:
		return err
	}
	return &refError{text: text, severity: icd.ErrorSeverity_ERROR, cause: err}
}

// errInvalidChannel is the reference's text for SET_IMAGE_CHANNELS
// outside the image (Frame::SetImageChannels).
func errInvalidChannel(channel, stokes int, cause error) error {
	return &refError{text: fmt.Sprintf("Channel %d or Stokes %d is invalid in image", channel, stokes), severity: icd.ErrorSeverity_ERROR, cause: cause}
}

// errSpatialType is the reference's DEBUG note for spatial profiles of a
// region that has none (Session::SendSpatialProfileData): only points,
// lines and polylines do.
func errSpatialType(region int32, kind icd.RegionType) error {
	return &refError{text: fmt.Sprintf("Spatial profiles not valid for region %d type", region), severity: icd.ErrorSeverity_DEBUG,
		cause: fmt.Errorf("a %s region", kind)}
}

// errNoSpectralAxis answers spectral requirements for an image of fewer
// than three axes.
var errNoSpectralAxis = &refError{text: "Spectral profile not valid for 2D image.", severity: icd.ErrorSeverity_WARNING}

// featureTags is the reference's ERROR_DATA tag for each message type it
// reports on (Session.cc); background work uses the same names.
var featureTags = map[icd.EventType]string{
	icd.EventType_FILE_INFO_REQUEST:             "file info",
	icd.EventType_OPEN_FILE:                     "open_file",
	icd.EventType_SET_IMAGE_CHANNELS:            "channels",
	icd.EventType_SET_CURSOR:                    "cursor",
	icd.EventType_SET_SPATIAL_REQUIREMENTS:      "spatial",
	icd.EventType_SET_HISTOGRAM_REQUIREMENTS:    "histogram",
	icd.EventType_SET_SPECTRAL_REQUIREMENTS:     "spectral",
	icd.EventType_SET_STATS_REQUIREMENTS:        "stats",
	icd.EventType_SET_CONTOUR_PARAMETERS:        "contours",
	icd.EventType_SET_VECTOR_OVERLAY_PARAMETERS: "vector field",
	icd.EventType_START_ANIMATION:               "animation",
	icd.EventType_STOP_ANIMATION:                "animation",
	icd.EventType_ANIMATION_FLOW_CONTROL:        "animation",
	icd.EventType_IMPORT_REGION:                 "import",
	icd.EventType_EXPORT_REGION:                 "export",
	icd.EventType_MOMENT_REQUEST:                "Moments",
	icd.EventType_SAVE_FILE:                     "Saving a file",
	icd.EventType_PV_REQUEST:                    "PV",
	icd.EventType_FITTING_REQUEST:               "Fitting",
	icd.EventType_FILE_LIST_REQUEST:             "file-list",
}

// clientText is what a client reads of err, in ERROR_DATA or an ack's
// message: the reference's text if err carries one, else err's own text
// stripped of server paths.
func clientText(err error, redact func(string) string) string {
	var ref *refError
	if errors.As(err, &ref) {
		return ref.text
	}
	return redact(err.Error())
}

// featureSeverity is the reference's severity for a failed computation
// of a feature where it is not ERROR ("Error processing contours",
// "Error processing vector field image", "Histogram calculation for
// region N failed").
var featureSeverity = map[string]icd.ErrorSeverity{
	"contours":     icd.ErrorSeverity_WARNING,
	"vector field": icd.ErrorSeverity_WARNING,
	"histogram":    icd.ErrorSeverity_WARNING,
}

// errorData builds the ERROR_DATA for err by the rule above. tag is the
// feature ("" to take it from t); redact strips server paths from our
// own texts.
func errorData(t icd.EventType, tag string, err error, redact func(string) string) *icd.ErrorData {
	e := &icd.ErrorData{Severity: icd.ErrorSeverity_ERROR, Message: clientText(err, redact)}
	var ref *refError
	if errors.As(err, &ref) {
		e.Severity = ref.severity
		if ref.tag != "" {
			tag = ref.tag
		}
	} else if errors.Is(err, ErrUnsupported) {
		e.Severity = icd.ErrorSeverity_WARNING
	}
	if tag == "" && !isProtocolError(err) {
		tag = featureTags[t]
	}
	if sev, ok := featureSeverity[tag]; ok && ref == nil && e.Severity == icd.ErrorSeverity_ERROR {
		e.Severity = sev
	}
	if tag == "" {
		e.Tags = []string{"cartago", t.String()}
	} else {
		e.Tags = []string{tag}
	}
	return e
}
