package main

import (
	"errors"
	"fmt"
	"net"
	"strconv"

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

// sipTLSAddr is where SIP over TLS listens: flag when given ("off": not at
// all), else with a certificate the SIP address's port + 1 (5061 beside
// 5060, the ports RFC 3261 gives the two), port 0 staying 0.
func sipTLSAddr(sip, flag string, haveCert bool) (string, error) {
	switch {
	case flag == "off":
		return "", nil
	case flag != "" && (sip == "" || !haveCert):
		return "", errors.New("--sip-tls needs --sip and --tls-cert/--tls-key")
	case flag != "":
		return flag, nil
	case sip == "" || !haveCert:
		return "", nil
	}
	host, port, err := net.SplitHostPort(sip)
	if err != nil {
		return "", fmt.Errorf("--sip %q: %w", sip, err)
	}
	p, err := strconv.ParseUint(port, 10, 16)
	if err != nil || p == 65535 {
		return "", fmt.Errorf("--sip %q: no port after it for SIP over TLS; give --sip-tls", sip)
	}
	if p != 0 {
		p++
	}
	return net.JoinHostPort(host, strconv.FormatUint(p, 10)), nil
}
