// Command bench-catalog generates the catalog benchmark's files and
// times imaging/catalog on them: open (read the whole table) with its
// preview, and a filter plus sort. scripts/bench-catalog.sh runs it next
// to astropy on the same files.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"syscall"
	"time"

	"cartago/imaging/catalog"
)

func main() {
	dir := flag.String("dir", os.TempDir(), "where the files are")
	rows := flag.Int("rows", 1_000_000, "rows of the generated tables")
	gen := flag.Bool("gen", false, "only write the files (if missing)")
	reps := flag.Int("reps", 3, "timed repetitions (the median is printed)")
	flag.Parse()
	files := map[string]func(*os.File, *catalog.Spec) error{
		fmt.Sprintf("bench-catalog-%d.vot", *rows): func(f *os.File, s *catalog.Spec) error {
			return catalog.WriteVOTable(f, s, catalog.TableData)
		},
		fmt.Sprintf("bench-catalog-%d.fits", *rows): func(f *os.File, s *catalog.Spec) error { return catalog.WriteFITSTable(f, s) },
	}
	names := []string{fmt.Sprintf("bench-catalog-%d.vot", *rows), fmt.Sprintf("bench-catalog-%d.fits", *rows)}
	if *gen {
		for _, name := range names {
			if err := generate(filepath.Join(*dir, name), *rows, files[name]); err != nil {
				fmt.Fprintln(os.Stderr, err)
				os.Exit(1)
			}
		}
		return
	}
	for _, name := range names {
		if err := measure(filepath.Join(*dir, name), *reps); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
	}
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	fmt.Printf("cartago peak_rss_mib=%.0f\n", float64(ru.Maxrss)/1024)
}

func generate(path string, rows int, write func(*os.File, *catalog.Spec) error) error {
	if _, err := os.Stat(path); err == nil {
		return nil
	}
	f, err := os.Create(path + ".tmp")
	if err != nil {
		return err
	}
	if err := write(f, catalog.SurveySpec(rows)); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(path+".tmp", path)
}

// measure prints, for one file, the median open+preview time and the
// median filter (flux > 5) + sort (RA ascending) time, as the session
// does them: the preview is the first 50 rows of every column.
func measure(path string, reps int) error {
	var open, query []time.Duration
	var matched int
	for range reps {
		start := time.Now()
		t, err := catalog.Open(path, catalog.Options{MaxBytes: 4 << 30})
		if err != nil {
			return err
		}
		all, _ := t.Select(context.Background(), catalog.Query{})
		preview(t, all, 50)
		open = append(open, time.Since(start))

		start = time.Now()
		v, err := t.Select(context.Background(), catalog.Query{
			Filters: []catalog.Filter{{Column: "flux", Op: catalog.Greater, Value: 5}}, SortColumn: "RA"})
		if err != nil {
			return err
		}
		preview(t, v, 50)
		query = append(query, time.Since(start))
		matched = v.Len()
		t.Close()
	}
	fmt.Printf("cartago file=%s open_preview_s=%.3f filter_sort_s=%.3f rows_matched=%d\n",
		filepath.Base(path), median(open).Seconds(), median(query).Seconds(), matched)
	return nil
}

func preview(t *catalog.Table, v *catalog.View, n int) {
	for _, c := range t.Columns {
		if c.Type == catalog.String {
			c.Strings(v, 0, n)
		} else {
			c.AppendValues(nil, v, 0, n)
		}
	}
}

func median(ds []time.Duration) time.Duration {
	slices.Sort(ds)
	return ds[len(ds)/2]
}
