package tui

import (
	"context"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/dialtone/dialtone/call"
	"github.com/dialtone/dialtone/tui/pages/link"
)

// Linker is what an engine offers when it can link another device to the
// number: a one-time code, good for the duration returned, with which the
// engine signs in the one device that comes with it (EventLinked).
type Linker interface {
	LinkCode(ctx context.Context) (code string, ttl time.Duration, err error)
	// Devices lists the number's devices.
	Devices(ctx context.Context) ([]call.Device, error)
}

// linkState is the link screen's.
type linkState struct {
	code    string
	expires time.Time
	joined  []string
	devices []call.Device
	err     string
	gen     uint64 // of the screen's tick
}

func (l *linkState) info(number string) link.Info {
	return link.Info{Number: number, Code: l.code, Expires: l.expires, Joined: l.joined, Devices: l.devices, Err: l.err}
}

type (
	linkCodeMsg struct {
		code string
		ttl  time.Duration
		err  error
	}
	linkTickMsg    struct{ gen uint64 }
	linkDevicesMsg struct {
		gen     uint64
		devices []call.Device
	}
)

// linkAsk bounds asking the server for a code.
const linkAsk = 10 * time.Second

// openLink shows the link screen and asks the engine for a code.
func (m *Model) openLink() tea.Cmd {
	l, ok := m.phone.(Linker)
	if !ok || !m.status.OK {
		m.home.SetError("linking a device needs the phone registered with a server")
		return nil
	}
	m.link = linkState{gen: m.link.gen + 1}
	m.screen = ScreenLink
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(context.Background(), linkAsk)
		defer cancel()
		code, ttl, err := l.LinkCode(ctx)
		return linkCodeMsg{code: code, ttl: ttl, err: err}
	}
}

func (m *Model) onLinkCode(msg linkCodeMsg) {
	if msg.err != nil {
		m.link.err = "no link code: " + msg.err.Error()
		return
	}
	m.link.code, m.link.expires = msg.code, m.c.Now().Add(msg.ttl)
}

// listDevices asks the engine for the number's devices, for the screen.
func (m *Model) listDevices() tea.Cmd {
	l, ok := m.phone.(Linker)
	if !ok {
		return nil
	}
	gen := m.link.gen
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(context.Background(), linkAsk)
		defer cancel()
		ds, err := l.Devices(ctx)
		if err != nil {
			return nil // the list is a courtesy; the code is what matters
		}
		return linkDevicesMsg{gen: gen, devices: ds}
	}
}

func (m *Model) onLinkDevices(msg linkDevicesMsg) {
	if msg.gen == m.link.gen {
		m.link.devices = msg.devices
	}
}

// onLinkTick redraws the time left once a second while the screen shows.
func (m *Model) onLinkTick(msg linkTickMsg) tea.Cmd {
	if msg.gen != m.link.gen || m.screen != ScreenLink {
		return nil
	}
	return m.linkTick()
}

func (m *Model) linkTick() tea.Cmd {
	gen := m.link.gen
	return tea.Tick(time.Second, func(time.Time) tea.Msg { return linkTickMsg{gen: gen} })
}

// onLinked notes a device that joined with our code, on the link screen
// and on the home page.
func (m *Model) onLinked(ev call.Event) tea.Cmd {
	m.link.joined = append(m.link.joined, ev.Device)
	m.home.SetNote("linked " + ev.Device + " to this number")
	if m.screen == ScreenLink {
		return m.listDevices()
	}
	return nil
}
