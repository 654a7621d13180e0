package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/urfave/cli/v2"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	"cartago/store"
)

func sessionsShowCommand() *cli.Command {
	return &cli.Command{
		Name:      "show",
		Usage:     "print one session's snapshot",
		ArgsUsage: "ID",
		Flags: []cli.Flag{
			dbFlag(),
			&cli.BoolFlag{Name: "json", Usage: "print the whole snapshot as protobuf JSON"},
		},
		Action: sessionsShowAction,
	}
}

func sessionsShowAction(c *cli.Context) error {
	id, err := oneSessionID(c)
	if err != nil {
		return err
	}
	return withSessionData(c.Context, c.String("db"), false, func(d sessionData) error {
		snap, live, err := d.get(c.Context, id)
		switch {
		case errors.Is(err, store.ErrNotFound):
			return fmt.Errorf("session %d is not in %s", id, d.where())
		case err != nil:
			return err
		case snap == nil:
			return fmt.Errorf("session %d is live but has no checkpoint yet (it has not changed anything); nothing to show", id)
		case c.Bool("json"):
			b, err := snapshotJSON(snap)
			if err != nil {
				return err
			}
			_, err = c.App.Writer.Write(b)
			return err
		}
		return writeSnapshot(c.App.Writer, snap, live)
	})
}

// snapshotJSON is the protobuf JSON of snap with field names as in
// snapshot.proto, re-indented so the output is byte-stable (protojson
// varies its whitespace on purpose).
func snapshotJSON(snap *store.Snapshot) ([]byte, error) {
	b, err := protojson.MarshalOptions{UseProtoNames: true}.Marshal(snap)
	if err != nil {
		return nil, err
	}
	var out bytes.Buffer
	if err := json.Indent(&out, b, "", "  "); err != nil {
		return nil, err
	}
	out.WriteByte('\n')
	return out.Bytes(), nil
}

// marshalSnapshot is the binary protobuf of snap, stable for one build.
func marshalSnapshot(snap *store.Snapshot) ([]byte, error) {
	return proto.MarshalOptions{Deterministic: true}.Marshal(snap)
}

// writeSnapshot prints a summary of snap and one line per image.
func writeSnapshot(w io.Writer, snap *store.Snapshot, live bool) error {
	r := rowOf(snap)
	r.Live = live
	owner := r.Owner
	if owner == "" {
		owner = "- (server without access control)"
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "session\t%d (%s)\n", r.ID, r.state())
	fmt.Fprintf(tw, "owner\t%s\n", owner)
	fmt.Fprintf(tw, "created\t%s\n", rfc3339(r.Created))
	fmt.Fprintf(tw, "last active\t%s\n", rfc3339(r.LastActive))
	fmt.Fprintf(tw, "images\t%d (%d regions)\n", r.Images, r.Regions)
	for _, cat := range snap.Catalogs {
		fmt.Fprintf(tw, "catalog\t%d: %s\n", cat.FileId, path.Join(cat.Directory, cat.Name))
	}
	if err := tw.Flush(); err != nil || len(snap.Images) == 0 {
		return err
	}
	fmt.Fprintln(w)
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "FILE\tIMAGE\tHDU\tCHANNEL\tSTOKES\tCURSOR\tSPATIAL\tSPECTRAL\tHISTOGRAMS\tREGIONS\tOVERLAYS")
	for _, img := range snap.Images {
		fmt.Fprintf(tw, "%d\t%s\t%s\t%d\t%d\t%s\t%d\t%d\t%s\t%d\t%s\n",
			img.FileId, path.Join(img.Directory, img.File), dashIfEmpty(img.Hdu), img.Channel, img.Stokes,
			cursorString(img), len(img.CursorSpatial), len(img.CursorSpectral), histogramsString(img),
			len(img.Regions), overlaysString(img))
	}
	return tw.Flush()
}

func dashIfEmpty(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func cursorString(img *store.Image) string {
	if img.Cursor == nil {
		return "-"
	}
	return "(" + strconv.FormatFloat(float64(img.Cursor.X), 'g', -1, 32) + "," +
		strconv.FormatFloat(float64(img.Cursor.Y), 'g', -1, 32) + ")"
}

// histogramsString counts the image histograms and marks a cube one.
func histogramsString(img *store.Image) string {
	s := strconv.Itoa(len(img.ImageHistograms))
	if img.CubeHistogram != nil {
		s += "+cube"
	}
	return s
}

// overlaysString names what is drawn over the image.
func overlaysString(img *store.Image) string {
	var o []string
	if img.Contours != nil {
		o = append(o, "contours")
	}
	if img.VectorOverlay != nil {
		o = append(o, "vectors")
	}
	if len(img.StokesFiles) > 0 {
		o = append(o, "stokes-concat")
	}
	if len(o) == 0 {
		return "-"
	}
	return strings.Join(o, ",")
}
