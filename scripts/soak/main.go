// Command soak runs the real `cartago serve` under load and abuse for a
// bounded time on loopback and checks that nothing in it stays
// unbounded. scripts/soak.sh builds the binary and runs this.
//
// It serves a temporary root holding the sample images (hard links to
// the cached set of imaging/bench.SampleDir) and a FIFO, with a
// temporary session database and a short idle timeout, then for
// -duration runs -sessions concurrent sessions, each opening images,
// changing channels, moving the cursor and requesting tiles in a loop,
// and beside them hostile clients: FILE_LIST/FILE_INFO/OPEN_FILE on the
// FIFO, an oversized message, zero-filled messages compressed by
// permessage-deflate, and a client that requests tiles and never reads.
// A fresh client pings the server every second throughout. After the
// load it closes every client and waits out the idle timeout.
//
// It samples VmRSS, VmHWM and Threads of the server every second and
// prints counts and latency quantiles per request kind, the hostile
// clients' outcomes, memory and threads, and a verdict. It exits 1 if
// the server died, a ping or a hostile request went unanswered, more
// than -max-fail-pct of a kind of session request failed, threads
// or RSS still grew in the last third of the load, or the final RSS is
// not back near the baseline; 2 if it could not run.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"
)

// config is what the flags set.
type config struct {
	bin        string        // cartago binary
	duration   time.Duration // of the load phase
	sessions   int           // concurrent sessions
	idle       time.Duration // --idle-timeout of the server
	settle     time.Duration // waited after the idle timeout before the final sample
	timeout    time.Duration // per request of a session
	think      time.Duration // pause between a session's requests
	deflate    int           // concurrent compressed-message clients per round
	deflateMiB int           // inflated size of each compressed message
	oversize   int           // MiB of the oversized message
	rssSlack   int           // MiB the final RSS may exceed 1.1 × baseline by
	cacheMiB   int           // the server's --cache-size; kept data the final RSS may hold
	rssAbort   int           // MiB of RSS at which the run is stopped
	maxFailPct float64       // of any session request kind
	keep       bool          // keep the work directory
}

func main() {
	var c config
	flag.StringVar(&c.bin, "bin", "", "cartago binary to run (required; soak.sh builds it)")
	flag.DurationVar(&c.duration, "duration", 3*time.Minute, "how long the load runs")
	flag.IntVar(&c.sessions, "sessions", 200, "concurrent sessions")
	flag.DurationVar(&c.idle, "idle-timeout", 5*time.Second, "the server's --idle-timeout")
	flag.DurationVar(&c.settle, "settle", 10*time.Second, "wait after the idle timeout before the final sample")
	flag.DurationVar(&c.timeout, "timeout", 30*time.Second, "deadline of one session request")
	flag.DurationVar(&c.think, "think", 100*time.Millisecond, "pause between a session's requests")
	flag.IntVar(&c.deflate, "deflate-clients", 4, "compressed-message clients per round (one round every 30 s)")
	flag.IntVar(&c.deflateMiB, "deflate-mib", 250, "MiB of zeros in each compressed message")
	flag.IntVar(&c.oversize, "oversize-mib", 300, "MiB of the oversized uncompressed message")
	flag.IntVar(&c.rssSlack, "rss-slack-mib", 64, "MiB the final RSS may exceed 1.1 × the idle baseline by")
	flag.IntVar(&c.cacheMiB, "cache-mib", 256, "the server's --cache-size in MiB: image data it keeps once the sessions are gone, allowed in the final RSS")
	flag.IntVar(&c.rssAbort, "rss-abort-mib", 8192, "stop the run when the server's RSS passes this many MiB")
	flag.Float64Var(&c.maxFailPct, "max-fail-pct", 1, "fail when more than this percentage of a session request kind failed")
	flag.BoolVar(&c.keep, "keep", false, "keep the work directory (root, database, server log)")
	flag.Parse()
	if c.bin == "" {
		fmt.Fprintln(os.Stderr, "soak: -bin is required (run scripts/soak.sh)")
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	code, err := run(ctx, c)
	if err != nil {
		fmt.Fprintln(os.Stderr, "soak:", err)
	}
	os.Exit(code)
}
