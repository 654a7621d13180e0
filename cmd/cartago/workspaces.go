package main

import (
	"context"
	"encoding/hex"
	"fmt"
	"strings"

	"github.com/urfave/cli/v2"
)

func workspacesCommand() *cli.Command {
	return &cli.Command{
		Name:  "workspaces",
		Usage: "list, show and purge what the frontend keeps per user: workspaces, preferences, layouts, snippets",
		Description: "The frontend stores these through the server's HTTP API, per owner (the hash of the access " +
			"token; \"local\" on a server without access control). An owner is named by a prefix of its hex hash " +
			"as `list` prints it. Auto-saved sessions, which the frontend also offers as workspaces, are managed " +
			"with `cartago sessions`. Like `cartago sessions` they go through the admin socket of a server running on the database.",
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

// findOwner resolves an owner argument: "local", or a unique prefix of
// an owner's hex hash among those with user data.
func findOwner(ctx context.Context, d userData, arg string) ([]byte, error) {
	owners, err := d.owners(ctx)
	if err != nil && len(owners) == 0 {
		return nil, err
	}
	arg = strings.ToLower(arg)
	var match []string
	for _, o := range owners {
		if o.Owner == arg || (arg != localOwner && len(arg) >= 4 && strings.HasPrefix(o.Owner, arg)) {
			match = append(match, o.Owner)
		}
	}
	switch len(match) {
	case 1:
		return parseOwnerName(match[0])
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
