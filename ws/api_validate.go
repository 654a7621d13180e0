package ws

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Limits of the HTTP API. A body over its limit is refused with 413 and
// changes nothing. Sizes are generous for what 6.0.0 writes: its
// preferences are about a hundred short keys (~6 KiB), a saved layout
// (golden-layout config) a few KiB, a snippet a short script; a
// workspace is ~1 KiB per image plus ~150 bytes per region and a JPEG
// thumbnail data URL of some tens of KiB.
const (
	// maxPreferencesBody bounds one PUT or DELETE of preferences.
	maxPreferencesBody = 64 << 10
	// maxPreferencesStored bounds an owner's merged preferences object.
	maxPreferencesStored = 256 << 10
	// maxObjectBody bounds one layout or snippet PUT.
	maxObjectBody = 256 << 10
	// maxLayouts and maxSnippets bound how many one owner keeps.
	maxLayouts  = 100
	maxSnippets = 500
	// maxWorkspaceBody bounds one workspace PUT: 10,000 regions and
	// 32 images fit with room to spare.
	maxWorkspaceBody = 8 << 20
	// maxWorkspaces bounds how many workspaces one owner keeps, and
	// maxWorkspaceTotal their summed size.
	maxWorkspaces     = 200
	maxWorkspaceTotal = 256 << 20
	// maxNameBytes bounds names of layouts, snippets, workspaces and
	// preference keys.
	maxNameBytes = 128
)

// errBodyTooLarge marks a body over its limit (413).
var errBodyTooLarge = errors.New("request body too large")

// readBody reads r's body up to limit bytes.
func readBody(w http.ResponseWriter, r *http.Request, limit int64) ([]byte, error) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) {
		return nil, fmt.Errorf("%w: the limit is %d bytes", errBodyTooLarge, limit)
	}
	if err != nil {
		return nil, badBody(fmt.Errorf("reading the request body: %w", err))
	}
	return body, nil
}

// replyBodyError answers a body that was refused.
func replyBodyError(w http.ResponseWriter, err error) {
	status := http.StatusBadRequest
	if errors.Is(err, errBodyTooLarge) {
		status = http.StatusRequestEntityTooLarge
	}
	replyError(w, status, err.Error())
}

// parseObject parses body as one JSON object, keeping its values as
// they were sent.
func parseObject(body []byte) (map[string]json.RawMessage, error) {
	if !utf8.Valid(body) {
		return nil, errors.New("body is not UTF-8")
	}
	var obj map[string]json.RawMessage
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(&obj); err != nil {
		return nil, fmt.Errorf("body is not a JSON object: %w", err)
	}
	if obj == nil {
		return nil, errors.New("body is not a JSON object: null")
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("body has data after its JSON object")
	}
	return obj, nil
}

// isObject reports whether v is a JSON object.
func isObject(v json.RawMessage) bool {
	v = bytes.TrimLeft(v, " \t\r\n")
	return len(v) > 0 && v[0] == '{'
}

// parsePreferences parses a PUT body: an object of preference keys.
func parsePreferences(body []byte) (map[string]json.RawMessage, error) {
	obj, err := parseObject(body)
	if err != nil {
		return nil, err
	}
	for k := range obj {
		if err := checkKey(k); err != nil {
			return nil, err
		}
	}
	return obj, nil
}

// parseKeys parses a DELETE body of preferences: {"keys": [string...]}.
func parseKeys(body []byte) ([]string, error) {
	obj, err := parseObject(body)
	if err != nil {
		return nil, err
	}
	var keys []string
	if err := json.Unmarshal(obj["keys"], &keys); err != nil || len(keys) == 0 {
		return nil, errors.New(`body must be {"keys": [names of preferences]} with at least one name`)
	}
	for _, k := range keys {
		if err := checkKey(k); err != nil {
			return nil, err
		}
	}
	return keys, nil
}

// parseNamed parses a PUT body {<kind>Name: string, <kind>: object} and
// returns the name and the object as sent.
func parseNamed(body []byte, kind string) (string, []byte, error) {
	obj, err := parseObject(body)
	if err != nil {
		return "", nil, err
	}
	name, err := nameField(obj, kind)
	if err != nil {
		return "", nil, err
	}
	value, ok := obj[kind]
	if !ok || !isObject(value) {
		return "", nil, fmt.Errorf("body must carry the %s as a JSON object in %q", kind, kind)
	}
	return name, bytes.TrimSpace(value), nil
}

// parseName parses a DELETE body {<kind>Name: string}.
func parseName(body []byte, kind string) (string, error) {
	obj, err := parseObject(body)
	if err != nil {
		return "", err
	}
	return nameField(obj, kind)
}

func nameField(obj map[string]json.RawMessage, kind string) (string, error) {
	var name string
	if err := json.Unmarshal(obj[kind+"Name"], &name); err != nil {
		return "", fmt.Errorf("body must name the %s in %q (a string)", kind, kind+"Name")
	}
	return name, checkName(name)
}

// checkName accepts names of layouts, snippets and workspaces: 1 to
// maxNameBytes bytes of printable text without surrounding spaces. The
// frontend puts workspace names into URL paths without escaping them,
// so / \ ? # % are refused too, and "." and "..".
func checkName(name string) error {
	if err := checkKey(name); err != nil {
		return err
	}
	switch {
	case strings.ContainsAny(name, `/\?#%`):
		return fmt.Errorf("name %q: / \\ ? # %% are not allowed", name)
	case name == "." || name == "..":
		return fmt.Errorf("name %q is not allowed", name)
	case strings.TrimSpace(name) != name:
		return fmt.Errorf("name %q: no leading or trailing spaces", name)
	}
	return nil
}

// checkKey accepts preference keys: 1 to maxNameBytes bytes of UTF-8
// without control characters.
func checkKey(key string) error {
	switch {
	case key == "":
		return errors.New("empty name")
	case len(key) > maxNameBytes:
		return fmt.Errorf("name of %d bytes: at most %d", len(key), maxNameBytes)
	case !utf8.ValidString(key):
		return errors.New("name is not UTF-8")
	case strings.ContainsFunc(key, unicode.IsControl):
		return fmt.Errorf("name %q has control characters", key)
	}
	return nil
}
