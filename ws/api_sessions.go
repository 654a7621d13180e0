package ws

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"google.golang.org/protobuf/encoding/protowire"

	"cartago/icd"
	"cartago/store"
)

// Auto-saved sessions as workspaces: every stored session of the owner
// with an image to reopen is listed as "Session <id> · 2 images · 3
// regions · 14:02", and reading it synthesises the workspace JSON that
// the frontend's loadWorkspace reads (AppStore.loadWorkspace: files with
// id, directory, filename, hdu, channel, stokes, contourConfig,
// regionsSet). The frontend then opens the images in its own session;
// the stored session is only read, never taken over or changed.

// maxListedSessions bounds how many auto-saved sessions the list shows
// (the newest); older ones stay reachable by name.
const maxListedSessions = 100

// sessionPrefix starts every auto-saved session's name; saved
// workspaces may not use it.
const sessionPrefix = "Session "

// ownerSessions returns the owner's stored sessions that have an image
// to reopen, newest first.
func (a *api) ownerSessions(owner []byte) []*store.Snapshot {
	snaps, err := a.db.List()
	if err != nil {
		a.srv.log.Warn("workspace list: some sessions do not decode", "err", err)
	}
	var out []*store.Snapshot
	for _, s := range snaps {
		if bytes.Equal(s.Owner, owner) && len(reopenable(s)) > 0 {
			out = append(out, s)
		}
	}
	slices.SortFunc(out, func(x, y *store.Snapshot) int { return lastActive(y).Compare(lastActive(x)) })
	return out[:min(len(out), maxListedSessions)]
}

// lastActive is when the session was last used.
func lastActive(s *store.Snapshot) time.Time {
	return time.UnixMilli(cmp.Or(s.LastActiveUnixMs, s.CreatedUnixMs))
}

// sessionName is the list name of a session: its id, what it holds and
// when it was last used (server time; the date too when not today).
func sessionName(s *store.Snapshot, now time.Time) string {
	images := reopenable(s)
	regions := 0
	for _, img := range images {
		regions += len(regionsOf(img))
	}
	t := lastActive(s).In(now.Location())
	when := t.Format("15:04")
	if y, m, d := t.Date(); y != now.Year() || m != now.Month() || d != now.Day() {
		when = t.Format("2 Jan 15:04")
	}
	return fmt.Sprintf("%s%d · %s · %s · %s", sessionPrefix, s.SessionId,
		plural(len(images), "image"), plural(regions, "region"), when)
}

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return strconv.Itoa(n) + " " + what + "s"
}

// sessionNameID returns the session id a workspace name starts with
// ("Session 123" or "Session 123 · ..."): the counts and time after it
// may have changed since the list was made.
func sessionNameID(name string) (uint32, bool) {
	rest, ok := strings.CutPrefix(name, sessionPrefix)
	if !ok {
		return 0, false
	}
	digits, _, _ := strings.Cut(rest, " ")
	id, err := strconv.ParseUint(digits, 10, 32)
	return uint32(id), err == nil
}

// isSessionName reports whether name has the form of a session's.
func isSessionName(name string) bool {
	_, ok := sessionNameID(name)
	return ok
}

// getSessionWorkspace answers the workspace of one of the owner's
// stored sessions. Another owner's session is "not found", as an
// unknown one is.
func (a *api) getSessionWorkspace(w http.ResponseWriter, r *http.Request, owner []byte, id uint32, name string) {
	snap, err := a.db.Get(id)
	if err == nil && (!bytes.Equal(snap.Owner, owner) || len(reopenable(snap)) == 0) {
		err = fmt.Errorf("session %d: %w", id, store.ErrNoEntry)
	}
	if err != nil {
		if errors.Is(err, store.ErrNotFound) {
			err = fmt.Errorf("session %d: %w", id, store.ErrNoEntry)
		}
		a.replyStoreError(w, r, err)
		return
	}
	ws := sessionWorkspace(snap)
	ws["name"] = name
	ws["editable"] = false // no id: the frontend offers no Share for it
	reply(w, map[string]any{"workspace": ws})
}

