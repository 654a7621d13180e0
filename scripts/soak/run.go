package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// run prepares the root, starts the server, runs the phases and prints
// the report; it returns the exit code.
func run(ctx context.Context, c config) (int, error) {
	work, err := os.MkdirTemp("", "cartago-soak-")
	if err != nil {
		return 2, err
	}
	if !c.keep {
		defer os.RemoveAll(work)
	}
	root := filepath.Join(work, "root")
	fmt.Printf("soak: preparing %s (sample data generated on first use)\n", root)
	if err := makeRoot(ctx, root); err != nil {
		return 2, err
	}
	srv, err := startServer(ctx, c, root, filepath.Join(work, "sessions.db"), filepath.Join(work, "server.log"))
	if err != nil {
		return 2, err
	}
	defer srv.kill()
	sm := &sampler{pid: srv.cmd.Process.Pid, phase: "baseline", start: time.Now()}
	sctx, stopSampling := context.WithCancel(ctx)
	var sampling sync.WaitGroup
	abort, aborted := context.WithCancel(ctx)
	defer aborted()
	sampling.Go(func() { sm.run(sctx, int64(c.rssAbort)<<20, aborted) })
	watchDeath(abort, srv, aborted)

	sleep(abort, 3*time.Second) // the idle baseline
	st, nr := newStats(), &nonReader{}
	fmt.Printf("soak: %d sessions for %v against pid %d (%s)\n", c.sessions, c.duration, sm.pid, srv.url)
	sm.setPhase("load")
	load(abort, c, srv.url, st, nr)
	sm.setPhase("idle")
	fmt.Printf("soak: load over; waiting %v (idle timeout %v + %v)\n", c.idle+c.settle, c.idle, c.settle)
	sleep(abort, c.idle+c.settle)
	stopSampling()
	sampling.Wait()

	r := report{cfg: c, srv: srv, samples: sm.all(), st: st, nr: nr, aborted: abort.Err() != nil && ctx.Err() == nil}
	if c.keep {
		fmt.Printf("soak: work directory kept: %s\n", work)
	}
	return r.print(os.Stdout), nil
}

// watchDeath cancels the run as soon as the server exits.
func watchDeath(ctx context.Context, srv *server, cancel func()) {
	go func() {
		select {
		case <-srv.done:
			cancel()
		case <-ctx.Done():
		}
	}()
}

// load runs the sessions, the probe and the hostile clients for the
// duration and returns once all of them have stopped; hostile rounds
// started before the end run to their own deadlines.
func load(run context.Context, c config, url string, st *stats, nr *nonReader) {
	ctx, cancel := context.WithTimeout(run, c.duration)
	defer cancel()
	var wg sync.WaitGroup
	for i := range c.sessions {
		v := &viewer{id: i, cfg: c, url: url, st: st, rng: rand.New(rand.NewPCG(uint64(i), 0x50a4))}
		wg.Go(func() {
			sleep(ctx, time.Duration(i)*10*time.Millisecond) // ramp up over 2 s per 200
			v.run(ctx)
		})
	}
	probing, stopProbe := context.WithCancel(run) // until everything else stopped
	var probeDone sync.WaitGroup
	probeDone.Go(func() { probe(probing, url, st) })
	defer probeDone.Wait()
	defer stopProbe()
	wg.Go(func() { nr.run(ctx, url) })
	wg.Go(func() { every(ctx, run, 5*time.Second, true, func(ctx context.Context) { fifoRound(ctx, url, st) }) })
	wg.Go(func() {
		every(ctx, run, 30*time.Second, false, func(ctx context.Context) { oversized(ctx, url, c.oversize, st) })
	})
	wg.Go(func() {
		sleep(ctx, 10*time.Second) // after the sessions are up
		every(ctx, run, 30*time.Second, false, func(ctx context.Context) { deflateRound(ctx, url, c.deflate, c.deflateMiB, st) })
	})
	wg.Wait()
}
