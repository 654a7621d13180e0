package ws

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"cartago/store"
)

// defaultPreferences answers an owner who has stored none: the reference
// backend's empty preferences (HttpServer::GetExistingPreferences), so
// that the frontend does not run its version-1 upgrade on them.
var defaultPreferences = json.RawMessage(`{"version":2}`)

// errBadStored marks a stored preferences value that is not a JSON
// object (a corrupt database value).
var errBadStored = errors.New("stored preferences are not a JSON object")

func (a *api) getPreferences(w http.ResponseWriter, r *http.Request) {
	prefs, err := a.db.Preferences(a.srv.owner(r))
	if err != nil {
		a.replyStoreError(w, r, err)
		return
	}
	if prefs == nil {
		reply(w, map[string]any{"preferences": defaultPreferences})
		return
	}
	if _, err := parseObject(prefs); err != nil {
		// The frontend then alerts that the preferences are malformed and
		// uses its defaults; the next PUT starts them afresh.
		a.replyStoreError(w, r, fmt.Errorf("%w: %v", errBadStored, err))
		return
	}
	reply(w, map[string]any{"preferences": json.RawMessage(prefs)})
}

func (a *api) putPreferences(w http.ResponseWriter, r *http.Request) {
	body, err := readBody(w, r, maxPreferencesBody)
	if err == nil {
		var update map[string]json.RawMessage
		if update, err = parsePreferences(body); err != nil {
			err = badBody(err)
		} else {
			err = a.mergePreferences(r, func(cur map[string]json.RawMessage) {
				for k, v := range update {
					cur[k] = v
				}
			})
		}
	}
	a.replyWrite(w, r, err)
}

func (a *api) deletePreferences(w http.ResponseWriter, r *http.Request) {
	body, err := readBody(w, r, maxPreferencesBody)
	if err == nil {
		var keys []string
		if keys, err = parseKeys(body); err != nil {
			err = badBody(err)
		} else {
			// Deleting keys that are not stored succeeds, as in the
			// reference: the frontend clears keys it found invalid.
			err = a.mergePreferences(r, func(cur map[string]json.RawMessage) {
				for _, k := range keys {
					delete(cur, k)
				}
			})
		}
	}
	a.replyWrite(w, r, err)
}

// errPrefsTooLarge marks merged preferences over maxPreferencesStored.
var errPrefsTooLarge = fmt.Errorf("%w: preferences would exceed %d bytes", errBodyTooLarge, maxPreferencesStored)

// mergePreferences changes the owner's preferences with change in one
// transaction. Stored preferences that do not decode are replaced.
func (a *api) mergePreferences(r *http.Request, change func(map[string]json.RawMessage)) error {
	owner := a.srv.owner(r)
	return a.db.UpdatePreferences(owner, func(stored []byte) ([]byte, error) {
		cur := map[string]json.RawMessage{}
		if stored != nil {
			if obj, err := parseObject(stored); err == nil {
				cur = obj
			} else {
				a.srv.log.Warn("replacing stored preferences that do not decode", "err", err)
			}
		}
		change(cur)
		next, err := json.Marshal(cur)
		if err != nil {
			return nil, err
		}
		if len(next) > maxPreferencesStored {
			return nil, errPrefsTooLarge
		}
		return next, nil
	})
}

// replyWrite answers a write: success, a refused body, or a store error.
func (a *api) replyWrite(w http.ResponseWriter, r *http.Request, err error) {
	var bad *bodyError
	switch {
	case err == nil:
		reply(w, nil)
	case errors.Is(err, errBodyTooLarge), errors.As(err, &bad):
		replyBodyError(w, err)
	default:
		a.replyStoreError(w, r, err)
	}
}

// bodyError marks a body refused by validation (400).
type bodyError struct{ err error }

func (e *bodyError) Error() string { return e.err.Error() }
func (e *bodyError) Unwrap() error { return e.err }

// badBody wraps a validation error as a bodyError.
func badBody(err error) error {
	if err == nil || errors.Is(err, errBodyTooLarge) {
		return err
	}
	return &bodyError{err}
}

func (a *api) getObjects(kind store.Kind) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		objs, err := a.db.Objects(a.srv.owner(r), kind)
		if err != nil {
			a.replyStoreError(w, r, err)
			return
		}
		out := make(map[string]json.RawMessage, len(objs))
		for name, v := range objs {
			if !json.Valid(v) {
				a.srv.log.Warn("skipping a stored object that does not decode", "kind", kind, "name", name)
				continue
			}
			out[name] = v
		}
		reply(w, map[string]any{string(kind): out})
	}
}

// singular is the frontend's field prefix for a kind: "layout", "snippet".
func singular(kind store.Kind) string { return string(kind[:len(kind)-1]) }

func limitOf(kind store.Kind) int {
	if kind == store.Layouts {
		return maxLayouts
	}
	return maxSnippets
}

func (a *api) putObject(kind store.Kind) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		body, err := readBody(w, r, maxObjectBody)
		if err == nil {
			var name string
			var value []byte
			if name, value, err = parseNamed(body, singular(kind)); err != nil {
				err = badBody(err)
			} else {
				err = a.db.PutObject(a.srv.owner(r), kind, name, value, limitOf(kind))
			}
		}
		a.replyWrite(w, r, err)
	}
}

func (a *api) deleteObject(kind store.Kind) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		body, err := readBody(w, r, maxPreferencesBody)
		if err == nil {
			var name string
			if name, err = parseName(body, singular(kind)); err != nil {
				err = badBody(err)
			} else {
				err = a.db.DeleteObject(a.srv.owner(r), kind, name)
			}
		}
		a.replyWrite(w, r, err)
	}
}
