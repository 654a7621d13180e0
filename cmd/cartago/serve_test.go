package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"cartago/icd"
)

// registerOver dials the page URL's websocket and registers with id.
func registerOver(t *testing.T, pageURL string, id uint32) *icd.RegisterViewerAck {
	t.Helper()
	return dialServer(t, pageURL).register(id)
}

func TestServeRegistersAndStopsOnSIGTERM(t *testing.T) {
	dir := t.TempDir()
	s := startProcess(t, "--no-frontend", "--root", dir, "--db", filepath.Join(dir, "s.db"))
	if !strings.Contains(s.url, "?token=") {
		t.Fatalf("URL %q carries no token", s.url)
	}
	if ack := registerOver(t, s.url, 0); !ack.Success || ack.SessionId == 0 || ack.SessionType != icd.SessionType_NEW {
		t.Fatalf("ack %+v", ack)
	}
	if code := s.stop(t, syscall.SIGTERM); code != 0 {
		t.Fatalf("exit code %d after SIGTERM, want 0; log:\n%s", code, string(s.output()))
	}
}

func TestServeSIGINTExitsZero(t *testing.T) {
	dir := t.TempDir()
	s := startProcess(t, "--no-frontend", "--root", dir, "--db", filepath.Join(dir, "s.db"), "--auth-token", "fixed-token")
	if !strings.HasSuffix(s.url, "?token=fixed-token") {
		t.Fatalf("URL %q does not carry --auth-token", s.url)
	}
	if code := s.stop(t, os.Interrupt); code != 0 {
		t.Fatalf("exit code %d after SIGINT", code)
	}
}

func TestServeFlagsFromEnvironment(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("CARTAGO_NO_AUTH", "true")
	t.Setenv("CARTAGO_NO_FRONTEND", "true")
	t.Setenv("CARTAGO_ROOT", dir)
	t.Setenv("CARTAGO_DB", filepath.Join(dir, "s.db"))
	s := startProcess(t)
	if strings.Contains(s.url, "token") {
		t.Fatalf("URL %q has a token despite CARTAGO_NO_AUTH", s.url)
	}
	if ack := registerOver(t, s.url+"?token=no_auth_configured", 12345); ack.SessionId != 12345 || ack.SessionType != icd.SessionType_RESUMED {
		t.Fatalf("ack %+v", ack)
	}
}

func TestServeRefusesBadFolders(t *testing.T) {
	root := t.TempDir()
	outside := t.TempDir()
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"missing root", []string{"--root", filepath.Join(root, "nope")}, "top-level folder"},
		{"base outside root", []string{"--root", root, "--base", outside}, "outside the top-level folder"},
		{"base escaping with ..", []string{"--root", root, "--base", "../"}, "outside the top-level folder"},
		{"missing frontend", []string{"--root", root, "--frontend-folder", outside}, "fetch-frontend.sh"},
		{"bad log level", []string{"--root", root, "--log-level", "loud"}, "--log-level"},
		{"no-auth with token", []string{"--root", root, "--no-auth", "--auth-token", "x"}, "exclude"},
		{"allowed origin without scheme", []string{"--root", root, "--no-frontend", "--allowed-origins", "https://ok.example,bad.example"}, `allowed origin "bad.example"`},
	}
	bin := buildBinary(t)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			args := append([]string{"serve", "--port", "0", "--db", filepath.Join(root, "s.db")}, tc.args...)
			out, err := execOutput(bin, args...)
			if err == nil || !strings.Contains(out, tc.want) {
				t.Fatalf("err %v, output %q, want failure mentioning %q", err, out, tc.want)
			}
		})
	}
}

func TestServeRefusesDatabaseInUse(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "s.db")
	startProcess(t, "--no-frontend", "--root", dir, "--db", db)
	out, err := execOutput(buildBinary(t), "serve", "--port", "0", "--no-frontend", "--root", dir, "--db", db)
	if err == nil || !strings.Contains(out, "in use by another process") {
		t.Fatalf("second server on one database: err %v, output %q", err, out)
	}
}

func TestVersionCommand(t *testing.T) {
	var out bytes.Buffer
	app := newApp()
	app.Writer = &out
	if err := app.Run([]string{"cartago", "version"}); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(out.String(), "cartago ") || !strings.Contains(out.String(), "ICD 30") {
		t.Fatalf("version output %q", out.String())
	}
}

func TestSampleDataCommand(t *testing.T) {
	dir := t.TempDir()
	out, err := execOutput(buildBinary(t), "sample-data", "--small", dir)
	if err != nil || !strings.Contains(out, "sample images ready") {
		t.Fatalf("sample-data: %v %s", err, out)
	}
	for _, name := range []string{"image-4096.fits", "cube-512x512x200.fits", "cube-stokes.fits", "int16-scaled.fits", "multi-hdu.fits", "image-small.fits.gz", "more"} {
		if _, err := os.Stat(filepath.Join(dir, name)); err != nil {
			t.Errorf("missing %s: %v", name, err)
		}
	}
	if _, err := execOutput(buildBinary(t), "sample-data"); err == nil {
		t.Error("sample-data without a folder succeeded")
	}
}
