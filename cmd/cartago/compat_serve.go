package main

import (
	"context"
	"crypto/sha256"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"time"

	"github.com/urfave/cli/v2"

	"cartago/session"
	"cartago/ws"
)

// controllerTokenEnv is where carta-controller hands its backend the
// token it will present on every proxied request (header
// carta-auth-token), as the reference reads it.
const controllerTokenEnv = "CARTA_AUTH_TOKEN"

// compatOptions are the serve settings that came with the reference's
// command line (compat.go).
type compatOptions struct {
	prefix     string        // --url-prefix, normalized; "" = none
	exitAfter  time.Duration // --exit-timeout; valid when exitSet
	exitSet    bool
	initial    time.Duration // --initial-timeout; valid when initialSet
	initialSet bool
	controller bool // --controller-deployment
}

// compatFromCLI reads the compat flags into o and takes the token from
// CARTA_AUTH_TOKEN when no other is given. It logs the notes of the
// command line translation once.
func compatFromCLI(c *cli.Context, o *serveOptions) error {
	for _, n := range compatNotes(c) {
		o.log.Info("reference flag accepted", "note", n)
	}
	prefix, err := ws.NormalizePrefix(c.String("url-prefix"))
	if err != nil {
		return fmt.Errorf("--url-prefix: %w", err)
	}
	o.compat = compatOptions{
		prefix:     prefix,
		exitAfter:  c.Duration("exit-timeout"),
		exitSet:    c.IsSet("exit-timeout"),
		initial:    c.Duration("initial-timeout"),
		initialSet: c.IsSet("initial-timeout"),
		controller: c.Bool("controller-deployment"),
	}
	if o.compat.exitAfter < 0 || o.compat.initial < 0 {
		return fmt.Errorf("--exit-timeout and --initial-timeout must not be negative")
	}
	if n := c.Int("cpus"); n > 0 {
		runtime.GOMAXPROCS(n) // before the manager sizes its workers
	} else if c.IsSet("cpus") {
		return fmt.Errorf("--cpus %d: want a positive number of cores", n)
	}
	if tok := os.Getenv(controllerTokenEnv); tok != "" && o.token == "" {
		if o.noAuth {
			o.log.Info(controllerTokenEnv + " ignored: --no-auth")
		} else {
			o.token = tok
		}
	}
	if o.frontend != "" && !c.IsSet("frontend-folder") {
		o.frontend = defaultFrontend(o.frontend)
	}
	if o.compat.controller && o.token == "" && !o.noAuth {
		return fmt.Errorf("--controller-deployment needs the controller's token in %s (or --auth-token)", controllerTokenEnv)
	}
	return nil
}

// defaultFrontend is the frontend folder when none is given: ./frontend
// (scripts/fetch-frontend.sh) if it is there, else the reference's
// installed layout, <executable>/../share/carta/frontend, where a CARTA
// package put it; else ./frontend, whose absence serve reports.
func defaultFrontend(dflt string) string {
	if _, err := os.Stat(filepath.Join(dflt, "index.html")); err == nil {
		return dflt
	}
	exe, err := os.Executable()
	if err != nil {
		return dflt
	}
	installed := filepath.Join(filepath.Dir(exe), "..", "share", "carta", "frontend")
	if _, err := os.Stat(filepath.Join(installed, "index.html")); err == nil {
		return filepath.Clean(installed)
	}
	return dflt
}

// platform is the REGISTER_VIEWER_ACK platform strings, marked as a
// controller deployment as the reference does.
func (co compatOptions) platform() map[string]string {
	p := session.PlatformStrings(versionString())
	if co.controller {
		p["controller_deployment"] = "true"
	}
	return p
}

// owner is who owns every authenticated connection under
// carta-controller: the controller starts its per-user backend with a
// new token each time, so the token's hash (the owner elsewhere) would
// make the user's sessions unresumable after a restart. The user is
// this process's user (the controller runs it as the user, with a
// database in the user's home) and its folders, which the controller
// derives from the user name. nil elsewhere: the token's hash.
func (co compatOptions) owner(folder *session.Folder) []byte {
	if !co.controller {
		return nil
	}
	h := sha256.Sum256(fmt.Appendf(nil, "carta-controller\x00%d\x00%s\x00%s", os.Getuid(), folder.Root(), folder.Base()))
	return h[:]
}

// connCounter is the websocket server as exitWhenIdle sees it.
type connCounter interface {
	Connections() int
	Accepted() int64
}

// exitWhenIdle cancels the server's context, which shuts it down
// gracefully, when no client has connected within --initial-timeout of
// the start or none has been connected for --exit-timeout since the last
// one left, as the reference's --initial_timeout and --exit_timeout do.
// It returns when ctx ends; without either flag it returns at once.
func exitWhenIdle(ctx context.Context, stop context.CancelFunc, conns connCounter, co compatOptions, log *slog.Logger) {
	if !co.exitSet && !co.initialSet {
		return
	}
	const tick = 250 * time.Millisecond
	t := time.NewTicker(tick)
	defer t.Stop()
	start := time.Now()
	seen := false      // a client has connected since the start
	var idle time.Time // when the last client left; zero while one is connected
	var accepted int64 // conns.Accepted() at the last look
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			if n := conns.Accepted(); n != accepted { // someone came, maybe left again
				accepted, seen, idle = n, true, now
			}
			if conns.Connections() > 0 {
				idle = time.Time{}
				continue
			}
			if !seen {
				if co.initialSet && now.Sub(start) >= co.initial {
					log.Info("no client connected within --initial-timeout; exiting", "timeout", co.initial)
					stop()
					return
				}
				continue
			}
			if idle.IsZero() {
				idle = now
			}
			if co.exitSet && now.Sub(idle) >= co.exitAfter {
				log.Info("no client connected for --exit-timeout; exiting", "timeout", co.exitAfter)
				stop()
				return
			}
		}
	}
}
