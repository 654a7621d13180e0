package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"cartago/store"
)

// TestKill9DuringWorkspacePut: workspaces of 1 MiB are saved through
// the HTTP API, several at once, while the server is killed with
// SIGKILL at a random moment. Afterwards the database passes bbolt's
// check, every workspace whose save was answered is there, and every
// workspace there is whole: its description and contents agree and are
// what was sent under its name.
func TestKill9DuringWorkspacePut(t *testing.T) {
	cycles := 4
	if testing.Short() {
		cycles = 1
	}
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 14))
	r := newCrashRig(t)
	acked := map[string]bool{}
	for cycle := range cycles {
		srv := r.start()
		base, token := apiBase(t, srv)
		var mu sync.Mutex
		var wg sync.WaitGroup
		for w := range 3 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := 0; ; i++ {
					name := fmt.Sprintf("c%d-w%d-%d", cycle, w, i)
					if putCrashWorkspace(base, token, name) != nil {
						return // the server is gone
					}
					mu.Lock()
					acked[name] = true
					mu.Unlock()
				}
			}()
		}
		time.Sleep(time.Duration(500+rng.IntN(2000)) * time.Millisecond)
		r.kill(srv)
		wg.Wait()
		checkCrashWorkspaces(t, r.db, acked)
	}
	if len(acked) == 0 {
		t.Fatal("no workspace save was answered: the test exercised nothing")
	}
}

// crashWorkspace is the workspace saved under name: it names itself, so
// a torn or misfiled value shows.
func crashWorkspace(name string) string {
	return `{"workspaceVersion":0,"self":"` + name + `","thumbnail":"` + strings.Repeat("z", 1<<20) + `"}`
}

func putCrashWorkspace(base, token, name string) error {
	body := `{"workspaceName":"` + name + `","workspace":` + crashWorkspace(name) + `}`
	req, err := http.NewRequest("PUT", base+"/api/database/workspace", strings.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	var reply struct{ Success bool }
	if err := json.NewDecoder(resp.Body).Decode(&reply); err != nil || !reply.Success {
		return fmt.Errorf("PUT %s: %d %v", name, resp.StatusCode, err)
	}
	return nil
}

// checkCrashWorkspaces opens the database of a killed server and checks
// the workspaces in it against those whose saves were answered.
func checkCrashWorkspaces(t *testing.T, path string, acked map[string]bool) {
	t.Helper()
	db, err := store.Open(path, store.Options{ReadOnly: true})
	if err != nil {
		t.Fatalf("database after SIGKILL: %v", err)
	}
	defer db.Close()
	if err := db.Check(); err != nil {
		t.Fatalf("bbolt check after SIGKILL: %v", err)
	}
	owners, err := db.UserDataOwners()
	if err != nil || len(owners) > 1 {
		t.Fatalf("owners after SIGKILL: %+v, %v", owners, err)
	}
	var owner []byte // a server with a token: its hash, once something was kept
	if len(owners) == 1 {
		owner = owners[0].Owner
	}
	list, err := db.Workspaces(owner)
	if err != nil {
		t.Fatalf("workspaces after SIGKILL: %v", err)
	}
	there := map[string]bool{}
	for _, info := range list {
		there[info.Name] = true
		ws, err := db.Workspace(owner, info.Name)
		if err != nil || !bytes.Equal(ws.Data, []byte(crashWorkspace(info.Name))) {
			t.Fatalf("workspace %q after SIGKILL is not whole: %v", info.Name, err)
		}
	}
	for name := range acked {
		if !there[name] {
			t.Errorf("workspace %q was saved (answered) before the SIGKILL but is gone", name)
		}
	}
	t.Logf("%d workspaces there, %d answered before the kill", len(list), len(acked))
}
