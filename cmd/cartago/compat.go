package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/urfave/cli/v2"
)

// The reference backend's command line (carta_backend, as carta-controller
// and site scripts start it) is accepted as an alias of ours:
//
//	CARTA_AUTH_TOKEN=T cartago --no_frontend --no_database --port P \
//	    --top_level_folder ROOT --controller_deployment [--no_log] [...] BASEFOLDER
//
// compatArgs rewrites such a command line into `cartago serve` with our
// flags before urfave/cli parses it; what has no meaning here is dropped
// and noted, and the notes are logged once at start (compatNotes). A flag
// that neither spelling knows still fails, with urfave/cli's message.

// compatMetaKey is where main leaves the notes in cli.App.Metadata.
const compatMetaKey = "compat-notes"

// refFlag is one flag of the reference backend: whether it takes a value
// and what it becomes here. to returns our flags (as --name=value), or
// none and a note saying why the flag changes nothing.
type refFlag struct {
	value bool
	to    func(v string) (ours []string, note string, err error)
}

// ignored drops a flag that has no meaning in cartago, saying why.
func ignored(why string) func(string) ([]string, string, error) {
	return func(string) ([]string, string, error) { return nil, why, nil }
}

// same maps a flag to one of ours, with its value if it has one.
func same(ours string) func(string) ([]string, string, error) {
	return func(v string) ([]string, string, error) {
		if v == "" {
			return []string{"--" + ours}, "", nil
		}
		return []string{"--" + ours + "=" + v}, "", nil
	}
}

// refFlags are the reference's flags (CARTAvis/carta-backend
// src/Main/ProgramSettings.cc), by long name and short letter.
var refFlags = map[string]refFlag{
	"no_frontend":           {to: same("no-frontend")},
	"no_database":           {to: same("no-api")},
	"no_http":               {to: func(string) ([]string, string, error) { return []string{"--no-frontend", "--no-api"}, "", nil }},
	"debug_no_auth":         {to: same("no-auth")},
	"controller_deployment": {to: same("controller-deployment")},
	"port":                  {value: true, to: onePort},
	"p":                     {value: true, to: onePort},
	"top_level_folder":      {value: true, to: same("root")},
	"frontend_folder":       {value: true, to: same("frontend-folder")},
	"http_url_prefix":       {value: true, to: same("url-prefix")},
	"verbosity":             {value: true, to: verbosity},
	"omp_threads":           {value: true, to: threads},
	"t":                     {value: true, to: threads},
	"idle_timeout": {value: true, to: seconds("idle-timeout", false,
		"the reference closes a socket silent for that long; cartago keeps a disconnected session's images that long")},
	"exit_timeout":          {value: true, to: seconds("exit-timeout", true, "")},
	"initial_timeout":       {value: true, to: seconds("initial-timeout", true, "")},
	"no_log":                {to: ignored("cartago writes no log file; it logs to stderr")},
	"no_browser":            {to: ignored("cartago never opens a browser")},
	"browser":               {value: true, to: ignored("cartago never opens a browser")},
	"log_performance":       {to: ignored("no performance log; see --metrics-listen")},
	"log_protocol_messages": {to: ignored("use --log-level debug")},
	"no_user_config":        {to: ignored("cartago reads no configuration files")},
	"no_system_config":      {to: ignored("cartago reads no configuration files")},
	"no_runtime_config":     {to: ignored("/config always names the API unless --no-api")},
	"enable_scripting":      {to: ignored("the scripting API is not served")},
	"threads":               {value: true, to: ignored("event threads do not apply; see --cpus")},
	"event_thread_count":    {value: true, to: ignored("event threads do not apply; see --cpus")},
	"read_only_mode": {to: func(string) ([]string, string, error) {
		return nil, "", errors.New("--read_only_mode is not supported: cartago can save and export files, so it refuses to start rather than run writable")
	}},
}

func onePort(v string) ([]string, string, error) {
	if strings.Contains(v, ",") {
		return nil, "", fmt.Errorf("--port %s: port ranges are not supported; give one port", v)
	}
	return []string{"--port=" + v}, "", nil
}

// verbosity maps the reference's 0 (off) to 5 (debug) to --log-level.
func verbosity(v string) ([]string, string, error) {
	levels := []string{"ERROR+4", "error", "error", "warn", "info", "debug"}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 || n >= len(levels) {
		return nil, "", fmt.Errorf("--verbosity %q: want 0 (off) to 5 (debug)", v)
	}
	return []string{"--log-level=" + levels[n]}, "", nil
}

// threads maps --omp_threads to --cpus; the reference's -1 is all cores,
// which is our default.
func threads(v string) ([]string, string, error) {
	n, err := strconv.Atoi(v)
	if err != nil {
		return nil, "", fmt.Errorf("--omp_threads %q: want a number of threads", v)
	}
	if n <= 0 {
		return nil, "", nil
	}
	return []string{"--cpus=" + v}, "", nil
}

// seconds maps a reference timeout in seconds to our duration flag; a
// negative value is the reference's "off", as is 0 unless zeroOK.
func seconds(ours string, zeroOK bool, note string) func(string) ([]string, string, error) {
	return func(v string) ([]string, string, error) {
		n, err := strconv.Atoi(v)
		if err != nil {
			return nil, "", fmt.Errorf("--%s %q: want whole seconds", strings.ReplaceAll(ours, "-", "_"), v)
		}
		if n < 0 || n == 0 && !zeroOK {
			return nil, "", nil
		}
		return []string{fmt.Sprintf("--%s=%ds", ours, n)}, note, nil
	}
}

