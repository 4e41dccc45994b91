package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/dialtone/dialtone/server/sipgw"
	"github.com/dialtone/dialtone/server/store"
)

func newSIPPasswordCmd() *cobra.Command {
	var data string
	cmd := &cobra.Command{
		Use:   "sip-password NUMBER",
		Short: "Print a new SIP digest password for NUMBER's SIP devices (replaces the old one; shown once)",
		Args:  cobra.ExactArgs(1),
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
			pass, err := st.CreateSIPPassword(cmd.Context(), string(n), sipgw.DefaultRealm)
			if err != nil {
				return err
			}
			fmt.Fprintln(cmd.OutOrStdout(), pass)
			return nil
		},
	}
	cmd.Flags().StringVar(&data, "data", defaultDataDir("server"), "the server's data directory")
	return cmd
}
