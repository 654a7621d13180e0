package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/urfave/cli/v2"
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
	return withUserData(c.Context, c.String("db"), false, func(d userData) error {
		owner, err := findOwner(c.Context, d, arg)
		if err != nil {
			return err
		}
		if c.NArg() == 2 {
			data, err := d.workspace(c.Context, owner, c.Args().Get(1))
			if err != nil {
				return err
			}
			return writeIndented(c.App.Writer, data)
		}
		detail, err := d.detail(c.Context, owner)
		if err != nil && detail.Workspaces == nil {
			return err
		}
		if e := writeOwner(c.App.Writer, owner, detail); e != nil {
			return e
		}
		return err // workspaces that did not decode, after the others
	})
}

// writeOwner prints everything an owner keeps.
func writeOwner(w io.Writer, owner []byte, d ownerDetail) error {
	fmt.Fprintf(w, "owner\t%s\n", ownerName(owner))
	fmt.Fprintln(w, "preferences:")
	if d.Preferences == nil {
		fmt.Fprintln(w, "  (none: the frontend's defaults)")
	} else if err := writeIndented(w, d.Preferences); err != nil {
		return err
	}
	fmt.Fprintf(w, "layouts: %s\n", strings.Join(quoteAll(d.Layouts), ", "))
	fmt.Fprintf(w, "snippets: %s\n", strings.Join(quoteAll(d.Snippets), ", "))
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "WORKSPACE\tSAVED\tSIZE\tSHARE KEY")
	for _, ws := range d.Workspaces {
		fmt.Fprintf(tw, "%s\t%s\t%d\t%s\n", ws.Name, rfc3339(ws.Date), ws.Size, dashIfEmpty(ws.ShareKey))
	}
	return tw.Flush()
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
