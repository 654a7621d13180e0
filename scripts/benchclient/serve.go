package benchclient

import (
	"os"
	"path/filepath"

	"cartago/scripts/procstat"
)

// WorkDir returns dir, or when dir is "" a new temporary folder; the
// func returned removes what WorkDir made.
func WorkDir(dir, prefix string) (string, func()) {
	if dir != "" {
		Check(os.MkdirAll(dir, 0o755))
		return dir, func() {}
	}
	d, err := os.MkdirTemp("", prefix)
	Check(err)
	return d, func() { os.RemoveAll(d) }
}

// Serve starts bin serving root on a free loopback port, without
// authentication or frontend, its database in root, with extra flags of
// `serve`. It returns the server's pid, its websocket URL and the func
// that kills it.
func Serve(bin, root string, extra ...string) (pid int, url string, stop func()) {
	args := append([]string{"serve", "--host", "127.0.0.1", "--port", "0", "--no-auth", "--no-frontend",
		"--root", root, "--db", filepath.Join(root, "bench.db")}, extra...)
	cmd, url, err := procstat.StartServe(bin, args...)
	Check(err)
	return cmd.Process.Pid, url, func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }
}