// sessionWorkspace is the frontend workspace of a snapshot.
func sessionWorkspace(s *store.Snapshot) map[string]any {
	files := []map[string]any{}
	for _, img := range reopenable(s) {
		files = append(files, workspaceFile(img))
	}
	return map[string]any{
		"workspaceVersion":    0,
		"description":         fmt.Sprintf("Auto-saved session %d", s.SessionId),
		"date":                lastActive(s).Unix(),
		"files":               files,
		"references":          map[string]any{},
		"colorBlendingImages": []any{},
	}
}

// workspaceFile is one image of a synthesised workspace. Region styles,
// view center and zoom and render settings never reach the server (the
// protocol carries none of them), so the frontend's defaults apply.
func workspaceFile(img *store.Image) map[string]any {
	f := map[string]any{
		"id": img.FileId, "directory": img.Directory, "filename": img.File, "hdu": img.Hdu,
		"channel": img.Channel, "stokes": img.Stokes, "references": map[string]any{},
	}
	if regions := regionsOf(img); len(regions) > 0 {
		list := make([]map[string]any, 0, len(regions))
		for _, id := range regions {
			list = append(list, workspaceRegion(id, img.Regions[id].Info))
		}
		// The newest region is selected, as it was after it was drawn,
		// so widgets that follow the selection show it.
		f["regionsSet"] = map[string]any{"regions": list, "selectedRegion": regions[len(regions)-1]}
	}
	if c := img.Contours; c != nil && len(c.Levels) > 0 {
		f["contourConfig"] = workspaceContours(c)
	}
	return f
}

func workspaceRegion(id int32, info *icd.RegionInfo) map[string]any {
	points := make([]map[string]float64, 0, len(info.ControlPoints))
	for _, p := range info.ControlPoints {
		points = append(points, map[string]float64{"x": float64(p.X), "y": float64(p.Y)})
	}
	return map[string]any{"id": id, "type": int32(info.RegionType), "points": points, "rotation": info.Rotation}
}

// workspaceContours is the frontend's contour config: the levels and
// smoothing the server was given, and the frontend's own defaults for
// the style (ContourConfigStore: contrast 1, bias 0, "Negative only"
// dashes, thickness 1), which its updateFromWorkspace needs set.
func workspaceContours(c *icd.SetContourParameters) map[string]any {
	return map[string]any{
		"levels": c.Levels, "smoothingMode": int32(c.SmoothingMode), "smoothingFactor": c.SmoothingFactor,
		"colormapContrast": 1, "colormapBias": 0, "dashMode": "Negative only", "thickness": 1,
		"visible": true, "colormapEnabled": false,
	}
}

// regionsOf returns the ids of the regions defined on img (not the
// cursor), in order.
func regionsOf(img *store.Image) []int32 {
	var ids []int32
	for id, r := range img.Regions {
		if id > 0 && r.GetInfo() != nil && len(r.Info.ControlPoints) > 0 {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	return ids
}

// reopenable returns the images of s the frontend can open again from
// their file: not the generated ones (moments, Stokes concatenations, PV
// and fitting results).
func reopenable(s *store.Snapshot) []*store.Image {
	var out []*store.Image
	for _, img := range s.Images {
		if !generated(img) && img.File != "" {
			out = append(out, img)
		}
	}
	return out
}

// recipeFields are the Image fields that mark a generated image: its
// MomentRecipe, PvRecipe and FitRecipe (store/proto/snapshot.proto).
var recipeFields = []protowire.Number{19, 20, 21}

// generated reports whether img was computed rather than opened. The
// recipes are looked up by field number, so that one this build does
// not know yet (kept as an unknown field) counts too.
func generated(img *store.Image) bool {
	if len(img.StokesFiles) > 0 {
		return true
	}
	m := img.ProtoReflect()
	for _, n := range recipeFields {
		if fd := m.Descriptor().Fields().ByNumber(n); fd != nil && m.Has(fd) {
			return true
		}
	}
	for b := []byte(m.GetUnknown()); len(b) > 0; {
		n, _, size := protowire.ConsumeField(b)
		if size < 0 {
			return false
		}
		if slices.Contains(recipeFields, n) {
			return true
		}
		b = b[size:]
	}
	return false
}
