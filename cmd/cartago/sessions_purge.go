package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"cartago/session"
	"cartago/store"
)

func sessionsPurgeCommand() *cli.Command {
	return &cli.Command{
		Name:      "purge",
		Usage:     "delete sessions from the database; live ones are ended first",
		ArgsUsage: "ID... | --older-than DURATION | --all",
		Description: "Purge asks for confirmation unless --yes. A live session (a running server holds it) is " +
			"closed with a reason its frontend shows, its images are released and its snapshot deleted. " +
			"--older-than selects stored sessions last active longer ago and never ends live ones.",
		Flags: []cli.Flag{
			dbFlag(),
			&cli.DurationFlag{Name: "older-than", Usage: "purge sessions last active longer than `DURATION` ago (e.g. 72h)"},
			&cli.BoolFlag{Name: "all", Usage: "purge every session"},
			&cli.BoolFlag{Name: "yes", Aliases: []string{"y"}, Usage: "do not ask for confirmation"},
		},
		Action: sessionsPurgeAction,
	}
}

// purgeReason is the websocket close reason the frontend of a purged
// live session receives.
const purgeReason = "session purged by the administrator"

// purgeRequest asks to end and delete sessions by id; it is also the
// admin socket's request body.
type purgeRequest struct {
	IDs []uint32 `json:"ids"`
	// InactiveBeforeMs, when not 0, limits the purge to those of IDs that
	// are not live and were last active before this Unix ms time, so a
	// session used between listing and purging is kept.
	InactiveBeforeMs int64 `json:"inactive_before_ms,omitempty"`
}

// purgeResult says what a purge did.
type purgeResult struct {
	Purged []uint32 `json:"purged"`          // deleted or ended
	Ended  []uint32 `json:"ended,omitempty"` // were live and were closed
	Kept   []uint32 `json:"kept,omitempty"`  // used again since they were listed
}

// choosePurged decides, inside tx, which of req.IDs to purge; live
// reports the sessions a running server holds (none offline).
func choosePurged(tx *store.Tx, req purgeRequest, live func(id uint32) bool) purgeResult {
	res := purgeResult{Purged: []uint32{}}
	for _, id := range req.IDs {
		stored := tx.Has(id)
		switch {
		case req.InactiveBeforeMs == 0:
			if stored || live(id) {
				res.Purged = append(res.Purged, id)
			}
		case !stored && !live(id): // gone meanwhile
		case live(id):
			res.Kept = append(res.Kept, id)
		default:
			snap, err := tx.Get(id)
			if err != nil || snap.LastActiveUnixMs >= req.InactiveBeforeMs {
				res.Kept = append(res.Kept, id)
			} else {
				res.Purged = append(res.Purged, id)
			}
		}
	}
	return res
}

// purgeStored deletes what req selects from a database no server holds.
func purgeStored(db *store.Store, req purgeRequest) (purgeResult, error) {
	var res purgeResult
	err := db.Update(func(tx *store.Tx) error {
		res = choosePurged(tx, req, func(uint32) bool { return false })
		_, err := tx.Delete(res.Purged...)
		return err
	})
	return res, err
}

// purgeOnNodes deletes what req selects from etcd, where holders are
// the sessions live on some node: those are marked purged, and their
// nodes end them and delete their snapshots again in their own
// checkpoint writers, after which nothing writes them.
func purgeOnNodes(db *store.Store, req purgeRequest, holders map[uint32]string) (purgeResult, error) {
	var res purgeResult
	live := func(id uint32) bool { return holders[id] != "" }
	err := db.Update(func(tx *store.Tx) error {
		res = choosePurged(tx, req, live)
		_, err := tx.Delete(res.Purged...)
		return err
	})
	if err != nil {
		return res, err
	}
	for _, id := range res.Purged {
		if live(id) {
			res.Ended = append(res.Ended, id)
		}
	}
	return res, db.MarkPurged(res.Ended...)
}

// purgeServed ends and deletes what req selects through the manager of
// a running server, whose checkpoint writer is the database's only
// writer: no checkpoint can bring a purged session back.
func purgeServed(ctx context.Context, mgr *session.Manager, req purgeRequest) (purgeResult, error) {
	var res purgeResult
	ended, err := mgr.Purge(ctx, purgeReason, func(tx *store.Tx, live func(uint32) bool) ([]uint32, error) {
		res = choosePurged(tx, req, live)
		return res.Purged, nil
	})
	if err != nil {
		return purgeResult{}, err
	}
	res.Ended = ended
	return res, nil
}

// purgeSelector is what the command line asked to purge: exactly one of
// ids, olderThan or all.
type purgeSelector struct {
	ids       []uint32
	olderThan time.Duration
	all       bool
}

func purgeSelectorFrom(c *cli.Context) (purgeSelector, error) {
	sel := purgeSelector{olderThan: c.Duration("older-than"), all: c.Bool("all")}
	for _, a := range c.Args().Slice() {
		id, err := parseSessionID(a)
		if err != nil {
			return sel, err
		}
		sel.ids = append(sel.ids, id)
	}
	n := 0
	for _, given := range []bool{len(sel.ids) > 0, c.IsSet("older-than"), sel.all} {
		if given {
			n++
		}
	}
	switch {
	case n == 0:
		return sel, errors.New("purge needs session ids, --older-than DURATION or --all")
	case n > 1:
		return sel, errors.New("give session ids, --older-than or --all, not several of them")
	case c.IsSet("older-than") && sel.olderThan <= 0:
		return sel, errors.New("--older-than must be a positive duration such as 72h")
	}
	return sel, nil
}

