package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"cartago/store"
)

// The admin socket's user data calls, for `cartago workspaces` while a
// server holds the database:
//
//	GET  /v1/userdata                        []ownerRow
//	GET  /v1/userdata/{owner}                ownerDetail
//	GET  /v1/userdata/{owner}/workspaces/{name}  the workspace JSON
//	POST /v1/userdata/purge                  userPurge -> userPurgeResult
//
// They use the server's open store directly: user data is not part of
// the sessions the checkpoint writer owns.
func registerUserDataRoutes(mux *http.ServeMux, db *store.Store) {
	d := offlineUserData{db}
	mux.HandleFunc("GET /v1/userdata", func(w http.ResponseWriter, r *http.Request) {
		rows, err := d.owners(r.Context())
		if len(rows) > 0 {
			err = nil // entries that did not decode: list the others
		}
		replyAdmin(w, rows, err)
	})
	mux.HandleFunc("GET /v1/userdata/{owner}", func(w http.ResponseWriter, r *http.Request) {
		owner, err := parseOwnerName(r.PathValue("owner"))
		var detail ownerDetail
		if err == nil {
			detail, err = d.detail(r.Context(), owner)
		}
		replyAdmin(w, detail, err)
	})
	mux.HandleFunc("GET /v1/userdata/{owner}/workspaces/{name}", func(w http.ResponseWriter, r *http.Request) {
		owner, err := parseOwnerName(r.PathValue("owner"))
		var data []byte
		if err == nil {
			data, err = d.workspace(r.Context(), owner, r.PathValue("name"))
		}
		if err == nil && !json.Valid(data) {
			err = fmt.Errorf("workspace %q: %w: not JSON", r.PathValue("name"), store.ErrCorrupt)
		}
		replyAdmin(w, json.RawMessage(data), err)
	})
	mux.HandleFunc("POST /v1/userdata/purge", func(w http.ResponseWriter, r *http.Request) {
		var req userPurge
		if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20)).Decode(&req); err != nil {
			writeError(w, http.StatusBadRequest, fmt.Errorf("purge request: %w", err))
			return
		}
		res, err := d.purge(r.Context(), req)
		replyAdmin(w, res, err)
	})
}

// replyAdmin answers v, or err: 404 for an unknown entry.
func replyAdmin(w http.ResponseWriter, v any, err error) {
	switch {
	case err == nil:
		writeJSON(w, http.StatusOK, v)
	case errors.Is(err, store.ErrNoEntry):
		writeError(w, http.StatusNotFound, err)
	default:
		writeError(w, http.StatusInternalServerError, err)
	}
}
