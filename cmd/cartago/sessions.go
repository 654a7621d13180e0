package main

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"maps"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"cartago/store"
)

// dbLockTimeout is how long the admin commands wait for the database
// file before concluding that a server holds it. Short: when a server
// runs, the admin socket answers instead.
const dbLockTimeout = 200 * time.Millisecond

func sessionsCommand() *cli.Command {
	return &cli.Command{
		Name:  "sessions",
		Usage: "list, show, purge, export and import stored sessions (while a server runs too)",
		Description: "The commands read the session database directly when no server uses it. " +
			"While `cartago serve` runs on the database they go through its admin socket (<db>.sock), " +
			"so they see live sessions and a purge ends them.",
		Subcommands: []*cli.Command{
			sessionsListCommand(), sessionsShowCommand(), sessionsPurgeCommand(), sessionsExportCommand(),
			sessionsImportCommand(),
		},
	}
}

// dbFlag is serve's --db flag: same default and environment variable.
func dbFlag() cli.Flag {
	return &cli.StringFlag{Name: "db", Value: defaultDBPath(), Usage: "session database (bbolt file)", EnvVars: envVar("DB")}
}

// sessionRow is one line of `sessions list`, and the admin socket's
// wire form of a session summary.
type sessionRow struct {
	ID         uint32    `json:"id"`
	Owner      string    `json:"owner,omitempty"` // hex SHA-256 of the access token
	Created    time.Time `json:"created,omitzero"`
	LastActive time.Time `json:"last_active,omitzero"`
	Live       bool      `json:"live"`           // held in memory by a running server
	Stored     bool      `json:"stored"`         // has a snapshot in the database
	Node       string    `json:"node,omitempty"` // the node serving a live session (etcd)
	Images     int       `json:"images"`
	Regions    int       `json:"regions"`
}

// rowOf summarizes a stored snapshot.
func rowOf(snap *store.Snapshot) sessionRow {
	r := sessionRow{ID: snap.SessionId, Owner: hex.EncodeToString(snap.Owner), Stored: true, Images: len(snap.Images)}
	if snap.CreatedUnixMs != 0 {
		r.Created = time.UnixMilli(snap.CreatedUnixMs).UTC()
	}
	if snap.LastActiveUnixMs != 0 {
		r.LastActive = time.UnixMilli(snap.LastActiveUnixMs).UTC()
	}
	for _, img := range snap.Images {
		r.Regions += len(img.Regions)
	}
	return r
}

// sessionRows merges stored snapshots with the ids of live sessions,
// ordered by id. Live sessions without a checkpoint yet get a row too.
func sessionRows(snaps []*store.Snapshot, live []uint32) []sessionRow {
	rows := make([]sessionRow, 0, len(snaps))
	for _, s := range snaps {
		rows = append(rows, rowOf(s))
	}
	slices.SortFunc(rows, func(a, b sessionRow) int { return cmpID(a.ID, b.ID) })
	for _, id := range live {
		i, found := slices.BinarySearchFunc(rows, id, func(r sessionRow, id uint32) int { return cmpID(r.ID, id) })
		if !found {
			rows = slices.Insert(rows, i, sessionRow{ID: id})
		}
		rows[i].Live = true
	}
	return rows
}

func cmpID(a, b uint32) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// state is the STATE column: "live" only a running server can tell.
func (r sessionRow) state() string {
	if r.Live && r.Node != "" {
		return "live on " + r.Node
	}
	if r.Live {
		return "live"
	}
	return "stored"
}

// sessionData is how the admin commands reach a database: directly when
// no server holds it, else through the admin socket of the server that
// does. Each method is one short operation.
type sessionData interface {
	list(ctx context.Context) ([]sessionRow, error)
	// get returns the stored snapshot (nil for a live session not yet
	// checkpointed) and whether the session is live; an unknown id is
	// store.ErrNotFound.
	get(ctx context.Context, id uint32) (*store.Snapshot, bool, error)
	// purge ends and deletes what req selects.
	purge(ctx context.Context, req purgeRequest) (purgeResult, error)
	// importSnapshot stores snap, refusing an id in use unless replace
	// (sessions_import.go).
	importSnapshot(ctx context.Context, snap *store.Snapshot, replace bool) (importResult, error)
	// where says how the data was reached, for messages.
	where() string
}

