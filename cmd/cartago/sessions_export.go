package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"

	"github.com/urfave/cli/v2"

	"cartago/store"
)

func sessionsExportCommand() *cli.Command {
	return &cli.Command{
		Name:      "export",
		Usage:     "write one session's snapshot to a file",
		ArgsUsage: "ID",
		Flags: []cli.Flag{
			dbFlag(),
			&cli.StringFlag{Name: "out", Aliases: []string{"o"}, Usage: "`FILE` to write (default session-ID.json, or .pb with --binary)"},
			&cli.BoolFlag{Name: "binary", Usage: "write the protobuf bytes as stored instead of JSON"},
			&cli.BoolFlag{Name: "force", Usage: "overwrite FILE if it exists"},
		},
		Action: sessionsExportAction,
	}
}

func sessionsExportAction(c *cli.Context) error {
	id, err := oneSessionID(c)
	if err != nil {
		return err
	}
	out := c.String("out")
	if out == "" {
		ext := ".json"
		if c.Bool("binary") {
			ext = ".pb"
		}
		out = fmt.Sprintf("session-%d%s", id, ext)
	}
	var data []byte
	err = withSessionData(c.Context, c.String("db"), false, func(d sessionData) error {
		snap, _, err := d.get(c.Context, id)
		switch {
		case errors.Is(err, store.ErrNotFound):
			return fmt.Errorf("session %d is not in %s", id, d.where())
		case err != nil:
			return err
		case snap == nil:
			return fmt.Errorf("session %d is live but has no checkpoint yet; nothing to export", id)
		case c.Bool("binary"):
			data, err = marshalSnapshot(snap)
		default:
			data, err = snapshotJSON(snap)
		}
		return err
	})
	if err != nil {
		return err
	}
	if err := writeNewFile(out, data, c.Bool("force")); err != nil {
		return err
	}
	_, err = fmt.Fprintf(c.App.Writer, "wrote session %d to %s (%d bytes)\n", id, out, len(data))
	return err
}

// writeNewFile writes data to name, refusing to replace an existing file
// unless force.
func writeNewFile(name string, data []byte, force bool) error {
	flags := os.O_WRONLY | os.O_CREATE | os.O_EXCL
	if force {
		flags = os.O_WRONLY | os.O_CREATE | os.O_TRUNC
	}
	f, err := os.OpenFile(name, flags, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("%s exists; use --force to overwrite it or --out to choose another file", name)
	}
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	return errors.Join(err, f.Close())
}
