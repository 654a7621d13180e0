package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"text/tabwriter"

	"github.com/urfave/cli/v2"
)

func sessionsListCommand() *cli.Command {
	return &cli.Command{
		Name:  "list",
		Usage: "list stored sessions, and live ones while a server runs",
		Flags: []cli.Flag{
			dbFlag(),
			&cli.BoolFlag{Name: "json", Usage: "print a JSON array instead of a table"},
		},
		Action: sessionsListAction,
	}
}

func sessionsListAction(c *cli.Context) error {
	if c.NArg() > 0 {
		return fmt.Errorf("list takes no arguments; for one session use `cartago sessions show ID`")
	}
	return withSessionData(c.Context, c.String("db"), false, func(d sessionData) error {
		rows, err := d.list(c.Context)
		if err != nil && len(rows) == 0 {
			return err
		}
		if c.Bool("json") {
			if rows == nil {
				rows = []sessionRow{}
			}
			enc := json.NewEncoder(c.App.Writer)
			enc.SetIndent("", "  ")
			if e := enc.Encode(rows); e != nil {
				return e
			}
		} else if e := writeSessionTable(c.App.Writer, rows); e != nil {
			return e
		}
		return err // sessions that did not decode, after the others
	})
}

// writeSessionTable prints rows as an aligned table with a header.
func writeSessionTable(w io.Writer, rows []sessionRow) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tOWNER\tCREATED\tLAST ACTIVE\tSTATE\tIMAGES\tREGIONS")
	for _, r := range rows {
		images, regions := "-", "-" // a live session not checkpointed yet
		if r.Stored {
			images, regions = strconv.Itoa(r.Images), strconv.Itoa(r.Regions)
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\n",
			r.ID, shortOwner(r.Owner), rfc3339(r.Created), rfc3339(r.LastActive), r.state(), images, regions)
	}
	return tw.Flush()
}

// shortOwner is the first 8 hex digits of the owner hash, or "-".
func shortOwner(hexOwner string) string {
	if hexOwner == "" {
		return "-"
	}
	return hexOwner[:min(8, len(hexOwner))]
}
