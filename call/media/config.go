package media

import (
	"fmt"
	"log/slog"
	"time"

	"github.com/pion/transport/v5"

	"github.com/dialtone/dialtone/call/wire"
	"github.com/dialtone/dialtone/device"
)

// Config configures a Session. The zero value is valid: a call that sends
// nothing and receives into nothing, over the real network, without TURN.
type Config struct {
	// Relay is the server's TURN relay for this call (URLs, username,
	// credential), from the `accepted` message. Nil: no TURN.
	Relay *wire.Relay
	// RelayOnly restricts ICE to relay candidates (media policy "relay"):
	// the parties never learn each other's addresses.
	RelayOnly bool
	// Offerer is set on the caller, which sends the offer.
	Offerer bool

	// Devices. Any may be nil: a missing source makes the call
	// receive-only for that medium; a missing sink discards what arrives.
	// The Session reads and writes them but does not close them.
	Camera  device.VideoSource
	Mic     device.AudioSource
	Speaker device.AudioSink
	// RemoteVideo receives the decoded remote pictures. Its Time is when
	// the picture was decoded.
	RemoteVideo device.VideoSink
	// LocalVideo, optional, receives the pictures we send, after any
	// downscaling (the self-view).
	LocalVideo device.VideoSink

	// StartKbps, MinKbps and MaxKbps bound the video bitrate (defaults
	// 300, 30 and 1500). The congestion controller's estimate moves the
	// target between MinKbps and MaxKbps, after audio's share (and below
	// MinKbps, to half of it, when the link cannot carry audio and MinKbps).
	StartKbps, MinKbps, MaxKbps int

	// Net is the network pion uses: a vnet for impairment tests. Nil: the
	// real network.
	Net transport.Net
	// Logger receives the session's logs. Default: discard.
	Logger *slog.Logger
	// Now is the clock for statistics and the synthetic pattern's latency.
	// Default time.Now.
	Now func() time.Time
	// DecodePattern reads the synthetic test pattern's frame number and
	// capture time out of each received picture, for Stats().Video.Pattern
	// (about 20 µs a picture; meaningless on a real camera's pictures, so
	// off by default).
	DecodePattern bool
}

// Defaults for Config's zero fields.
const (
	DefaultStartKbps = 300
	DefaultMinKbps   = 30
	DefaultMaxKbps   = 1500
)

// withDefaults fills c's zero fields and checks the result.
func (c Config) withDefaults() (Config, error) {
	if c.StartKbps == 0 {
		c.StartKbps = DefaultStartKbps
	}
	if c.MinKbps == 0 {
		c.MinKbps = DefaultMinKbps
	}
	if c.MaxKbps == 0 {
		c.MaxKbps = DefaultMaxKbps
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	return c, c.validate()
}

func (c Config) validate() error {
	switch {
	case c.MinKbps < 1 || c.MaxKbps < c.MinKbps:
		return fmt.Errorf("media: video bitrate bounds [%d, %d] kbit/s", c.MinKbps, c.MaxKbps)
	case c.StartKbps < c.MinKbps || c.StartKbps > c.MaxKbps:
		return fmt.Errorf("media: start bitrate %d kbit/s outside [%d, %d]", c.StartKbps, c.MinKbps, c.MaxKbps)
	case c.RelayOnly && (c.Relay == nil || len(c.Relay.URLs) == 0):
		return fmt.Errorf("media: relay-only policy without relay URLs")
	}
	return nil
}

// Log attribute keys.
const (
	keyKind  = "media.kind"
	keyState = "ice.state"
	keyKbps  = "kbps"
	keySize  = "size"
	keyFPS   = "fps"
)
