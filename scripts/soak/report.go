package main

import (
	"fmt"
	"io"
	"maps"
	"os"
	"regexp"
	"slices"
	"strings"
	"time"

	"cartago/scripts/procstat"
)

// report is what a run measured and what it concludes.
type report struct {
	cfg     config
	srv     *server
	samples []sample
	st      *stats
	nr      *nonReader
	aborted bool // stopped early: RSS over -rss-abort-mib or the server died

	failures []string
}

func (r *report) fail(format string, args ...any) {
	r.failures = append(r.failures, fmt.Sprintf(format, args...))
}

// phase returns the samples of phase p.
func (r *report) phase(p string) []sample {
	var out []sample
	for _, s := range r.samples {
		if s.phase == p {
			out = append(out, s)
		}
	}
	return out
}

// maxOf returns the largest of f over ss[from:to], clamped.
func maxOf(ss []sample, from, to int, f func(sample) int64) int64 {
	from, to = max(from, 0), min(to, len(ss))
	var m int64
	for _, s := range ss[from:to] {
		m = max(m, f(s))
	}
	return m
}

// medianOf is the median of f over ss[from:to].
func medianOf(ss []sample, from, to int, f func(sample) int64) int64 {
	vs := make([]int64, 0, max(to-from, 0))
	for _, s := range ss[max(from, 0):min(to, len(ss))] {
		vs = append(vs, f(s))
	}
	if len(vs) == 0 {
		return 0
	}
	slices.Sort(vs)
	return vs[len(vs)/2]
}

func rss(s sample) int64 { return s.rss }
func hwm(s sample) int64 { return s.hwm }
func thr(s sample) int64 { return s.thr }

// print writes the report to w and returns the exit code.
func (r *report) print(w io.Writer) int {
	fmt.Fprintf(w, "\n## soak: %d sessions, %v load, idle timeout %v (%s)\n\n```\n", r.cfg.sessions, r.cfg.duration, r.cfg.idle, time.Now().UTC().Format(time.RFC3339))
	defer fmt.Fprintln(w, "```")
	fmt.Fprintln(w, "requests (sessions; probe-ping = a fresh client's PING every second):")
	r.st.print(w, loadKinds)
	fmt.Fprintf(w, "\nhostile clients (ok = answered or refused within %v):\n", hostileWait)
	r.st.print(w, hostileKinds)
	fmt.Fprintf(w, "  non-reader: %d tile requests sent, writes blocked: %v\n", r.nr.sent.Load(), r.nr.blocked.Load() > 0)
	r.checkRequests()
	r.printMemory(w)
	r.printLog(w)
	r.checkServer()
	if len(r.failures) == 0 {
		fmt.Fprintln(w, "\nverdict: PASS")
		return 0
	}
	fmt.Fprintln(w, "\nverdict: FAIL")
	for _, f := range r.failures {
		fmt.Fprintln(w, "  -", f)
	}
	return 1
}

// checkRequests fails the run on unanswered pings and hostile requests,
// and on sessions whose requests failed more often than -max-fail-pct.
func (r *report) checkRequests() {
	for _, k := range loadKinds[:len(loadKinds)-1] { // probe-ping is next
		ok, fail := r.st.counts(k)
		if pct := 100 * float64(fail) / float64(max(ok+fail, 1)); pct > r.cfg.maxFailPct {
			r.fail("%s: %d of %d requests failed (%.1f%%)", k, fail, ok+fail, pct)
		}
	}
	if ok, fail := r.st.counts("probe-ping"); fail > 0 || ok == 0 {
		r.fail("a fresh client's PING went unanswered %d times (%d answered)", fail, ok)
	}
	for _, k := range hostileKinds {
		if _, fail := r.st.counts(k); fail > 0 {
			r.fail("hostile %s: %d requests unanswered or wrongly answered", k, fail)
		}
	}
}

