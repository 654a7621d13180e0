package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"cartago/store"
)

// handleImport answers POST /v1/import (importRequest -> importResult):
// 409 for an id in use without Replace, 400 for a snapshot that is not
// one or is newer than this server.
func (a *adminServer) handleImport(w http.ResponseWriter, r *http.Request) {
	var req importRequest
	// base64 makes the body a third larger than the file.
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxImportFile*2)).Decode(&req); err != nil {
		writeError(w, http.StatusBadRequest, fmt.Errorf("import request: %w", err))
		return
	}
	snap, err := decodeExport(req.Snapshot)
	if err != nil {
		writeError(w, http.StatusBadRequest, err)
		return
	}
	res, err := importServed(r.Context(), a.mgr, snap, req.Replace)
	switch {
	case errors.Is(err, errImportCollision):
		writeError(w, http.StatusConflict, err)
		return
	case errors.Is(err, store.ErrSchemaNewer):
		writeError(w, http.StatusBadRequest, err)
		return
	case err != nil:
		writeError(w, http.StatusInternalServerError, err)
		return
	}
	a.log.Info("session imported", "session", snap.SessionId, "replaced", res.Replaced, "ended", res.Ended)
	writeJSON(w, http.StatusOK, res)
}
