package ws

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"cartago/session"
	"cartago/store"
)

// benchServer serves the API on db on a loopback port until b ends.
func benchServer(b *testing.B, db *store.Store) string {
	mgr := session.NewManager(session.Config{Logger: quietLogger()})
	srv, err := New(Config{UserData: db, AuthToken: testToken, Logger: quietLogger()}, mgr)
	if err != nil {
		b.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	go srv.Serve(l)
	b.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
		mgr.Close("benchmark over")
	})
	return l.Addr().String()
}

// BenchmarkAPIWorkspacePut saves a 1 MiB workspace through the API on
// a database that syncs every commit, as the server's does.
func BenchmarkAPIWorkspacePut(b *testing.B) {
	db, err := store.Open(filepath.Join(b.TempDir(), "s.db"), store.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	addr := benchServer(b, db)
	body := `{"workspaceName":"w","workspace":{"thumbnail":"` + strings.Repeat("x", 1<<20) + `"}}`
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		req, _ := http.NewRequest("PUT", "http://"+addr+"/api/database/workspace", strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+testToken)
		resp, err := http.DefaultClient.Do(req)
		if err != nil || resp.StatusCode != 200 {
			b.Fatalf("%v %v", resp, err)
		}
		resp.Body.Close()
	}
}

// BenchmarkAPIWorkspaceList lists the workspaces of an owner with 200
// stored sessions of 2 images and 3 regions each, among 1,000 sessions.
func BenchmarkAPIWorkspaceList(b *testing.B) {
	db, err := store.Open(filepath.Join(b.TempDir(), "s.db"), store.Options{NoSync: true})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	owner := ownerOf(testToken)
	for i := range 1000 {
		o := owner
		if i%5 != 0 {
			o = ownerOf(fmt.Sprint("other", i))
		}
		snap := sessionSnap(uint32(i+1), o, time.Now().Add(-time.Duration(i)*time.Minute))
		if err := db.Put(snap); err != nil {
			b.Fatal(err)
		}
	}
	addr := benchServer(b, db)
	for b.Loop() {
		req, _ := http.NewRequest("GET", "http://"+addr+"/api/database/list/workspaces", nil)
		req.Header.Set("Authorization", "Bearer "+testToken)
		resp, err := http.DefaultClient.Do(req)
		if err != nil || resp.StatusCode != 200 {
			b.Fatalf("%v %v", resp, err)
		}
		resp.Body.Close()
	}
}
