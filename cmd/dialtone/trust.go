package main

import (
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"slices"

	"github.com/spf13/cobra"

	"github.com/dialtone/dialtone/call/identity"
	"github.com/dialtone/dialtone/tui/book"
)

func init() { subcommands = append(subcommands, newTrustCmd) }

// keysFile holds the pinned device keys, beside the contacts.
const keysFile = "keys.json"

func newTrustCmd() *cobra.Command {
	var data string
	var verified bool
	cmd := &cobra.Command{
		Use:   "trust [NUMBER]",
		Short: "List pinned keys; accept NUMBER's changed key, or mark it verified",
		Long: `Without NUMBER, list the device keys pinned for each number called.

A call whose peer comes with a key that is not the one pinned for its number
is not connected, and the phone warns of it (a new phone, or someone in the
middle). Once you know the change is theirs, "dialtone trust NUMBER" pins the
new key (unverified) and the next call connects.

"dialtone trust --verified NUMBER" marks NUMBER's keys verified, after you
compared the safety code the call showed with its owner by voice; it also
confirms devices of NUMBER shown as new.`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			keys := &book.Keys{Path: filepath.Join(data, keysFile)}
			out := cmd.OutOrStdout()
			if len(args) == 0 {
				return listKeys(out, keys)
			}
			n, err := subscriberNumber(args[0])
			if err != nil {
				return err
			}
			if verified {
				ok, err := keys.Verify(string(n))
				if err != nil {
					return err
				}
				if !ok {
					return fmt.Errorf("no key is pinned for %s: call it first", n)
				}
				fmt.Fprintf(out, "%s verified\n", n)
				return nil
			}
			k, err := keys.Accept(string(n))
			if errors.Is(err, book.ErrNoChangedKey) {
				return fmt.Errorf("%s has no changed key waiting to be accepted", n)
			}
			if err != nil {
				return err
			}
			fmt.Fprintf(out, "%s: new key %s pinned, not verified; compare the safety code at the next call\n", n, identity.KeyID(k))
			return nil
		},
	}
	cmd.Flags().StringVar(&data, "data", defaultDataDir("phone"), "the phone's data directory")
	cmd.Flags().BoolVar(&verified, "verified", false, "mark NUMBER's pinned keys verified")
	return cmd
}

func listKeys(out io.Writer, keys *book.Keys) error {
	all, err := keys.All()
	if err != nil {
		return err
	}
	var nums []string
	for n := range all {
		nums = append(nums, n)
	}
	slices.Sort(nums)
	for _, n := range nums {
		e := all[n]
		for _, p := range e.Pins {
			state := "pinned"
			switch {
			case p.New:
				state = "new device, vouched for by " + p.VouchedBy
			case p.Verified:
				state = "verified"
			}
			fmt.Fprintf(out, "%s\t%s\t%s\t%s\n", n, identity.KeyID(p.Key), p.DeviceName(), state)
		}
		if c := e.Changed; c != nil {
			fmt.Fprintf(out, "%s\t%s\t\tCHANGED, not trusted: dialtone trust %s accepts it\n", n, identity.KeyID(c.Key), n)
		}
	}
	return nil
}
