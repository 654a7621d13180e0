// Command fileinfo-check writes FITS files (the small sample set and a
// few extra headers), starts `cartago serve` on them, asks it for
// FILE_INFO of every file and prints the computed entries as JSON:
//
//	{"dir/file.fits": {"0": [["Name", "file.fits"], ["HDU", "0"], ...]}}
//
// scripts/fileinfo-check.py compares that with the same entries
// computed by astropy; scripts/fileinfo-check.sh runs both.
//
//	go run ./scripts/fileinfo-check -bin /tmp/cartago -dir /tmp/fixtures > entries.json
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io/fs"
	"log"
	"os"
	"path/filepath"
	"strings"
	"time"

	"cartago/icd"
	"cartago/scripts/procstat"
	"cartago/ws/wstest"
)

// requestTimeout bounds each FILE_INFO round trip.
const requestTimeout = 30 * time.Second

func main() {
	bin := flag.String("bin", "", "cartago binary to run (required)")
	dir := flag.String("dir", "", "folder the files are written to and served from (required)")
	flag.Parse()
	if *bin == "" || *dir == "" {
		log.Fatal("-bin and -dir are required")
	}
	ctx := context.Background()
	check(os.MkdirAll(*dir, 0o755))
	check(writeFixtures(ctx, *dir))
	out, err := describeAll(ctx, *bin, *dir)
	check(err)
	enc := json.NewEncoder(os.Stdout)
	enc.SetIndent("", " ")
	check(enc.Encode(out))
}

// describeAll serves dir and returns the computed entries of every FITS
// file in it, by path and HDU.
func describeAll(ctx context.Context, bin, dir string) (map[string]map[string][][2]string, error) {
	db := filepath.Join(os.TempDir(), fmt.Sprintf("fileinfo-check-%d.db", os.Getpid()))
	defer os.Remove(db)
	cmd, url, err := procstat.StartServe(bin, "serve", "--host", "127.0.0.1", "--port", "0", "--no-auth",
		"--no-frontend", "--root", dir, "--db", db)
	if err != nil {
		return nil, err
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	c, _, err := wstest.Dial(ctx, url, wstest.Options{})
	if err != nil {
		return nil, err
	}
	defer c.Close()
	if _, err := c.Register(ctx, 0); err != nil {
		return nil, err
	}
	out := map[string]map[string][][2]string{}
	err = filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.Contains(d.Name(), ".fits") {
			return err
		}
		rel, _ := filepath.Rel(dir, path)
		hdus, err := describe(ctx, c, filepath.Dir(rel), d.Name())
		if err != nil {
			return fmt.Errorf("%s: %w", rel, err)
		}
		out[filepath.ToSlash(rel)] = hdus
		return nil
	})
	return out, err
}

// describe asks for FILE_INFO of every image HDU of one file.
func describe(ctx context.Context, c *wstest.Client, dir, name string) (map[string][][2]string, error) {
	ctx, cancel := context.WithTimeout(ctx, requestTimeout)
	defer cancel()
	if err := c.Send(icd.EventType_FILE_INFO_REQUEST, c.NextID(), &icd.FileInfoRequest{Directory: dir, File: name}); err != nil {
		return nil, err
	}
	var resp icd.FileInfoResponse
	if _, err := c.Expect(ctx, icd.EventType_FILE_INFO_RESPONSE, &resp); err != nil {
		return nil, err
	}
	if !resp.Success {
		return nil, fmt.Errorf("FILE_INFO failed: %s", resp.Message)
	}
	out := map[string][][2]string{}
	for hdu, ext := range resp.FileInfoExtended {
		for _, e := range ext.ComputedEntries {
			out[hdu] = append(out[hdu], [2]string{e.Name, e.Value})
		}
	}
	return out, nil
}

func check(err error) {
	if err != nil {
		log.Fatal(err)
	}
}
