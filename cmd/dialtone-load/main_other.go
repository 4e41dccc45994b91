//go:build !linux

package main

import (
	"fmt"
	"os"
)

// The tool drives its clients over epoll; elsewhere it only says so.
func main() {
	fmt.Fprintln(os.Stderr, "dialtone-load: a Linux load tool (it drives its clients with epoll)")
	os.Exit(2)
}
