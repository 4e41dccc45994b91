package main

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/dialtone/dialtone/server/store"
)

func newServerUnlinkCmd() *cobra.Command {
	var data string
	cmd := &cobra.Command{
		Use:   "unlink NUMBER NAME",
		Short: "Remove the device NAME from NUMBER (a running server closes its sessions within seconds)",
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			n, err := subscriberNumber(args[0])
			if err != nil {
				return err
			}
			st, err := store.Open(cmd.Context(), data)
			if err != nil {
				return err
			}
			defer st.Close()
			_, err = st.RemoveDevice(cmd.Context(), string(n), args[1])
			switch {
			case errors.Is(err, store.ErrNotFound):
				return fmt.Errorf("%s has no device called %q (dialtone linked lists them)", n, args[1])
			case errors.Is(err, store.ErrLastDevice):
				return fmt.Errorf("%q is the only device of %s; a number keeps one", args[1], n)
			case err != nil:
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "unlinked %q from %s\n", args[1], n)
			return nil
		},
	}
	cmd.Flags().StringVar(&data, "data", defaultDataDir("server"), "the server's data directory")
	return cmd
}
