package main

import (
	"log/slog"

	"github.com/dialtone/dialtone/server"
	"github.com/dialtone/dialtone/server/echo"
	"github.com/dialtone/dialtone/server/switchboard"
)

// echoFactory starts the echo test (service code 600) on the server.
var echoFactory server.ServiceFactory = func(sb *switchboard.Switchboard, log *slog.Logger) (server.Service, error) {
	return echo.New(sb, echo.Config{Logger: log})
}