// choose picks the sessions to purge among rows, as of now.
func (sel purgeSelector) choose(rows []sessionRow, now time.Time, where string) (purgeRequest, []sessionRow, error) {
	var req purgeRequest
	var chosen []sessionRow
	switch {
	case sel.all:
		chosen = rows
	case sel.olderThan > 0:
		cutoff := now.Add(-sel.olderThan)
		req.InactiveBeforeMs = cutoff.UnixMilli()
		for _, r := range rows {
			if r.Stored && !r.Live && r.LastActive.Before(cutoff) {
				chosen = append(chosen, r)
			}
		}
	default:
		byID := make(map[uint32]sessionRow, len(rows))
		for _, r := range rows {
			byID[r.ID] = r
		}
		var missing []string
		for _, id := range sel.ids {
			if r, ok := byID[id]; ok {
				chosen = append(chosen, r)
				delete(byID, id) // an id given twice is purged once
			} else if !containsRow(chosen, id) {
				missing = append(missing, strconv.FormatUint(uint64(id), 10))
			}
		}
		if len(missing) > 0 {
			return req, nil, fmt.Errorf("no session %s in %s; nothing purged", strings.Join(missing, ", "), where)
		}
	}
	for _, r := range chosen {
		req.IDs = append(req.IDs, r.ID)
	}
	return req, chosen, nil
}

func containsRow(rows []sessionRow, id uint32) bool {
	for _, r := range rows {
		if r.ID == id {
			return true
		}
	}
	return false
}

func sessionsPurgeAction(c *cli.Context) error {
	sel, err := purgeSelectorFrom(c)
	if err != nil {
		return err
	}
	dbPath := c.String("db")
	var rows []sessionRow
	var where string
	// Listing and purging are separate visits, so the database is not
	// held while the question waits for an answer.
	err = withSessionData(c.Context, dbPath, false, func(d sessionData) error {
		var err error
		rows, err = d.list(c.Context)
		where = d.where()
		if err != nil && len(rows) > 0 { // unreadable values: purge the others
			fmt.Fprintln(c.App.ErrWriter, "cartago: warning:", err)
			err = nil
		}
		return err
	})
	if err != nil {
		return err
	}
	req, chosen, err := sel.choose(rows, time.Now(), where)
	if err != nil {
		return err
	}
	if len(chosen) == 0 {
		_, err := fmt.Fprintln(c.App.Writer, "no sessions match; nothing purged")
		return err
	}
	if !c.Bool("yes") && !confirmPurge(c.App.Reader, c.App.Writer, chosen) {
		return errors.New("not confirmed; nothing purged")
	}
	var res purgeResult
	err = withSessionData(c.Context, dbPath, true, func(d sessionData) error {
		var err error
		res, err = d.purge(c.Context, req)
		return err
	})
	if err != nil {
		return err
	}
	return reportPurge(c.App.Writer, res)
}

// confirmPurge shows what would go and asks; only y or yes agrees.
func confirmPurge(in io.Reader, out io.Writer, chosen []sessionRow) bool {
	var ids, live []string
	for _, r := range chosen {
		id := strconv.FormatUint(uint64(r.ID), 10)
		ids = append(ids, id)
		if r.Live {
			live = append(live, id)
		}
	}
	if len(ids) <= 20 {
		fmt.Fprintf(out, "sessions: %s\n", strings.Join(ids, " "))
	}
	if len(live) > 0 {
		fmt.Fprintf(out, "live, will be closed: %s\n", strings.Join(live, " "))
	}
	fmt.Fprintf(out, "Purge %s? [y/N] ", plural(len(chosen), "session"))
	answer, _ := bufio.NewReader(in).ReadString('\n')
	switch strings.ToLower(strings.TrimSpace(answer)) {
	case "y", "yes":
		return true
	}
	if !strings.HasSuffix(answer, "\n") {
		fmt.Fprintln(out) // end the question's line
	}
	return false
}

func reportPurge(w io.Writer, res purgeResult) error {
	fmt.Fprintf(w, "purged %s", plural(len(res.Purged), "session"))
	if len(res.Ended) > 0 {
		fmt.Fprintf(w, "; ended %d live: %s", len(res.Ended), joinIDs(res.Ended))
	}
	if len(res.Kept) > 0 {
		fmt.Fprintf(w, "; kept %d used since listed: %s", len(res.Kept), joinIDs(res.Kept))
	}
	_, err := fmt.Fprintln(w)
	return err
}

func joinIDs(ids []uint32) string {
	s := make([]string, len(ids))
	for i, id := range ids {
		s[i] = strconv.FormatUint(uint64(id), 10)
	}
	return strings.Join(s, " ")
}

func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return strconv.Itoa(n) + " " + noun + "s"
}
