package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/dialtone/dialtone/call/sigclient"
	"github.com/dialtone/dialtone/call/wire"
	"github.com/dialtone/dialtone/tui/components/qrcode"
)

func init() { subcommands = append(subcommands, newLinkCmd, newLinkedCmd, newUnlinkCmd) }

// deviceFlags are the phone's flags these commands need: which server,
// number and key. The rest of the phone's flags are hidden.
func deviceCommand(cmd *cobra.Command) *cobra.Command {
	addPhoneFlags(cmd)
	for _, name := range []string{"camera", "mic", "speaker", "fps", "video", "invite", "region", "link"} {
		_ = cmd.Flags().MarkHidden(name)
	}
	return cmd
}

// deviceClient connects this device's number with its key, as the phone
// would, and runs the connection until the returned stop is called.
func deviceClient(cmd *cobra.Command) (*sigclient.Client, func(), error) {
	o, err := phoneOptionsFrom(cmd)
	if err != nil {
		return nil, nil, err
	}
	if o.Server == "" || o.Number == "" {
		return nil, nil, errors.New("say which server and number (--server, --number, or the config file): linking needs a server other devices reach")
	}
	key, err := loadOrCreateKey(o.Data)
	if err != nil {
		return nil, nil, err
	}
	c, err := sigclient.New(sigclient.Config{URL: o.Server, Number: o.Number, Key: key, Device: o.device, ClientName: "dialtone-link",
		Patience: 10 * time.Second, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		return nil, nil, err
	}
	ctx, cancel := context.WithCancel(cmd.Context())
	var wg sync.WaitGroup
	runErr := make(chan error, 1)
	wg.Go(func() { runErr <- c.Run(ctx) })
	// Wait until registered (or refused), draining what the server says.
	for m := range c.Messages() {
		if m.Type == wire.TypeRegistered {
			wg.Go(func() {
				for range c.Messages() {
				}
			})
			stop := func() { c.Close(); cancel(); wg.Wait() }
			return c, stop, nil
		}
	}
	cancel()
	wg.Wait()
	err = <-runErr
	if err == nil {
		err = errors.New("the connection closed before registering")
	}
	return nil, nil, fmt.Errorf("registering %s: %s", o.Number, sigclient.Reason(err))
}

func newLinkCmd() *cobra.Command {
	var wait time.Duration
	cmd := deviceCommand(&cobra.Command{
		Use:   "link",
		Short: "Show a one-time code (and its QR code) that links another device to this number",
		Long: `Show a one-time link code, valid for five minutes and one device, and draw it
as a QR code. On the new device run what it says:

  dialtone --server URL --number NUMBER --link CODE     (the phone)
  dialtone call --server URL --number NUMBER --link CODE ...

or type the code into the browser phone's "link code" field. This device
signs the new device's certificate when it comes (making the code is the
consent), so it must stay connected until then: the command waits for the
new device, up to --wait, and says its name.

link, linked and unlink register as this device (its key in --data), so a
phone of the same device that is running is replaced and stops: in the
phone, press l on the home page instead, or run these on another device.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			c, stop, err := deviceClient(cmd)
			if err != nil {
				return err
			}
			defer stop()
			return runLink(cmd.Context(), c, cmd.OutOrStdout(), wait)
		},
	})
	cmd.Flags().DurationVar(&wait, "wait", wire.LinkTTL, "how long to wait for the new device (0: print the code and leave)")
	return cmd
}

// linkCommand is what the new device runs, as the QR code carries it.
func linkCommand(server, number, code string) string {
	return fmt.Sprintf("dialtone --server %s --number %s --link %s", server, number, code)
}

func runLink(ctx context.Context, c *sigclient.Client, out io.Writer, wait time.Duration) error {
	linked := make(chan string, 1)
	c.OnLink(func(name string) {
		select {
		case linked <- name:
		default:
		}
	})
	code, ttl, err := c.LinkCode(ctx)
	if err != nil {
		return fmt.Errorf("asking for a link code: %w", err)
	}
	cfg := c.Config()
	pic, err := qrcode.Render(qrcode.LinkText(cfg.Number, code))
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "%s\nlink code %s for %s, good for %v and one device; on the new device:\n  %s\n",
		pic, code, cfg.Number, ttl.Round(time.Second), linkCommand(cfg.URL, cfg.Number, code))
	if wait <= 0 {
		return nil
	}
	t := time.NewTimer(min(wait, ttl))
	defer t.Stop()
	select {
	case name := <-linked:
		fmt.Fprintf(out, "linked %q\n", name)
		return nil
	case <-t.C:
		return errors.New("no device came with the code in time")
	case <-ctx.Done():
		return ctx.Err()
	}
}

func newLinkedCmd() *cobra.Command {
	return deviceCommand(&cobra.Command{
		Use:   "linked",
		Short: "List the devices of this number",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			c, stop, err := deviceClient(cmd)
			if err != nil {
				return err
			}
			defer stop()
			ds, err := c.Devices(cmd.Context())
			if err != nil {
				return fmt.Errorf("listing devices: %w", err)
			}
			printLinked(cmd.OutOrStdout(), ds)
			return nil
		},
	})
}

func printLinked(out io.Writer, ds []wire.DeviceInfo) {
	w := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "NAME\tLINKED\tBY\tLAST SEEN\tONLINE")
	for _, d := range ds {
		name, by, seen, online := d.Name, d.By, "-", ""
		if d.This {
			name += " (this)"
		}
		if by == "" {
			by = "-"
		}
		if !d.LastSeen.IsZero() {
			seen = d.LastSeen.Local().Format(time.DateTime)
		}
		if d.Online {
			online = "yes"
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\n", name, d.LinkedAt.Local().Format(time.DateTime), by, seen, online)
	}
	w.Flush()
}

func newUnlinkCmd() *cobra.Command {
	return deviceCommand(&cobra.Command{
		Use:   "unlink NAME",
		Short: "Remove a device from this number, at once (its calls end, its key cannot register)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, stop, err := deviceClient(cmd)
			if err != nil {
				return err
			}
			defer stop()
			if err := c.Unlink(cmd.Context(), args[0]); err != nil {
				return fmt.Errorf("unlinking %q: %w", args[0], err)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "unlinked %q\n", args[0])
			return nil
		},
	})
}

// defaultDeviceName names a device after its host, within the bound.
func defaultDeviceName() string {
	h, err := os.Hostname()
	if err != nil || !wire.DeviceName(h) {
		return ""
	}
	return h
}
