package main

import (
	"fmt"
	"time"

	"github.com/urfave/cli/v2"

	"cartago/imaging/sample"
)

func sampleCommand() *cli.Command {
	return &cli.Command{
		Name:      "sample-data",
		Usage:     "write the sample FITS images (about 300 MB; skips files already there)",
		ArgsUsage: "DIR",
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "small", Usage: "tiny versions of every file, for tests"},
		},
		Action: func(c *cli.Context) error {
			if c.NArg() != 1 {
				return fmt.Errorf("sample-data needs one folder argument")
			}
			start := time.Now()
			dir := c.Args().First()
			if err := sample.Generate(c.Context, dir, sample.Options{Small: c.Bool("small")}); err != nil {
				return err
			}
			_, err := fmt.Fprintf(c.App.Writer, "sample images ready in %s (%v)\n", dir, time.Since(start).Round(time.Millisecond))
			return err
		},
	}
}
