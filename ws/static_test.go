package ws

import (
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// makeFrontend writes a tiny stand-in build plus a secret outside it that
// a symlink inside points to.
func makeFrontend(t *testing.T) string {
	t.Helper()
	top := t.TempDir()
	dir := filepath.Join(top, "build")
	must(t, os.MkdirAll(filepath.Join(dir, "static", "js"), 0o755))
	must(t, os.WriteFile(filepath.Join(dir, "index.html"), []byte("<html>carta</html>"), 0o644))
	must(t, os.WriteFile(filepath.Join(dir, "static", "js", "app.js"), []byte("console.log(1)"), 0o644))
	must(t, os.WriteFile(filepath.Join(dir, "zfp.wasm"), []byte("\x00asm"), 0o644))
	must(t, os.WriteFile(filepath.Join(top, "secret.txt"), []byte("do not serve"), 0o644))
	must(t, os.Symlink(filepath.Join(top, "secret.txt"), filepath.Join(dir, "leak.txt")))
	return dir
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func get(t *testing.T, url string) (int, string, http.Header) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), resp.Header
}

func TestStaticFrontend(t *testing.T) {
	ts := startServer(t, Config{FrontendFolder: makeFrontend(t), AuthToken: testToken})
	base := "http://" + ts.addr
	tests := []struct {
		path, body, ctype string
		status            int
	}{
		{"/", "<html>carta</html>", "text/html", 200},
		{"/?token=abc", "<html>carta</html>", "text/html", 200},
		{"/index.html", "<html>carta</html>", "text/html", 200},
		{"/static/js/app.js", "console.log(1)", "javascript", 200},
		{"/zfp.wasm", "\x00asm", "application/wasm", 200},
		{"/config", "{}\n", "application/json", 200},
		{"/missing.js", "", "", 404},
		{"/static/", "", "", 404},
		{"/leak.txt", "", "", 404},
		{"/../secret.txt", "", "", 404},
		{"/static/../../secret.txt", "", "", 404},
		{"/%2e%2e/secret.txt", "", "", 404},
	}
	for _, tc := range tests {
		t.Run(tc.path, func(t *testing.T) {
			status, body, h := get(t, base+tc.path)
			if status != tc.status {
				t.Fatalf("status %d, want %d (body %q)", status, tc.status, body)
			}
			if strings.Contains(body, "do not serve") {
				t.Fatal("served a file outside the frontend folder")
			}
			if tc.status == 200 && (body != tc.body || !strings.Contains(h.Get("Content-Type"), tc.ctype)) {
				t.Fatalf("got %q (%s), want %q (%s)", body, h.Get("Content-Type"), tc.body, tc.ctype)
			}
		})
	}
}

func TestNoFrontend(t *testing.T) {
	ts := startServer(t, Config{AuthToken: testToken})
	if status, _, _ := get(t, "http://"+ts.addr+"/"); status != http.StatusNotImplemented {
		t.Errorf("GET / without frontend: %d, want 501", status)
	}
	if status, body, _ := get(t, "http://"+ts.addr+"/config"); status != 200 || body != "{}\n" {
		t.Errorf("GET /config without frontend: %d %q", status, body)
	}
}

func TestFrontendFolderWithoutIndex(t *testing.T) {
	_, err := New(Config{FrontendFolder: t.TempDir()}, nil)
	if err == nil || !strings.Contains(err.Error(), "fetch-frontend.sh") {
		t.Fatalf("err = %v, want a hint to fetch the frontend", err)
	}
}
