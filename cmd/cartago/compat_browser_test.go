package main

import (
	"path/filepath"
	"strings"
	"testing"

	"cartago/icd"
)

// TestBrowserURLPrefix: the real frontend loaded from under
// --http_url_prefix finds its assets, /config, the API and the websocket
// there (it connects to its own page URL), opens a cube and receives its
// tiles, and nothing fails on the page.
func TestBrowserURLPrefix(t *testing.T) {
	skipIfShort(t)
	args := []string{"--host", "127.0.0.1", "--port", "0", "--top_level_folder", smallSample(t),
		"--frontend_folder", findFrontend(t, repoRoot(t)), "--db", filepath.Join(t.TempDir(), "s.db"),
		"--http_url_prefix", "/site/carta", "--verbosity", "5"}
	srv := startCommand(t, compatURLRe, nil, args...)
	if !strings.Contains(srv.url, "/site/carta/?token=") {
		t.Fatalf("printed URL %s lacks the prefix", srv.url)
	}
	b := startBrowser(t, srv)
	b.open("&file=" + sampleCube)
	b.waitFrame(false, ev(icd.EventType_OPEN_FILE_ACK), 1, serverTimeout)
	b.waitFrame(false, ev(icd.EventType_RASTER_TILE_DATA), 1, serverTimeout)
	out := string(srv.output())
	for _, want := range []string{`msg="websocket connected" remote=`, `path=/`} {
		if !strings.Contains(out, want) {
			t.Errorf("server log lacks %q", want)
		}
	}
	b.saveShot("", b.screenshot())
	b.checkHealthy()
}
