// Package tui is the phone's terminal face: a Bubble Tea program that dials,
// answers, and shows a call's video in the terminal. It talks to the call
// engine only through the small Phone interface declared here, so it never
// imports the media stack, device drivers or the server; cmd/dialtone wires
// the real engine in.
//
// Layout: the root Model (this package) owns the call state and routes
// messages; pages/ are the screens (setup, home, contact, outgoing,
// incoming, incall, summary), components/ the widgets (videopane, field,
// meter), styles/ and keymap/ the one place styles and keys are built, and
// book/ the contacts and history.
package tui

import (
	"context"
	"log/slog"
	"time"

	"github.com/dialtone/dialtone/call"
	"github.com/dialtone/dialtone/tui/book"
	"github.com/dialtone/dialtone/tui/components/videopane"
)

// Phone is what the TUI needs of the call engine. Every method but Events
// may block on the network, so the TUI calls them from commands, never from
// Update.
type Phone interface {
	// Events delivers the engine's events; it is closed when the engine stops.
	Events() <-chan call.Event
	// Dial calls a normalised number and returns the call's ID. An ID with
	// an error (the number is unavailable or busy) is a call whose events
	// say how it ended; an error alone is a dial that made no call.
	Dial(ctx context.Context, number string) (call.ID, error)
	// Accept takes an incoming call.
	Accept(id call.ID) error
	// Refuse turns an incoming call down.
	Refuse(id call.ID) error
	// Hangup ends a call, or cancels it while it rings.
	Hangup(id call.ID) error
	// SetMuted mutes or unmutes the microphone.
	SetMuted(muted bool)
	// SetCamera turns the camera on or off.
	SetCamera(on bool)
	// SendTones sends keypad digits in an active call, as telephone
	// events on its audio.
	SendTones(id call.ID, digits string) error
}

// Device is one of the phone's devices as the home screen names it.
type Device struct {
	Kind string // "camera", "mic" or "speaker"
	Name string // what is in use: a path, a name, "default", "test pattern"
	// Off: the user chose none. Missing says why a default was not found
	// or would not open.
	Off     bool
	Missing string
}

// Ringer plays the ringtone while a call comes in. Both methods return at
// once; Stop on a silent ringer does nothing.
type Ringer interface {
	Start()
	Stop()
}

// DefaultFPS is the video frame rate cap when Config.FPS is zero.
const DefaultFPS = 30

// Config describes the phone's TUI. Zero values are valid except Connect.
type Config struct {
	// Number is the user's own number; empty starts with the first-run form.
	Number string
	// Region is the ISO country for numbers typed without a country code;
	// default: the country of Number.
	Region string
	// Connect starts the engine registered as number and returns it. It is
	// called from a command with a bounded ctx; the engine's own life is the
	// caller's business (cmd/dialtone runs and stops it). Required.
	Connect func(ctx context.Context, number string) (Phone, error)
	// Server is the signalling URL, named when it cannot be reached; empty
	// says "the server".
	Server string
	// SaveNumber remembers the number the first-run form asked for, once
	// the server has accepted it; nil forgets it.
	SaveNumber func(number string) error
	// RememberNumber: Number is not remembered yet (it was given on the
	// command line), so SaveNumber gets it once the server accepts it, as
	// it gets the first-run form's. A number the server refuses is never
	// saved: the form asks for another.
	RememberNumber bool
	// Devices are the camera, microphone and speaker the phone found, for
	// the home screen to name; empty says nothing.
	Devices []Device
	// Ringer plays the ringtone; nil is silent (the terminal bell still rings).
	Ringer Ringer
	// Remote and Local are the mailboxes the engine writes the remote video
	// and the camera's picture into; nil shows no video.
	Remote, Local *Mailbox
	// FPS caps the video frame rate; default DefaultFPS.
	FPS int
	// Video, when set, paints the in-call video outside Bubble Tea's cell
	// renderer, which must then write through it too (tea.WithOutput); nil
	// draws the video as part of the view.
	Video *videopane.Output
	// Glyphs is how the painted video divides a cell: half-blocks (the
	// default), quadrants or sextants.
	Glyphs videopane.Glyphs
	// Pictures draws the painted video as pictures, in the protocol of
	// the Video output (kitty graphics, sixel, iTerm2 images), falling back
	// to Glyphs where a pane shows only text.
	Pictures bool
	// ASCII draws the video as plain characters whatever the terminal's
	// colours.
	ASCII bool
	// Book is the contacts and history; nil is an empty book.
	Book *book.Book
	// BookPath is where the book is saved; empty keeps it in memory.
	BookPath string
	// Keys are the pinned device keys the engine keeps; the summary's keys
	// accept a changed key or mark a number verified in them. Nil: those
	// keys are off.
	Keys *book.Keys
	// WebURL is the browser phone's address on the embedded server, shown
	// on the status line once registered; empty shows none.
	WebURL string
	// Now is the clock; default time.Now.
	Now func() time.Time
	// Logger receives the TUI's log; default discards. Never the terminal.
	Logger *slog.Logger
}

func (c *Config) validate() {
	if c.FPS <= 0 {
		c.FPS = DefaultFPS
	}
	c.FPS = min(c.FPS, 120)
	if c.Book == nil {
		c.Book = &book.Book{}
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.Remote == nil {
		c.Remote = &Mailbox{}
	}
	if c.Local == nil {
		c.Local = &Mailbox{}
	}
}
