// Command dialtone is a video phone for the terminal and the server behind it.
//
// Without a subcommand it runs the phone; `dialtone server` runs the headless
// server, `dialtone call` the headless client.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	// The first signal stops the program in order; a second one, should
	// that ever hang, kills it the default way.
	go func() { <-ctx.Done(); stop() }()
	err := newRootCmd().ExecuteContext(ctx)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "dialtone:", err)
		os.Exit(exitCode(err))
	}
}
