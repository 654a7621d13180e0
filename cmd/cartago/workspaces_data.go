package main

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"os"
	"slices"

	"cartago/store"
)

// userData is how the workspaces commands reach the user data of a
// database: through a running server's admin socket, or the file itself.
type userData interface {
	owners(ctx context.Context) ([]ownerRow, error)
	detail(ctx context.Context, owner []byte) (ownerDetail, error)
	workspace(ctx context.Context, owner []byte, name string) ([]byte, error)
	purge(ctx context.Context, req userPurge) (userPurgeResult, error)
}

// ownerDetail is everything one owner keeps but the workspaces' JSON.
type ownerDetail struct {
	Preferences json.RawMessage       `json:"preferences"` // null when none
	Layouts     []string              `json:"layouts"`
	Snippets    []string              `json:"snippets"`
	Workspaces  []store.WorkspaceInfo `json:"workspaces"`
}

// userPurge asks to delete named workspaces, or what Select selects, of
// one owner; it is also the admin socket's request body.
type userPurge struct {
	Owner  string      `json:"owner"` // as ownerName prints it
	Names  []string    `json:"names,omitempty"`
	Select store.Purge `json:"select"`
}

// userPurgeResult says what a purge did.
type userPurgeResult struct {
	Purged  int      `json:"purged"`            // entries deleted
	Missing []string `json:"missing,omitempty"` // named workspaces that were not there
}

// withUserData runs fn against the database at dbPath: through the
// admin socket of a server that holds it, else by opening the file
// (read-only unless write). Like withSessionData it never waits for the
// lock.
func withUserData(ctx context.Context, dbPath string, write bool, fn func(userData) error) error {
	if storeFrom(ctx).etcd { // etcd serves many clients: no socket, no lock
		db, err := openStore(ctx, dbPath, store.Options{ReadOnly: !write})
		if err != nil {
			return err
		}
		defer db.Close()
		return fn(offlineUserData{db})
	}
	sock := adminSocketPath(dbPath)
	if client, err := dialAdmin(ctx, sock); err == nil {
		defer client.close()
		return fn(adminUserData{client})
	}
	if _, err := os.Stat(dbPath); err != nil {
		return &store.Error{Path: dbPath, Err: err, Hint: "no session database there; check --db or CARTAGO_DB"}
	}
	db, err := store.Open(dbPath, store.Options{ReadOnly: !write, LockTimeout: dbLockTimeout})
	if errors.Is(err, store.ErrLocked) {
		return &lockedError{db: dbPath, sock: sock, cause: errors.New("no answer")}
	}
	if err != nil {
		return err
	}
	defer db.Close()
	return fn(offlineUserData{db})
}

// offlineUserData reads and writes the user data of an open database;
// the admin socket serves it too.
type offlineUserData struct{ db *store.Store }

func (o offlineUserData) owners(context.Context) ([]ownerRow, error) { return ownerRows(o.db) }

func (o offlineUserData) detail(_ context.Context, owner []byte) (ownerDetail, error) {
	var d ownerDetail
	var err error
	if d.Preferences, err = o.db.Preferences(owner); err != nil {
		return d, err
	}
	for _, k := range []struct {
		kind store.Kind
		out  *[]string
	}{{store.Layouts, &d.Layouts}, {store.Snippets, &d.Snippets}} {
		objs, err := o.db.Objects(owner, k.kind)
		if err != nil {
			return d, err
		}
		*k.out = slices.Sorted(maps.Keys(objs))
	}
	d.Workspaces, err = o.db.Workspaces(owner)
	return d, err
}

func (o offlineUserData) workspace(_ context.Context, owner []byte, name string) ([]byte, error) {
	ws, err := o.db.Workspace(owner, name)
	if err != nil {
		return nil, err
	}
	return ws.Data, nil
}

func (o offlineUserData) purge(_ context.Context, req userPurge) (userPurgeResult, error) {
	var res userPurgeResult
	owner, err := parseOwnerName(req.Owner)
	if err != nil {
		return res, err
	}
	if len(req.Names) == 0 {
		res.Purged, err = o.db.PurgeUserData(owner, req.Select)
		return res, err
	}
	for _, n := range req.Names {
		switch err := o.db.DeleteWorkspace(owner, n); {
		case errors.Is(err, store.ErrNoEntry):
			res.Missing = append(res.Missing, n)
		case err != nil:
			return res, err
		default:
			res.Purged++
		}
	}
	return res, nil
}

// parseOwnerName is the inverse of ownerName.
func parseOwnerName(s string) ([]byte, error) {
	if s == localOwner {
		return nil, nil
	}
	owner, err := hex.DecodeString(s)
	if err != nil || len(owner) == 0 {
		return nil, fmt.Errorf("owner %q: want hex or %q", s, localOwner)
	}
	return owner, nil
}

// adminUserData reaches the user data through a server's admin socket.
type adminUserData struct{ c *adminClient }

func (a adminUserData) owners(ctx context.Context) ([]ownerRow, error) {
	var rows []ownerRow
	return rows, noEntry(a.c.call(ctx, http.MethodGet, "/v1/userdata", nil, &rows))
}

func (a adminUserData) detail(ctx context.Context, owner []byte) (ownerDetail, error) {
	var d ownerDetail
	return d, noEntry(a.c.call(ctx, http.MethodGet, "/v1/userdata/"+ownerName(owner), nil, &d))
}

func (a adminUserData) workspace(ctx context.Context, owner []byte, name string) ([]byte, error) {
	var raw json.RawMessage
	err := a.c.call(ctx, http.MethodGet, "/v1/userdata/"+ownerName(owner)+"/workspaces/"+url.PathEscape(name), nil, &raw)
	return raw, noEntry(err)
}

func (a adminUserData) purge(ctx context.Context, req userPurge) (userPurgeResult, error) {
	var res userPurgeResult
	return res, noEntry(a.c.call(ctx, http.MethodPost, "/v1/userdata/purge", req, &res))
}

// noEntry makes the admin socket's 404 match store.ErrNoEntry.
func noEntry(err error) error {
	var ae *adminError
	if errors.As(err, &ae) && ae.Status == http.StatusNotFound {
		return fmt.Errorf("%w: %s", store.ErrNoEntry, ae.Msg)
	}
	return err
}
