package dnsserver

import "errors"

// Errors from New and Serve. None is exported: no caller branches on them;
// they say what is wrong with a configuration a person wrote.
var (
	errNoResolver = errors.New("no resolver")
	errNoListener = errors.New("neither a packet conn nor a listener")
)
