package main

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/urfave/cli/v2"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	"cartago/session"
	"cartago/store"
)

// maxImportFile bounds the file `sessions import` reads: a snapshot holds
// paths, regions and requirements, never image data; the largest state
// the frontend can build is about 24 MiB (ws.DefaultMaxMessageSize).
const maxImportFile = 64 << 20

func sessionsImportCommand() *cli.Command {
	return &cli.Command{
		Name:      "import",
		Usage:     "store a session exported with `sessions export` (from this or another server)",
		ArgsUsage: "FILE",
		Description: "FILE is the JSON or --binary output of `cartago sessions export`. The session keeps its id; " +
			"an id already stored or live is refused unless --replace, which ends a live session first. " +
			"The owner stays as exported unless --owner. A file written by a newer cartago is refused. " +
			"The session counts as active now, so --session-ttl starts again.",
		Flags: []cli.Flag{
			dbFlag(),
			&cli.BoolFlag{Name: "replace", Usage: "replace a session stored (or live) under the same id"},
			&cli.StringFlag{Name: "owner", Usage: "store the session for `OWNER`: the 64 hex digits of an owner as `sessions list --json` " +
				"shows them (the SHA-256 of the token its user connects with), or \"local\" for a server without access control"},
		},
		Action: sessionsImportAction,
	}
}

// importRequest is the admin socket's request body for /v1/import.
type importRequest struct {
	Snapshot []byte `json:"snapshot"` // protobuf, base64 in JSON
	Replace  bool   `json:"replace,omitempty"`
}

// importResult says what an import did.
type importResult struct {
	Replaced bool `json:"replaced,omitempty"` // a stored session was overwritten
	Ended    bool `json:"ended,omitempty"`    // a live session was closed first
}

// errImportCollision is the refusal of an id already in use.
var errImportCollision = errors.New("already in use")

func sessionsImportAction(c *cli.Context) error {
	if c.NArg() != 1 {
		return errors.New("import needs one FILE argument (written by `cartago sessions export`)")
	}
	name := c.Args().First()
	snap, err := readSnapshotFile(name)
	if err != nil {
		return err
	}
	if c.IsSet("owner") {
		if snap.Owner, err = parseOwner(c.String("owner")); err != nil {
			return err
		}
	}
	snap.LastActiveUnixMs = time.Now().UnixMilli()
	var res importResult
	var where string
	err = withSessionData(c.Context, c.String("db"), true, func(d sessionData) error {
		where = d.where()
		res, err = d.importSnapshot(c.Context, snap, c.Bool("replace"))
		return err
	})
	if errors.Is(err, errImportCollision) || isCollision(err) {
		return fmt.Errorf("session %d is already in %s; use --replace to overwrite it (a live one is ended first)", snap.SessionId, where)
	}
	if err != nil {
		return err
	}
	msg := fmt.Sprintf("imported session %d from %s into %s", snap.SessionId, name, where)
	switch {
	case res.Ended:
		msg += ", ending the live session it replaces"
	case res.Replaced:
		msg += ", replacing the stored one"
	}
	_, err = fmt.Fprintln(c.App.Writer, msg)
	return err
}

// readSnapshotFile reads what `sessions export` wrote: protojson, or the
// protobuf bytes with --binary. The version is checked before the rest,
// so a newer file is refused as newer rather than as malformed.
func readSnapshotFile(name string) (*store.Snapshot, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxImportFile+1))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if len(data) > maxImportFile {
		return nil, fmt.Errorf("%s: larger than %d MiB; not a session export", name, maxImportFile>>20)
	}
	snap, err := decodeExport(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return snap, nil
}

