package tui

import (
	"context"
	"slices"
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
	listing bool   // a device list is on its way
	relists int    // lists asked for again for a device that joined
}

// linkRelists bounds how often the screen asks again for a list that lacks
// a device that joined (one that was signed for but never stored would
// otherwise be asked about every second).
const linkRelists = 5

// lacksJoined says whether a device that joined is not on the list yet.
func (l *linkState) lacksJoined() bool {
	for _, j := range l.joined {
		if !slices.ContainsFunc(l.devices, func(d call.Device) bool { return d.Name == j }) {
			return true
		}
	}
	return false
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
		failed  bool
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
	m.link.listing = true
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(context.Background(), linkAsk)
		defer cancel()
		ds, err := l.Devices(ctx)
		// The list is a courtesy: on an error the screen keeps the one
		// it has; the code is what matters.
		return linkDevicesMsg{gen: gen, devices: ds, failed: err != nil}
	}
}

func (m *Model) onLinkDevices(msg linkDevicesMsg) {
	if msg.gen != m.link.gen {
		return
	}
	m.link.listing = false
	if !msg.failed {
		m.link.devices = msg.devices
	}
}

// onLinkTick redraws the time left once a second while the screen shows,
// and asks for the devices again while one that joined is not among them:
// the phone hears of the device when it signs its certificate, before the
// server has stored it, so the list asked for then can be a step behind.
func (m *Model) onLinkTick(msg linkTickMsg) tea.Cmd {
	if msg.gen != m.link.gen || m.screen != ScreenLink {
		return nil
	}
	if !m.link.listing && m.link.relists < linkRelists && m.link.lacksJoined() {
		m.link.relists++
		return tea.Batch(m.linkTick(), m.listDevices())
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
