package echo

import (
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/pion/transport/v5"
	"github.com/pion/webrtc/v4"
)

// Defaults.
const (
	DefaultCode         = "600"
	DefaultName         = "echo test"
	DefaultMaxCalls     = 32
	DefaultMaxDuration  = 10 * time.Minute
	DefaultSetupTimeout = 30 * time.Second
)

// Config describes an Echo. The zero value is valid.
type Config struct {
	// Code is the service code the echo answers; default "600".
	Code string
	// Name is what registered clients see in the services list; default
	// "echo test".
	Name string
	// MaxCalls bounds the echo calls at once; a call beyond it is refused.
	// Default 32.
	MaxCalls int
	// MaxDuration is how long one echo call may last before the echo hangs
	// up; default 10 minutes.
	MaxDuration time.Duration
	// SetupTimeout is how long a call may take from ringing to connected
	// media before the echo gives up and hangs up; default 30 s.
	SetupTimeout time.Duration

	// NetworkTypes are the ICE network types the echo's PeerConnections use.
	// Default: UDP in the family of the one relay URL the echo uses (the
	// first UDP one; UDP4 for turn:127.0.0.1:…), so that each call makes
	// exactly one allocation, on the service's lease.
	NetworkTypes []webrtc.NetworkType
	// Net is the network the PeerConnections use; default the host's (tests
	// may pass a pion vnet).
	Net transport.Net

	// Logger receives the echo's logs; default discard.
	Logger *slog.Logger
}

func (c *Config) validate() error {
	if c.Code == "" {
		c.Code = DefaultCode
	}
	if c.Name == "" {
		c.Name = DefaultName
	}
	if c.MaxCalls < 0 {
		return fmt.Errorf("max calls %d: want 0 (default) or more", c.MaxCalls)
	}
	if c.MaxCalls == 0 {
		c.MaxCalls = DefaultMaxCalls
	}
	if c.MaxDuration < 0 || c.SetupTimeout < 0 {
		return errors.New("max duration and setup timeout must not be negative")
	}
	if c.MaxDuration == 0 {
		c.MaxDuration = DefaultMaxDuration
	}
	if c.SetupTimeout == 0 {
		c.SetupTimeout = DefaultSetupTimeout
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return nil
}
