package main

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"google.golang.org/protobuf/proto"

	"cartago/icd"
	"cartago/session"
	"cartago/store"
	"cartago/ws/wstest"
)

// execInput runs the binary with stdin and returns stdout+stderr and how
// long it ran.
func execInput(bin, stdin string, args ...string) (string, time.Duration, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Stdin = strings.NewReader(stdin)
	start := time.Now()
	out, err := cmd.CombinedOutput()
	return string(out), time.Since(start), err
}

// dialSession opens a websocket to the server of pageURL, registers a new
// session and returns the open connection and the session id.
func dialSession(t *testing.T, pageURL string) (*websocket.Conn, uint32) {
	t.Helper()
	c := dialServer(t, pageURL)
	ack := c.register(0)
	if !ack.Success {
		t.Fatalf("register: %v", ack)
	}
	return c.c, ack.SessionId
}

// listJSON runs `sessions list --json` and returns the rows by id.
func listJSON(t *testing.T, bin, db string) map[uint32]sessionRow {
	t.Helper()
	out, took, err := execInput(bin, "", "sessions", "list", "--json", "--db", db)
	if err != nil {
		t.Fatalf("list: %v\n%s", err, out)
	}
	if took > 3*time.Second {
		t.Errorf("list took %v", took)
	}
	var rows []sessionRow
	if err := json.Unmarshal([]byte(out), &rows); err != nil {
		t.Fatalf("list --json: %v\n%s", err, out)
	}
	m := map[uint32]sessionRow{}
	for _, r := range rows {
		m[r.ID] = r
	}
	return m
}

func TestSessionsWhileServing(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "s.db")
	fillDB(t, db, testSnapshots(time.Now())...)
	bin := buildBinary(t)
	s := startProcess(t, "--no-frontend", "--root", dir, "--db", db)
	ws, id := dialSession(t, s.url)
	sid := strconv.FormatUint(uint64(id), 10)

	out, took, err := execInput(bin, "", "sessions", "list", "--db", db)
	if err != nil || took > 3*time.Second {
		t.Fatalf("list while serving: %v after %v\n%s", err, took, out)
	}
	if f := strings.Fields(lineWith(out, sid+" ")); len(f) != 7 || f[4] != "live" {
		t.Errorf("live session %s not listed as live:\n%s", sid, out)
	}
	if f := strings.Fields(lineWith(out, "101 ")); len(f) != 7 || f[4] != "stored" || f[5] != "2" {
		t.Errorf("stored session 101 not listed:\n%s", out)
	}

	out, _, err = execInput(bin, "", "sessions", "show", "--db", db, "101")
	if err != nil || !strings.Contains(out, "data/cube.fits") || !strings.Contains(out, "session      101 (stored)") {
		t.Errorf("show while serving: %v\n%s", err, out)
	}
	if out, _, err = execInput(bin, "", "sessions", "show", "--db", db, sid); err == nil || !strings.Contains(out, "no checkpoint yet") {
		t.Errorf("show of a live session without checkpoint: %v\n%s", err, out)
	}
	export := filepath.Join(dir, "303.pb")
	if out, _, err = execInput(bin, "", "sessions", "export", "--db", db, "--binary", "--out", export, "303"); err != nil {
		t.Errorf("export while serving: %v\n%s", err, out)
	} else if b, err := os.ReadFile(export); err != nil || len(b) == 0 {
		t.Errorf("exported file: %v", err)
	}

	// Declining deletes nothing and leaves the session connected.
	out, _, err = execInput(bin, "n\n", "sessions", "purge", "--db", db, sid, "101")
	if err == nil || !strings.Contains(out, "Purge 2 sessions? [y/N]") || !strings.Contains(out, "live, will be closed: "+sid) {
		t.Errorf("declined purge: %v\n%s", err, out)
	}
	if rows := listJSON(t, bin, db); !rows[id].Live || !rows[101].Stored {
		t.Errorf("declined purge removed sessions: %+v", rows)
	}

	out, _, err = execInput(bin, "", "sessions", "purge", "--db", db, "--yes", sid)
	if err != nil || !strings.Contains(out, "purged 1 session; ended 1 live: "+sid) {
		t.Errorf("purge of the live session: %v\n%s", err, out)
	}
	if ce := wstest.WrapT(t, ws).ReadClose(); !strings.Contains(ce.Text, "purged") {
		t.Errorf("close reason %q does not mention the purge", ce.Text)
	}
	if _, ok := listJSON(t, bin, db)[id]; ok {
		t.Errorf("purged session %d still listed", id)
	}

	out, _, err = execInput(bin, "", "sessions", "purge", "--db", db, "--yes", "--older-than", "72h")
	if err != nil || !strings.Contains(out, "purged 2 sessions") {
		t.Errorf("purge --older-than while serving: %v\n%s", err, out)
	}
	if code := s.stop(t, syscall.SIGTERM); code != 0 {
		t.Fatalf("exit code %d", code)
	}
	if _, err := os.Lstat(adminSocketPath(db)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("admin socket left after shutdown: %v", err)
	}
	if ids := storedIDs(t, db); !slices.Equal(ids, []uint32{202}) {
		t.Errorf("stored after the purges: %v, want [202]", ids)
	}
}

