package main

import (
	"fmt"
	"runtime/debug"

	"github.com/urfave/cli/v2"

	"cartago/icd"
)

// version is set at link time (-ldflags "-X main.version=v1.2.3"); otherwise
// it comes from the VCS stamp of the build.
var version = ""

func versionString() string {
	if version != "" {
		return version
	}
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "devel"
	}
	rev, dirty := "", false
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			dirty = s.Value == "true"
		}
	}
	if len(rev) > 12 {
		rev = rev[:12]
	}
	switch {
	case rev == "":
		return "devel"
	case dirty:
		return "devel-" + rev + "-dirty"
	}
	return "devel-" + rev
}

func versionCommand() *cli.Command {
	return &cli.Command{
		Name:  "version",
		Usage: "print the version and the ICD version spoken",
		Action: func(c *cli.Context) error {
			_, err := fmt.Fprintf(c.App.Writer, "cartago %s (ICD %d)\n", versionString(), icd.Version)
			return err
		},
	}
}