// printMemory prints RSS and threads and checks they are bounded.
func (r *report) printMemory(w io.Writer) {
	base, load, idle := r.phase("baseline"), r.phase("load"), r.phase("idle")
	if len(base) == 0 || len(load) < 6 || len(idle) == 0 {
		r.fail("too few samples (%d baseline, %d load, %d idle)", len(base), len(load), len(idle))
		return
	}
	b, f := base[len(base)-1], idle[len(idle)-1]
	// Growth compares medians of the middle and last thirds of the load:
	// a hostile round's transient buffers (a deflate bomb read up to the
	// limit) must not read as growth, while a leak moves the median.
	n := len(load)
	rssA, rssB := medianOf(load, n/3, 2*n/3, rss), medianOf(load, 2*n/3, n, rss)
	thrA, thrB := medianOf(load, n/3, 2*n/3, thr), medianOf(load, 2*n/3, n, thr)
	fmt.Fprintln(w, "\nserver process (/proc/PID/status, sampled every second):")
	fmt.Fprintf(w, "  %-28s %12s %8s\n", "", "RSS", "threads")
	fmt.Fprintf(w, "  %-28s %12s %8d\n", "idle baseline", procstat.MiB(b.rss), b.thr)
	fmt.Fprintf(w, "  %-28s %12s %8d\n", "peak (VmHWM / max)", procstat.MiB(maxOf(r.samples, 0, len(r.samples), hwm)), maxOf(r.samples, 0, len(r.samples), thr))
	fmt.Fprintf(w, "  %-28s %12s %8d\n", "median, middle third of load", procstat.MiB(rssA), thrA)
	fmt.Fprintf(w, "  %-28s %12s %8d\n", "median, last third of load", procstat.MiB(rssB), thrB)
	fmt.Fprintf(w, "  %-28s %12s %8d\n", fmt.Sprintf("final (idle %v later)", (f.at-load[n-1].at).Round(time.Second)), procstat.MiB(f.rss), f.thr)
	r.printTimeline(w, load)
	if rssB > rssA*6/5+64<<20 {
		r.fail("RSS still growing in the last third of the load: %s → %s", procstat.MiB(rssA), procstat.MiB(rssB))
	}
	if thrB > thrA+max(4, thrA/10) {
		r.fail("threads still growing in the last third of the load: %d → %d", thrA, thrB)
	}
	// The cache may keep image data within --cache-size once nobody
	// uses it (issue 10); beyond that, memory must have gone back.
	if limit := b.rss*11/10 + int64(r.cfg.rssSlack+r.cfg.cacheMiB)<<20; f.rss > limit {
		r.fail("final RSS %s not back near the baseline %s plus the %d MiB cache (limit %s)",
			procstat.MiB(f.rss), procstat.MiB(b.rss), r.cfg.cacheMiB, procstat.MiB(limit))
	}
}

// printTimeline prints about a dozen samples across the load.
func (r *report) printTimeline(w io.Writer, load []sample) {
	step := max(1, len(load)/12)
	var parts []string
	for i := 0; i < len(load); i += step {
		s := load[i]
		parts = append(parts, fmt.Sprintf("%ds %s/%d", int(s.at.Seconds()), strings.TrimSuffix(procstat.MiB(s.rss), " MiB"), s.thr))
	}
	fmt.Fprintf(w, "  timeline (s MiB/threads): %s\n", strings.Join(parts, ", "))
}

var msgRe = regexp.MustCompile(`level=(\w+) msg="([^"]*)"`)

// printLog counts the server's log lines (warnings and errors at the
// soak's log level) by level and message.
func (r *report) printLog(w io.Writer) {
	b, _ := os.ReadFile(r.srv.log)
	counts := map[string]int{}
	for _, m := range msgRe.FindAllStringSubmatch(string(b), -1) {
		counts[m[1]+" "+m[2]]++
	}
	keys := slices.Sorted(maps.Keys(counts))
	slices.SortStableFunc(keys, func(a, b string) int { return counts[b] - counts[a] })
	fmt.Fprintln(w, "\nserver log (lines by level and message):")
	if len(keys) == 0 {
		fmt.Fprintln(w, "  none")
	}
	for _, k := range keys[:min(len(keys), 8)] {
		fmt.Fprintf(w, "  %6d  %s\n", counts[k], k)
	}
}

var fatalRe = regexp.MustCompile(`(?m)^(fatal error|panic|runtime: ).*$`)

// checkServer fails the run if the server died or was stopped early.
func (r *report) checkServer() {
	if !r.srv.alive() {
		r.fail("the server died: %v; last lines:\n%s", r.srv.err, indent(r.srv.tail(8)))
	} else if m := fatalRe.FindString(r.srv.tail(200)); m != "" {
		r.fail("the server logged %q", m)
	}
	if r.aborted && r.srv.alive() {
		r.fail("stopped early: server RSS passed %d MiB", r.cfg.rssAbort)
	}
}

func indent(s string) string { return "      " + strings.ReplaceAll(s, "\n", "\n      ") }