func TestSessionsLockedWithoutSocket(t *testing.T) {
	db := testDB(t)
	held, err := store.Open(db, store.Options{}) // as an older server would
	if err != nil {
		t.Fatal(err)
	}
	defer held.Close()
	bin := buildBinary(t)
	for _, args := range [][]string{
		{"list"}, {"show", "101"}, {"purge", "--yes", "101"}, {"export", "--out", filepath.Join(t.TempDir(), "x"), "101"},
	} {
		out, took, err := execInput(bin, "", append([]string{"sessions", args[0], "--db", db}, args[1:]...)...)
		want := "is locked by another process and no cartago admin socket answers at " + adminSocketPath(db)
		if err == nil || !strings.Contains(out, want) {
			t.Errorf("%v on a held database: %v\n%s", args, err, out)
		}
		if took > 3*time.Second {
			t.Errorf("%v took %v to fail", args, took)
		}
	}
}

func TestSessionsLockedSocketSilent(t *testing.T) {
	db := testDB(t)
	held, err := store.Open(db, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer held.Close()
	// A socket that accepts connections and never answers, like a
	// stopped (SIGSTOP) server.
	ln, err := net.Listen("unix", adminSocketPath(db))
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			defer c.Close()
		}
	}()
	out, took, err := execInput(buildBinary(t), "", "sessions", "list", "--db", db)
	if err == nil || !strings.Contains(out, "no cartago admin socket answers") || took > 3*time.Second {
		t.Errorf("list with a silent socket: %v after %v\n%s", err, took, out)
	}
}

// staleSocket leaves a socket file at path that nobody listens on, as
// a killed server does.
func staleSocket(t *testing.T, path string) {
	t.Helper()
	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
	if err != nil {
		t.Fatal(err)
	}
	ln.SetUnlinkOnClose(false)
	ln.Close()
	if _, err := os.Lstat(path); err != nil {
		t.Fatal(err)
	}
}

func TestSessionsStaleSocket(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "s.db")
	fillDB(t, db, testSnapshots(time.Now())...)
	staleSocket(t, adminSocketPath(db))
	bin := buildBinary(t)
	if out, _, err := execInput(bin, "", "sessions", "list", "--db", db); err != nil || !strings.Contains(out, "101 ") {
		t.Errorf("offline list next to a stale socket: %v\n%s", err, out)
	}
	s := startProcess(t, "--no-frontend", "--root", dir, "--db", db)
	_, id := dialSession(t, s.url)
	if rows := listJSON(t, bin, db); !rows[id].Live {
		t.Errorf("server did not replace the stale socket: %+v\n%s", rows, s.output())
	}
	fi, err := os.Lstat(adminSocketPath(db))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("admin socket mode: %v %v", fi.Mode(), err)
	}
}

func TestServeWithFileInTheSocketsWay(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "s.db")
	if err := os.WriteFile(adminSocketPath(db), []byte("keep me"), 0o600); err != nil {
		t.Fatal(err)
	}
	s := startProcess(t, "--no-frontend", "--root", dir, "--db", db)
	out, took, err := execInput(buildBinary(t), "", "sessions", "list", "--db", db)
	if err == nil || !strings.Contains(out, "no cartago admin socket answers") || took > 3*time.Second {
		t.Errorf("list: %v after %v\n%s", err, took, out)
	}
	if !strings.Contains(string(s.output()), "not a socket") {
		t.Errorf("server did not warn about the admin socket:\n%s", s.output())
	}
	if b, _ := os.ReadFile(adminSocketPath(db)); string(b) != "keep me" {
		t.Error("the file in the socket's way was changed")
	}
}