func decodeExport(data []byte) (*store.Snapshot, error) {
	var snap store.Snapshot
	if t := bytes.TrimLeft(data, " \t\r\n"); len(t) > 0 && t[0] == '{' {
		var head struct {
			Version uint32 `json:"version"`
		}
		if err := json.Unmarshal(data, &head); err != nil {
			return nil, fmt.Errorf("not a session export (JSON): %w", err)
		}
		if err := checkVersion(head.Version); err != nil {
			return nil, err
		}
		if err := protojson.Unmarshal(data, &snap); err != nil {
			return nil, fmt.Errorf("not a session export (JSON): %w", err)
		}
	} else {
		if err := proto.Unmarshal(data, &snap); err != nil {
			return nil, fmt.Errorf("not a session export (neither JSON nor protobuf): %w", err)
		}
		if err := checkVersion(snap.Version); err != nil {
			return nil, err
		}
	}
	switch {
	case snap.SessionId == 0:
		return nil, errors.New("not a session export: no session id")
	case len(snap.Owner) != 0 && len(snap.Owner) != 32:
		return nil, fmt.Errorf("not a session export: owner of %d bytes, want a 32-byte hash", len(snap.Owner))
	}
	return &snap, nil
}

func checkVersion(v uint32) error {
	if v > store.SnapshotVersion {
		return fmt.Errorf("%w: written by a newer cartago (snapshot version %d; this one reads up to %d); import it with that version",
			store.ErrSchemaNewer, v, store.SnapshotVersion)
	}
	return nil
}

// parseOwner parses --owner: 64 hex digits, or "local" (no owner).
func parseOwner(s string) ([]byte, error) {
	if s == localOwner {
		return nil, nil
	}
	b, err := hex.DecodeString(s)
	if err != nil || len(b) != 32 {
		return nil, fmt.Errorf("--owner %q: want 64 hex digits (see `cartago sessions list --json`) or %q", s, localOwner)
	}
	return b, nil
}

// storeImported puts snap in tx, refusing an id in use unless replace;
// live reports the running server's sessions (none offline).
func storeImported(tx *store.Tx, snap *store.Snapshot, replace bool, live func(uint32) bool) (importResult, error) {
	var res importResult
	switch {
	case live(snap.SessionId):
		// Only after the live session was ended: its checkpoints would
		// overwrite the import.
		return res, fmt.Errorf("session %d: %w (live)", snap.SessionId, errImportCollision)
	case tx.Has(snap.SessionId) && !replace:
		return res, fmt.Errorf("session %d: %w", snap.SessionId, errImportCollision)
	case tx.Has(snap.SessionId):
		res.Replaced = true
	}
	return res, tx.Put(snap)
}

func (o offlineData) importSnapshot(_ context.Context, snap *store.Snapshot, replace bool) (importResult, error) {
	var res importResult
	err := o.db.Update(func(tx *store.Tx) error {
		var err error
		res, err = storeImported(tx, snap, replace, func(uint32) bool { return false })
		return err
	})
	return res, err
}

// importServed stores snap through the checkpoint writer of a running
// server, its database's only writer. With replace, a live session of
// the same id is ended first, in a purge of its own: a session that
// registers again in between makes the import fail rather than be lost.
func importServed(ctx context.Context, mgr *session.Manager, snap *store.Snapshot, replace bool) (importResult, error) {
	var res importResult
	if replace && isLive(mgr, snap.SessionId) {
		ended, err := mgr.Purge(ctx, importReason, func(_ *store.Tx, live func(uint32) bool) ([]uint32, error) {
			if live(snap.SessionId) {
				return []uint32{snap.SessionId}, nil
			}
			return nil, nil
		})
		if err != nil {
			return res, fmt.Errorf("import: ending live session %d: %w", snap.SessionId, err)
		}
		res.Ended = len(ended) > 0
	}
	_, err := mgr.Purge(ctx, importReason, func(tx *store.Tx, live func(uint32) bool) ([]uint32, error) {
		r, err := storeImported(tx, snap, replace, live)
		res.Replaced = r.Replaced
		return nil, err // nothing to delete
	})
	return res, err
}

// importReason closes the socket of a live session an import replaces.
const importReason = "session replaced by an imported one by the administrator"

func (c *adminClient) importSnapshot(ctx context.Context, snap *store.Snapshot, replace bool) (importResult, error) {
	data, err := marshalSnapshot(snap)
	if err != nil {
		return importResult{}, err
	}
	var res importResult
	err = c.call(ctx, "POST", "/v1/import", importRequest{Snapshot: data, Replace: replace}, &res)
	return res, err
}

// isCollision recognizes the admin socket's refusal of an id in use.
func isCollision(err error) bool {
	var ae *adminError
	return errors.As(err, &ae) && ae.Status == 409
}
