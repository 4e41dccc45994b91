package main

import (
	"errors"

	"github.com/spf13/cobra"
)

// exitError carries a documented exit status out of a subcommand.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

func exitCode(err error) int {
	var ee *exitError
	if errors.As(err, &ee) {
		return ee.code
	}
	return 1
}

// subcommands lists the subcommand constructors; each subcommand's file adds
// itself in an init function, so files do not have to edit each other.
var subcommands []func() *cobra.Command

// rootRun runs the phone when dialtone is started without a subcommand; the
// TUI's file sets it. Until then the root prints its help.
var rootRun func(cmd *cobra.Command, args []string) error

// rootFlags lets the TUI's file declare the root command's flags.
var rootFlags func(cmd *cobra.Command)

func newRootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:           "dialtone",
		Short:         "A video phone for the terminal",
		SilenceUsage:  true,
		SilenceErrors: true,
		Args:          cobra.NoArgs,
	}
	if rootRun != nil {
		root.RunE = rootRun
	}
	if rootFlags != nil {
		rootFlags(root)
	}
	for _, sub := range subcommands {
		root.AddCommand(sub())
	}
	return root
}