// withSessionData runs fn against the database at dbPath. A running
// server's admin socket is preferred, so the CLI never waits for a lock
// the server holds; otherwise the file is opened (read-only unless
// write) and closed again when fn returns. It fails within a few
// seconds, never hangs, when the file is locked and no socket answers.
func withSessionData(ctx context.Context, dbPath string, write bool, fn func(sessionData) error) error {
	if storeFrom(ctx).etcd { // etcd serves many clients: no socket, no lock
		db, err := openStore(ctx, dbPath, store.Options{ReadOnly: !write})
		if err != nil {
			return err
		}
		defer db.Close()
		return fn(offlineData{db})
	}
	sock := adminSocketPath(dbPath)
	client, pingErr := dialAdmin(ctx, sock)
	if pingErr == nil {
		defer client.close()
		return fn(client)
	}
	if _, err := os.Stat(dbPath); err != nil {
		return &store.Error{Path: dbPath, Err: err, Hint: "no session database there; check --db or CARTAGO_DB"}
	}
	db, err := store.Open(dbPath, store.Options{ReadOnly: !write, LockTimeout: dbLockTimeout})
	if errors.Is(err, store.ErrLocked) {
		// A server may have started a moment ago; ask its socket once
		// more unless it already failed by timing out.
		if !isTimeout(pingErr) {
			if client, pingErr = dialAdmin(ctx, sock); pingErr == nil {
				defer client.close()
				return fn(client)
			}
		}
		return &lockedError{db: dbPath, sock: sock, cause: pingErr}
	}
	if err != nil {
		return err
	}
	defer db.Close()
	return fn(offlineData{db})
}

// lockedError means the database is locked and its admin socket does
// not answer. It matches store.ErrLocked.
type lockedError struct {
	db, sock string
	cause    error // why the socket did not answer
}

func (e *lockedError) Error() string {
	return fmt.Sprintf("database %s is locked by another process and no cartago admin socket answers at %s (%v); "+
		"is the process holding it an older cartago, or stopped?", e.db, e.sock, e.cause)
}

func (e *lockedError) Unwrap() error { return store.ErrLocked }

// offlineData reads and writes a database no server holds.
type offlineData struct{ db *store.Store }

func (o offlineData) where() string { return o.db.Path() }

func (o offlineData) list(context.Context) ([]sessionRow, error) {
	snaps, err := o.db.List()
	holders, herr := o.db.LiveHolders() // etcd: which node serves what
	if errors.Is(herr, store.ErrNoNodes) {
		return sessionRows(snaps, nil), err
	}
	live := slices.Sorted(maps.Keys(holders))
	rows := sessionRows(snaps, live)
	for i := range rows {
		rows[i].Node = holders[rows[i].ID]
	}
	return rows, errors.Join(err, herr)
}

func (o offlineData) get(_ context.Context, id uint32) (*store.Snapshot, bool, error) {
	snap, err := o.db.Get(id)
	return snap, false, err
}

func (o offlineData) purge(_ context.Context, req purgeRequest) (purgeResult, error) {
	holders, err := o.db.LiveHolders()
	if errors.Is(err, store.ErrNoNodes) {
		return purgeStored(o.db, req)
	}
	if err != nil {
		return purgeResult{}, err
	}
	return purgeOnNodes(o.db, req, holders)
}

// parseSessionID parses a session id as the frontend shows it (decimal).
func parseSessionID(s string) (uint32, error) {
	if strings.HasPrefix(s, "-") {
		// urfave/cli stops reading options at the first argument.
		return 0, fmt.Errorf("option %s after a session id: put options before the ids", s)
	}
	id, err := strconv.ParseUint(s, 10, 32)
	if err != nil || id == 0 {
		return 0, fmt.Errorf("%q is not a session id (a positive decimal number below 2^32)", s)
	}
	return uint32(id), nil
}

// oneSessionID is the single ID argument of show and export.
func oneSessionID(c *cli.Context) (uint32, error) {
	var ids []uint32
	for _, a := range c.Args().Slice() {
		id, err := parseSessionID(a)
		if err != nil {
			return 0, err
		}
		ids = append(ids, id)
	}
	if len(ids) != 1 {
		return 0, fmt.Errorf("%s needs one session id argument (see `cartago sessions list`)", c.Command.Name)
	}
	return ids[0], nil
}

// rfc3339 formats t in UTC, or "-" when unknown.
func rfc3339(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format(time.RFC3339)
}