// closeRecorder is a session.Sender that drops messages and keeps the
// close reason.
type closeRecorder struct {
	mu     sync.Mutex
	reason string
}

func (r *closeRecorder) Send(context.Context, icd.EventType, uint32, proto.Message) error { return nil }

func (r *closeRecorder) Close(reason string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.reason = reason
}

func (r *closeRecorder) closed() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.reason
}

// handleMsg feeds one message to c as its read loop would.
func handleMsg(t *testing.T, c *session.Client, et icd.EventType, m proto.Message) {
	t.Helper()
	b, err := proto.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	c.Handle(t.Context(), icd.Header{Type: et, Version: icd.Version}, b)
}

// registered returns a client of mgr registered for session id (0: new)
// and the id it got.
func registered(t *testing.T, mgr *session.Manager, out session.Sender, owner []byte, id uint32) (*session.Client, uint32) {
	t.Helper()
	c := mgr.NewClient(out, "test", owner)
	handleMsg(t, c, icd.EventType_REGISTER_VIEWER, &icd.RegisterViewer{SessionId: id})
	if c.SessionID() == 0 {
		t.Fatal("register failed")
	}
	return c, c.SessionID()
}

// touchSession sends a change, which the checkpointer is to write.
func touchSession(t *testing.T, c *session.Client) {
	t.Helper()
	handleMsg(t, c, icd.EventType_SET_IMAGE_CHANNELS, &icd.SetImageChannels{FileId: 3, Channel: 1})
}

// A change the checkpointer commits after a purge through the admin
// socket ended the session must not bring it back, with no sweep
// afterwards; a new session under a purged id is stored as usual.
func TestAdminPurgeOutlivesLateCheckpoints(t *testing.T) {
	db, err := store.Open(filepath.Join(t.TempDir(), "s.db"), store.Options{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	log := slog.New(slog.DiscardHandler)
	// No checkpoint comes from the interval timer here: they all land
	// when the manager closes, after the purge.
	mgr := session.NewManager(session.Config{Store: db, Logger: log, CheckpointInterval: time.Hour})
	defer mgr.Close("test over")
	a, err := startAdmin(db, mgr, log)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	out1, out2 := &closeRecorder{}, &closeRecorder{}
	c1, id1 := registered(t, mgr, out1, nil, 0)
	c2, id2 := registered(t, mgr, out2, nil, 0)
	touchSession(t, c1) // pending when the purge comes
	touchSession(t, c2)

	admin, err := dialAdmin(t.Context(), adminSocketPath(db.Path()))
	if err != nil {
		t.Fatal(err)
	}
	defer admin.close()
	res, err := admin.purge(t.Context(), purgeRequest{IDs: []uint32{id1, id2}})
	if want := []uint32{id1, id2}; err != nil || !slices.Equal(res.Purged, want) || !slices.Equal(res.Ended, want) {
		t.Fatalf("purge: %+v, %v", res, err)
	}
	if out1.closed() != purgeReason || out2.closed() != purgeReason {
		t.Errorf("sockets closed with %q and %q", out1.closed(), out2.closed())
	}
	touchSession(t, c1) // the purged sockets' read loops were still running
	touchSession(t, c2)
	newer := []byte("token of the newer session")
	c3, _ := registered(t, mgr, &closeRecorder{}, newer, id2)
	touchSession(t, c3)
	mgr.Close("test over") // the last checkpoints land now

	if ok, err := db.Has(id1); ok || err != nil {
		t.Errorf("purged session %d stored after a late checkpoint (%v)", id1, err)
	}
	if snap, err := db.Get(id2); err != nil || string(snap.Owner) != string(newer) {
		t.Errorf("session %d started after the purge: %v, %v", id2, snap, err)
	}
	a.Close()
	if _, err := os.Lstat(adminSocketPath(db.Path())); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Close left the socket: %v", err)
	}
}

func TestLockedErrorIsErrLocked(t *testing.T) {
	db := testDB(t)
	held, err := store.Open(db, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer held.Close()
	_, err = runApp(t, "", "sessions", "list", "--db", db)
	if !errors.Is(err, store.ErrLocked) {
		t.Errorf("list on a held database: %v, want store.ErrLocked", err)
	}
}
