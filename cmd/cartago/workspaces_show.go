package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/urfave/cli/v2"

	"cartago/store"
)

func workspacesShowCommand() *cli.Command {
	return &cli.Command{
		Name:      "show",
		Usage:     "show an owner's preferences, layouts, snippets and workspaces, or one workspace's JSON",
		ArgsUsage: "OWNER [WORKSPACE]",
		Flags:     []cli.Flag{dbFlag()},
		Action:    workspacesShowAction,
	}
}

func workspacesShowAction(c *cli.Context) error {
	arg, err := ownerArg(c)
	if err != nil {
		return err
	}
	if c.NArg() > 2 {
		return fmt.Errorf("show takes OWNER and at most one WORKSPACE name (quote a name with spaces)")
	}
	return withUserData(c.String("db"), false, func(db *store.Store) error {
		owner, err := findOwner(db, arg)
		if err != nil {
			return err
		}
		if c.NArg() == 2 {
			ws, err := db.Workspace(owner, c.Args().Get(1))
			if err != nil {
				return err
			}
			return writeIndented(c.App.Writer, ws.Data)
		}
		return writeOwner(c.App.Writer, db, owner)
	})
}

// writeOwner prints everything an owner keeps.
func writeOwner(w io.Writer, db *store.Store, owner []byte) error {
	fmt.Fprintf(w, "owner\t%s\n", ownerName(owner))
	prefs, err := db.Preferences(owner)
	if err != nil {
		return err
	}
	fmt.Fprintln(w, "preferences:")
	if prefs == nil {
		fmt.Fprintln(w, "  (none: the frontend's defaults)")
	} else if err := writeIndented(w, prefs); err != nil {
		return err
	}
	for _, kind := range []store.Kind{store.Layouts, store.Snippets} {
		objs, err := db.Objects(owner, kind)
		if err != nil {
			return err
		}
		names := slices.Sorted(func(yield func(string) bool) {
			for n := range objs {
				if !yield(n) {
					return
				}
			}
		})
		fmt.Fprintf(w, "%s: %s\n", kind, strings.Join(quoteAll(names), ", "))
	}
	list, err := db.Workspaces(owner)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "WORKSPACE\tSAVED\tSIZE\tSHARE KEY")
	for _, ws := range list {
		fmt.Fprintf(tw, "%s\t%s\t%d\t%s\n", ws.Name, rfc3339(ws.Date), ws.Size, dashIfEmpty(ws.ShareKey))
	}
	if e := tw.Flush(); e != nil {
		return e
	}
	return err
}

func quoteAll(names []string) []string {
	out := make([]string, 0, len(names))
	for _, n := range names {
		out = append(out, fmt.Sprintf("%q", n))
	}
	if len(out) == 0 {
		return []string{"-"}
	}
	return out
}

// writeIndented prints stored JSON indented, or as it is when it does
// not parse (a corrupt value is shown, not hidden).
func writeIndented(w io.Writer, v []byte) error {
	var buf bytes.Buffer
	if json.Indent(&buf, v, "  ", "  ") != nil {
		buf.Reset()
		buf.Write(v)
	}
	_, err := fmt.Fprintf(w, "  %s\n", buf.Bytes())
	return err
}
