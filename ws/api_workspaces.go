package ws

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"

	"cartago/store"
)

// workspaceItem is one entry of the workspace list; the frontend's
// Workspace dialog shows name and date (unix seconds, "Last modified").
type workspaceItem struct {
	Name string `json:"name"`
	Date int64  `json:"date"`
}

// listWorkspaces lists the owner's saved workspaces and auto-saved
// sessions together, newest first.
func (a *api) listWorkspaces(w http.ResponseWriter, r *http.Request) {
	owner := a.srv.owner(r)
	saved, err := a.db.Workspaces(owner)
	if err != nil && len(saved) == 0 {
		a.replyStoreError(w, r, err)
		return
	} else if err != nil {
		a.srv.log.Warn("workspace list: some entries do not decode", "err", err)
	}
	items := make([]workspaceItem, 0, len(saved))
	for _, s := range saved {
		items = append(items, workspaceItem{Name: s.Name, Date: s.Date.Unix()})
	}
	now := a.now()
	for _, snap := range a.ownerSessions(owner) {
		items = append(items, workspaceItem{Name: sessionName(snap, now), Date: lastActive(snap).Unix()})
	}
	slices.SortStableFunc(items, func(x, y workspaceItem) int { return cmp.Compare(y.Date, x.Date) })
	reply(w, map[string]any{"workspaces": items})
}

// getWorkspace answers a saved workspace by name, or an auto-saved
// session by its list name.
func (a *api) getWorkspace(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	owner := a.srv.owner(r)
	if id, ok := sessionNameID(name); ok {
		a.getSessionWorkspace(w, r, owner, id, name)
		return
	}
	ws, err := a.db.Workspace(owner, name)
	if err != nil {
		a.replyStoreError(w, r, err)
		return
	}
	a.replyWorkspace(w, r, ws, true)
}

// getSharedWorkspace answers a workspace shared under a key, read-only
// unless the caller owns it.
func (a *api) getSharedWorkspace(w http.ResponseWriter, r *http.Request) {
	ws, err := a.db.SharedWorkspace(r.PathValue("key"))
	if err != nil {
		a.replyStoreError(w, r, err)
		return
	}
	a.replyWorkspace(w, r, ws, bytes.Equal(ws.Owner, a.srv.owner(r)))
}

// replyWorkspace answers the stored workspace with the fields the
// frontend keeps as its active workspace: name, and for the owner id
// (which enables the Share button) and editable.
func (a *api) replyWorkspace(w http.ResponseWriter, r *http.Request, ws *store.Workspace, mine bool) {
	obj, err := parseObject(ws.Data)
	if err != nil {
		a.replyStoreError(w, r, fmt.Errorf("workspace %q: %w: %v", ws.Name, store.ErrCorrupt, err))
		return
	}
	obj["name"] = jsonString(ws.Name)
	obj["editable"] = json.RawMessage("false")
	delete(obj, "id")
	if mine {
		obj["id"] = jsonString(ws.ID)
		obj["editable"] = json.RawMessage("true")
	}
	reply(w, map[string]any{"workspace": obj})
}

func jsonString(s string) json.RawMessage {
	b, _ := json.Marshal(s) // a string always encodes
	return b
}

func (a *api) putWorkspace(w http.ResponseWriter, r *http.Request) {
	body, err := readBody(w, r, maxWorkspaceBody)
	if err != nil {
		replyBodyError(w, err)
		return
	}
	name, data, err := parseNamed(body, "workspace")
	if err == nil && isSessionName(name) {
		err = fmt.Errorf("names starting %q are the auto-saved sessions'; choose another name", "Session <number>")
	}
	if err != nil {
		replyBodyError(w, err)
		return
	}
	info, err := a.db.PutWorkspace(a.srv.owner(r), name, data, a.now(),
		store.WorkspaceLimits{Count: maxWorkspaces, Bytes: maxWorkspaceTotal})
	if err != nil {
		a.replyStoreError(w, r, err)
		return
	}
	reply(w, map[string]any{"workspace": map[string]any{
		"id": info.ID, "name": info.Name, "date": info.Date.Unix(), "editable": true,
	}})
}

func (a *api) deleteWorkspace(w http.ResponseWriter, r *http.Request) {
	body, err := readBody(w, r, maxPreferencesBody)
	if err != nil {
		replyBodyError(w, err)
		return
	}
	name, err := parseName(body, "workspace")
	if err == nil && isSessionName(name) {
		err = fmt.Errorf("%q is an auto-saved session; `cartago sessions purge` removes those", name)
	}
	if err != nil {
		replyBodyError(w, err)
		return
	}
	a.replyWrite(w, r, a.db.DeleteWorkspace(a.srv.owner(r), name))
}

// shareWorkspace makes (or repeats) the share key of one of the owner's
// workspaces, by id.
func (a *api) shareWorkspace(w http.ResponseWriter, r *http.Request) {
	key, err := a.db.ShareWorkspace(a.srv.owner(r), r.PathValue("id"))
	if err != nil {
		a.replyStoreError(w, r, err)
		return
	}
	reply(w, map[string]any{"shareKey": key})
}
