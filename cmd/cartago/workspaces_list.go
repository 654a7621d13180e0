package main

import (
	"encoding/json"
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/urfave/cli/v2"

	"cartago/store"
)

func workspacesListCommand() *cli.Command {
	return &cli.Command{
		Name:  "list",
		Usage: "list owners with their preferences, layouts, snippets and saved workspaces",
		Flags: []cli.Flag{
			dbFlag(),
			&cli.BoolFlag{Name: "json", Usage: "print a JSON array instead of tables"},
		},
		Action: workspacesListAction,
	}
}

// ownerRow is one owner in `workspaces list`.
type ownerRow struct {
	Owner            string                `json:"owner"` // hex, or "local"
	PreferencesBytes int                   `json:"preferences_bytes"`
	Layouts          int                   `json:"layouts"`
	Snippets         int                   `json:"snippets"`
	Workspaces       []store.WorkspaceInfo `json:"workspaces"`
}

func workspacesListAction(c *cli.Context) error {
	if c.NArg() > 0 {
		return fmt.Errorf("list takes no arguments; for one owner use `cartago workspaces show OWNER`")
	}
	return withUserData(c.Context, c.String("db"), false, func(d userData) error {
		rows, err := d.owners(c.Context)
		if err != nil && len(rows) == 0 {
			return err
		}
		if c.Bool("json") {
			enc := json.NewEncoder(c.App.Writer)
			enc.SetIndent("", "  ")
			if e := enc.Encode(rows); e != nil {
				return e
			}
		} else if e := writeOwnerTables(c.App.Writer, rows); e != nil {
			return e
		}
		return err // entries that did not decode, after the others
	})
}

// ownerRows summarizes every owner, with their workspaces newest first.
func ownerRows(db *store.Store) ([]ownerRow, error) {
	owners, err := db.UserDataOwners()
	if err != nil {
		return nil, err
	}
	rows := []ownerRow{}
	var bad error
	for _, o := range owners {
		ws, err := db.Workspaces(o.Owner)
		if err != nil {
			bad = err
		}
		if ws == nil {
			ws = []store.WorkspaceInfo{}
		}
		rows = append(rows, ownerRow{Owner: ownerName(o.Owner), PreferencesBytes: o.PreferencesBytes,
			Layouts: o.Layouts, Snippets: o.Snippets, Workspaces: ws})
	}
	return rows, bad
}

// writeOwnerTables prints the owners, then their workspaces.
func writeOwnerTables(w io.Writer, rows []ownerRow) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "OWNER\tPREFERENCES\tLAYOUTS\tSNIPPETS\tWORKSPACES")
	for _, r := range rows {
		fmt.Fprintf(tw, "%s\t%d bytes\t%d\t%d\t%d\n", shortOwner(r.Owner), r.PreferencesBytes, r.Layouts, r.Snippets, len(r.Workspaces))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(w)
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "OWNER\tWORKSPACE\tSAVED\tSIZE\tSHARED")
	for _, r := range rows {
		for _, ws := range r.Workspaces {
			shared := "no"
			if ws.ShareKey != "" {
				shared = "yes"
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\n", shortOwner(r.Owner), ws.Name, rfc3339(ws.Date), ws.Size, shared)
		}
	}
	return tw.Flush()
}