// compatServeFlags are the flags of serve that exist for the reference's
// command line but are ours too.
func compatServeFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "url-prefix", Usage: "serve everything (frontend, /config, /api, websocket) under this path, as /carta", EnvVars: envVar("URL_PREFIX")},
		&cli.DurationFlag{Name: "exit-timeout", Usage: "exit when no client has been connected for this long after the last one left (default never)", EnvVars: envVar("EXIT_TIMEOUT")},
		&cli.DurationFlag{Name: "initial-timeout", Usage: "exit if no client connects within this long of the start (default never)", EnvVars: envVar("INITIAL_TIMEOUT")},
		&cli.IntFlag{Name: "cpus", Usage: "cores for image work (GOMAXPROCS; default all)", EnvVars: envVar("CPUS")},
		&cli.BoolFlag{Name: "controller-deployment", Usage: "run as carta-controller's per-user backend: sessions belong to this user, not to the token of one start", EnvVars: envVar("CONTROLLER_DEPLOYMENT")},
	}
}

// commandNames are the app's subcommands; anything else first on the
// command line starts the server, as carta_backend does.
func commandNames(app *cli.App) []string {
	names := []string{"help", "h"}
	for _, c := range app.Commands {
		names = append(names, c.Name)
		names = append(names, c.Aliases...)
	}
	return names
}

// compatArgs rewrites args (os.Args) for app; see the top of this file.
func compatArgs(app *cli.App, args []string) ([]string, []string, error) {
	if len(args) < 2 {
		return args, nil, nil
	}
	first := args[1]
	switch {
	case first == "-v" || first == "--version":
		return []string{args[0], "version"}, nil, nil
	case first == "-h" || first == "--help":
		return args, nil, nil
	case first == "serve":
		rest, notes, err := translateServe(args[2:])
		return append([]string{args[0], "serve"}, rest...), notes, err
	case slices.Contains(commandNames(app), first):
		return args, nil, nil
	}
	rest, notes, err := translateServe(args[1:])
	return append([]string{args[0], "serve"}, rest...), notes, err
}

// valueFlags are our serve flags (names and aliases) that take a value,
// so that their values are not taken for the positional folder.
func valueFlags() map[string]bool {
	m := map[string]bool{}
	for _, f := range allServeFlags() {
		if _, isBool := f.(*cli.BoolFlag); isBool {
			continue
		}
		for _, n := range f.Names() {
			m[n] = true
		}
	}
	return m
}

// translateServe rewrites serve's arguments.
func translateServe(in []string) (out, notes []string, err error) {
	ours := valueFlags()
	positional := false
	var folders []string
	for i := 0; i < len(in); i++ {
		tok := in[i]
		if positional || tok == "-" || !strings.HasPrefix(tok, "-") {
			folders = append(folders, tok)
			continue
		}
		if tok == "--" {
			positional = true
			continue
		}
		name, val, hasVal := strings.Cut(strings.TrimLeft(tok, "-"), "=")
		ref, isRef := refFlags[name]
		if !isRef {
			out = append(out, tok)
			if ours[name] && !hasVal && i+1 < len(in) {
				i++
				out = append(out, in[i])
			}
			continue
		}
		if ref.value && !hasVal {
			if i+1 >= len(in) {
				return nil, nil, fmt.Errorf("%s needs a value", tok)
			}
			i++
			val = in[i]
		}
		mapped, note, err := ref.to(val)
		if err != nil {
			return nil, nil, err
		}
		out = append(out, mapped...)
		if note != "" {
			notes = append(notes, fmt.Sprintf("--%s: %s", name, note))
		}
	}
	base, more := startingFolder(folders)
	if base != "" {
		out = append(out, "--base="+base)
	}
	return out, append(notes, more...), nil
}

// startingFolder takes the reference's positional arguments: the first
// folder is the file browser's starting folder (--base); files, which the
// reference opens at start, and anything else are noted and left out.
func startingFolder(args []string) (string, []string) {
	var base string
	var notes []string
	for _, a := range args {
		abs, err := filepath.Abs(a)
		if err == nil {
			abs, err = filepath.EvalSymlinks(abs)
		}
		fi, serr := os.Stat(abs)
		switch {
		case err == nil && serr == nil && fi.IsDir() && base == "":
			base = abs
		case err == nil && serr == nil && fi.IsDir():
			notes = append(notes, fmt.Sprintf("folder %s: only the first folder argument is the starting folder", a))
		default:
			notes = append(notes, fmt.Sprintf("%s: not a folder; opening files at start is not supported, ignored", a))
		}
	}
	return base, notes
}

// compatNotes returns what compatArgs noted for c's app.
func compatNotes(c *cli.Context) []string {
	notes, _ := c.App.Metadata[compatMetaKey].([]string)
	return notes
}

// runCompat runs app on the command line args, in either spelling.
func runCompat(app *cli.App, args []string) error {
	args, notes, err := compatArgs(app, args)
	if err != nil {
		return err
	}
	if app.Metadata == nil {
		app.Metadata = map[string]any{}
	}
	app.Metadata[compatMetaKey] = notes
	err = app.Run(args)
	if err != nil && len(args) > 1 && args[1] == "serve" && strings.Contains(err.Error(), "flag provided but not defined") {
		return fmt.Errorf("%w (serve takes its own flags and those of carta_backend, see `cartago serve --help` and the README)", err)
	}
	return err
}
