// Command cartago is a CARTA backend whose sessions survive restarts.
package main

import (
	"fmt"
	"os"

	"github.com/urfave/cli/v2"
)

func main() {
	if err := runCompat(newApp(), os.Args); err != nil {
		fmt.Fprintln(os.Stderr, "cartago:", err)
		os.Exit(1)
	}
}

func newApp() *cli.App {
	return &cli.App{
		Name:     "cartago",
		Usage:    "CARTA backend with durable, resumable sessions",
		Commands: withStoreFlags([]*cli.Command{serveCommand(), sessionsCommand(), workspacesCommand(), sampleCommand(), versionCommand()}),
	}
}
