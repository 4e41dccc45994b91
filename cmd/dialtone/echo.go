package main

import "github.com/dialtone/dialtone/server"

// echoFactory starts the echo test on the server; the call engine provides
// it (issue 4). Until then the server runs without it.
var echoFactory server.ServiceFactory
