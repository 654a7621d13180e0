package main

import (
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/urfave/cli/v2"

	"cartago/store"
)

func workspacesCommand() *cli.Command {
	return &cli.Command{
		Name:  "workspaces",
		Usage: "list, show and purge what the frontend keeps per user: workspaces, preferences, layouts, snippets",
		Description: "The frontend stores these through the server's HTTP API, per owner (the hash of the access " +
			"token; \"local\" on a server without access control). An owner is named by a prefix of its hex hash " +
			"as `list` prints it. Auto-saved sessions, which the frontend also offers as workspaces, are managed " +
			"with `cartago sessions`. These commands open the database file, so they need the server stopped.",
		Subcommands: []*cli.Command{workspacesListCommand(), workspacesShowCommand(), workspacesPurgeCommand()},
	}
}

// localOwner names the owner of a server without access control.
const localOwner = "local"

// ownerName is how the commands print an owner: hex, or "local".
func ownerName(owner []byte) string {
	if len(owner) == 0 {
		return localOwner
	}
	return hex.EncodeToString(owner)
}

// withUserData runs fn on the database at dbPath, read-only unless write.
// A running server holds the file; the user data commands then say so
// rather than wait.
func withUserData(dbPath string, write bool, fn func(db *store.Store) error) error {
	if _, err := os.Stat(dbPath); err != nil {
		return &store.Error{Path: dbPath, Err: err, Hint: "no session database there; check --db or CARTAGO_DB"}
	}
	db, err := store.Open(dbPath, store.Options{ReadOnly: !write, LockTimeout: dbLockTimeout})
	if errors.Is(err, store.ErrLocked) {
		return fmt.Errorf("%w: stop the server first (the workspaces commands read the file itself)", err)
	}
	if err != nil {
		return err
	}
	defer db.Close()
	return fn(db)
}

// findOwner resolves an owner argument: "local", or a unique prefix of
// an owner's hex hash among those with user data.
func findOwner(db *store.Store, arg string) ([]byte, error) {
	owners, err := db.UserDataOwners()
	if err != nil {
		return nil, err
	}
	arg = strings.ToLower(arg)
	var match [][]byte
	for _, o := range owners {
		name := ownerName(o.Owner)
		if name == arg || (arg != localOwner && len(arg) >= 4 && strings.HasPrefix(name, arg)) {
			match = append(match, o.Owner)
		}
	}
	switch len(match) {
	case 1:
		return match[0], nil
	case 0:
		return nil, fmt.Errorf("no owner %q has user data (see `cartago workspaces list`; a prefix needs 4 hex digits)", arg)
	}
	return nil, fmt.Errorf("owner prefix %q is ambiguous: %d owners match", arg, len(match))
}

// ownerArg is the OWNER argument of show and purge.
func ownerArg(c *cli.Context) (string, error) {
	if c.NArg() == 0 {
		return "", fmt.Errorf("%s needs an OWNER argument (see `cartago workspaces list`)", c.Command.Name)
	}
	return c.Args().First(), nil
}
