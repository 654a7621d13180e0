package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/urfave/cli/v2"

	"cartago/store"
)

func workspacesPurgeCommand() *cli.Command {
	return &cli.Command{
		Name:      "purge",
		Usage:     "delete an owner's named workspaces, or what the flags select of their user data",
		ArgsUsage: "OWNER [WORKSPACE...]",
		Description: "With WORKSPACE names, deletes those (and their share keys). Without, deletes what " +
			"--workspaces, --preferences, --layouts, --snippets or --all select. Asks for confirmation unless --yes.",
		Flags: []cli.Flag{
			dbFlag(),
			&cli.BoolFlag{Name: "workspaces", Usage: "every saved workspace of the owner"},
			&cli.BoolFlag{Name: "preferences", Usage: "the owner's preferences (the frontend then starts from its defaults)"},
			&cli.BoolFlag{Name: "layouts", Usage: "the owner's saved layouts"},
			&cli.BoolFlag{Name: "snippets", Usage: "the owner's code snippets"},
			&cli.BoolFlag{Name: "all", Usage: "all of the above"},
			&cli.BoolFlag{Name: "yes", Aliases: []string{"y"}, Usage: "do not ask for confirmation"},
		},
		Action: workspacesPurgeAction,
	}
}

func workspacesPurgeAction(c *cli.Context) error {
	arg, err := ownerArg(c)
	if err != nil {
		return err
	}
	names := c.Args().Tail()
	all := c.Bool("all")
	sel := store.Purge{Workspaces: all || c.Bool("workspaces"), Preferences: all || c.Bool("preferences"),
		Layouts: all || c.Bool("layouts"), Snippets: all || c.Bool("snippets")}
	if len(names) > 0 && sel != (store.Purge{}) {
		return errors.New("give WORKSPACE names or selection flags, not both")
	}
	if len(names) == 0 && sel == (store.Purge{}) {
		return errors.New("nothing selected: name workspaces, or use --workspaces, --preferences, --layouts, --snippets or --all")
	}
	return withUserData(c.Context, c.String("db"), true, func(d userData) error {
		owner, err := findOwner(c.Context, d, arg)
		if err != nil {
			return err
		}
		what := describePurge(names, sel)
		if !c.Bool("yes") && !confirm(c.App.Reader, c.App.Writer, fmt.Sprintf("Purge %s of owner %s?", what, shortOwner(ownerName(owner)))) {
			return errors.New("not confirmed; nothing purged")
		}
		res, err := d.purge(c.Context, userPurge{Owner: ownerName(owner), Names: names, Select: sel})
		if err != nil {
			return err
		}
		fmt.Fprintf(c.App.Writer, "purged %d entries (%s)\n", res.Purged, what)
		if len(res.Missing) > 0 {
			return fmt.Errorf("%w: no workspace %s", store.ErrNoEntry, strings.Join(quoteAll(res.Missing), ", "))
		}
		return nil
	})
}

func describePurge(names []string, sel store.Purge) string {
	if len(names) > 0 {
		return plural(len(names), "workspace")
	}
	var parts []string
	for _, p := range []struct {
		on   bool
		what string
	}{{sel.Workspaces, "workspaces"}, {sel.Preferences, "preferences"}, {sel.Layouts, "layouts"}, {sel.Snippets, "snippets"}} {
		if p.on {
			parts = append(parts, p.what)
		}
	}
	return strings.Join(parts, ", ")
}

// confirm asks question; only y or yes agrees.
func confirm(in io.Reader, out io.Writer, question string) bool {
	fmt.Fprintf(out, "%s [y/N] ", question)
	answer, _ := bufio.NewReader(in).ReadString('\n')
	answer = strings.ToLower(strings.TrimSpace(answer))
	return answer == "y" || answer == "yes"
}
