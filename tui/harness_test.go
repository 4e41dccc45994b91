package tui

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/dialtone/dialtone/call"
	"github.com/dialtone/dialtone/device"
	"github.com/dialtone/dialtone/tui/book"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// fakePhone records what the TUI asks of the engine; the test plays the
// engine's events into it. The TUI calls it from commands that often send
// no message back, so each call also wakes the driver's waitFor.
type fakePhone struct {
	events  chan call.Event
	mu      sync.Mutex
	calls   []string
	nextID  call.ID
	dialErr error
	wake    chan struct{} // one pending wake-up is enough: waitFor re-checks everything
	// dialBlock, if set, holds Dial until it is closed.
	dialBlock chan struct{}
	// devices, if set, is what Devices lists (under mu).
	devices []call.Device
}

func newFakePhone() *fakePhone {
	return &fakePhone{events: make(chan call.Event, 16), nextID: "c1", wake: make(chan struct{}, 1)}
}

func (p *fakePhone) record(s string) {
	p.mu.Lock()
	p.calls = append(p.calls, s)
	p.mu.Unlock()
	p.poke()
}

// poke wakes waitFor; tests call it from their own callbacks too.
func (p *fakePhone) poke() {
	select {
	case p.wake <- struct{}{}:
	default:
	}
}

func (p *fakePhone) Calls() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.calls...)
}

func (p *fakePhone) Events() <-chan call.Event { return p.events }
func (p *fakePhone) Dial(_ context.Context, n string) (call.ID, error) {
	p.record("dial " + n)
	if p.dialBlock != nil {
		<-p.dialBlock
	}
	return p.nextID, p.dialErr
}
func (p *fakePhone) LinkCode(context.Context) (string, time.Duration, error) {
	p.record("link")
	return "7K3M-Q9ZD-X2AB-PH4T", 5 * time.Minute, nil
}
func (p *fakePhone) Devices(context.Context) ([]call.Device, error) {
	p.record("devices")
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.devices != nil {
		return slices.Clone(p.devices), nil
	}
	return []call.Device{{Name: "desk", This: true}, {Name: "phone", Online: true, By: "desk"}}, nil
}
func (p *fakePhone) Accept(id call.ID) error { p.record("accept " + string(id)); return nil }
func (p *fakePhone) Refuse(id call.ID) error { p.record("refuse " + string(id)); return nil }
func (p *fakePhone) Hangup(id call.ID) error { p.record("hangup " + string(id)); return nil }
func (p *fakePhone) SetMuted(b bool) {
	if b {
		p.record("mute")
	} else {
		p.record("unmute")
	}
}
func (p *fakePhone) SendTones(id call.ID, d string) error {
	p.record("tones " + string(id) + " " + d)
	return nil
}
func (p *fakePhone) SetCamera(b bool) {
	if b {
		p.record("camera on")
	} else {
		p.record("camera off")
	}
}

type fakeRinger struct {
	mu      sync.Mutex
	ringing bool
	starts  int
	wake    chan struct{}
}

func (r *fakeRinger) Start() { r.mu.Lock(); r.ringing = true; r.starts++; r.mu.Unlock(); r.poke() }
func (r *fakeRinger) Stop()  { r.mu.Lock(); r.ringing = false; r.mu.Unlock(); r.poke() }
func (r *fakeRinger) poke() {
	select {
	case r.wake <- struct{}{}:
	default:
	}
}
func (r *fakeRinger) Ringing() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.ringing
}

// t0 is the fixed clock's start.
var t0 = time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)

// driver runs a Model the way Bubble Tea would, but in the test's
// goroutine: commands run in goroutines and their messages queue up until
// the test pumps them into Update.
type driver struct {
	t      *testing.T
	m      *Model
	phone  *fakePhone
	ringer *fakeRinger
	now    time.Time
	msgs   chan tea.Msg
	quit   bool
	bells  int
}

func newDriver(t *testing.T, cfg Config) *driver {
	t.Helper()
	d := newDriverUnregistered(t, cfg)
	if n := d.m.cfg.Number; n != "" {
		d.waitFor("connected", func() bool { return d.m.phone != nil })
		d.event(call.Event{Kind: call.EventRegistered, Number: n, Services: []call.Service{{Code: "600", Name: "echo test"}}})
		d.waitFor("registered", func() bool { return d.m.status.OK })
	}
	return d
}

// newDriverUnregistered is newDriver up to the engine's start: the test
// plays the server's answer to the registration.
func newDriverUnregistered(t *testing.T, cfg Config) *driver {
	t.Helper()
	d := &driver{t: t, phone: newFakePhone(), ringer: &fakeRinger{wake: make(chan struct{}, 1)}, now: t0, msgs: make(chan tea.Msg, 64)}
	if cfg.Connect == nil {
		cfg.Connect = func(context.Context, string) (Phone, error) { return d.phone, nil }
	}
	if cfg.Number == "" {
		cfg.Number = "+12025550100"
	} else if cfg.Number == "-" {
		cfg.Number = ""
	}
	cfg.Ringer = d.ringer
	cfg.Now = func() time.Time { return d.now }
	if cfg.Book == nil {
		cfg.Book = &book.Book{}
	}
	d.m = New(cfg)
	d.run(d.m.Init())
	d.send(tea.WindowSizeMsg{Width: 80, Height: 24})
	return d
}

// run executes cmd (and what it expands to) in goroutines.
func (d *driver) run(cmd tea.Cmd) {
	if cmd == nil {
		return
	}
	go func() {
		if msg := cmd(); msg != nil {
			d.msgs <- msg
		}
	}()
}

// deliver feeds one message to Update, expanding batches and sequences.
func (d *driver) deliver(msg tea.Msg) {
	switch msg := msg.(type) {
	case tea.BatchMsg:
		for _, c := range msg {
			d.run(c)
		}
		return
	case tea.QuitMsg:
		d.quit = true
		return
	case tea.RawMsg:
		if msg.Msg == "\a" {
			d.bells++
		}
		return
	}
	// tea.Sequence's message is unexported: a slice of commands run in order.
	if v := reflect.ValueOf(msg); v.Kind() == reflect.Slice && v.Type().Elem() == reflect.TypeOf(tea.Cmd(nil)) {
		cmds := make([]tea.Cmd, v.Len())
		for i := range cmds {
			cmds[i] = v.Index(i).Interface().(tea.Cmd)
		}
		go func() {
			for _, c := range cmds {
				if c == nil {
					continue
				}
				if m := c(); m != nil {
					d.msgs <- m
				}
			}
		}()
		return
	}
	_, cmd := d.m.Update(msg)
	d.run(cmd)
}

func (d *driver) send(msg tea.Msg) { d.deliver(msg) }

func (d *driver) key(keys ...string) {
	for _, k := range keys {
		d.send(keyMsg(k))
	}
}

func keyMsg(k string) tea.KeyPressMsg {
	switch k {
	case "enter":
		return tea.KeyPressMsg{Code: tea.KeyEnter}
	case "esc":
		return tea.KeyPressMsg{Code: tea.KeyEscape}
	case "backspace":
		return tea.KeyPressMsg{Code: tea.KeyBackspace}
	case "tab":
		return tea.KeyPressMsg{Code: tea.KeyTab}
	case "up":
		return tea.KeyPressMsg{Code: tea.KeyUp}
	case "down":
		return tea.KeyPressMsg{Code: tea.KeyDown}
	case "ctrl+c":
		return tea.KeyPressMsg{Code: 'c', Mod: tea.ModCtrl}
	}
	r := []rune(k)
	return tea.KeyPressMsg{Code: r[0], Text: k}
}

// typeText types s one rune at a time.
func (d *driver) typeText(s string) {
	for _, r := range s {
		d.send(tea.KeyPressMsg{Code: r, Text: string(r)})
	}
}

// dial types a number, presses enter, and waits for the engine's Dial.
func (d *driver) dial(n string) {
	d.t.Helper()
	d.typeText(n)
	d.key("enter")
	n = strings.ReplaceAll(n, " ", "")
	d.waitCall("dial " + n)
	d.waitFor("the dial's ID", func() bool { return d.m.cur != nil && d.m.cur.id != "" })
}

func (d *driver) event(ev call.Event) {
	if ev.Time.IsZero() {
		ev.Time = d.now
	}
	d.phone.events <- ev
}

// waitFor pumps messages until cond holds, re-checking it after every
// message and every call the TUI makes of the engine (those come from
// commands' goroutines, often with no message after them); the deadline
// only guards against a hang, it is not part of the behaviour.
func (d *driver) waitFor(what string, cond func() bool) {
	d.t.Helper()
	deadline := time.After(5 * time.Second)
	for !cond() {
		select {
		case msg := <-d.msgs:
			d.deliver(msg)
		case <-d.phone.wake:
		case <-d.ringer.wake:
		case <-deadline:
			d.t.Fatalf("timed out waiting for %s; screen %d, phone calls %v\n%s", what, d.m.screen, d.phone.Calls(), ansi.Strip(d.m.Content()))
		}
	}
}

func (d *driver) waitCall(s string) {
	d.t.Helper()
	d.waitFor("phone call "+s, func() bool {
		for _, c := range d.phone.Calls() {
			if c == s {
				return true
			}
		}
		return false
	})
}

// helpBar is the view's last line, without escapes.
func helpBar(view string) string {
	lines := strings.Split(ansi.Strip(view), "\n")
	return lines[len(lines)-1]
}

// golden compares the view, without escape sequences, to testdata/name.golden.
// The name ends in _WxH, the size the view must fill exactly.
func golden(t *testing.T, name, got string) {
	t.Helper()
	var w, h int
	if _, err := fmt.Sscanf(name[strings.LastIndexByte(name, '_')+1:], "%dx%d", &w, &h); err != nil {
		t.Fatalf("golden name %q does not end in _WxH", name)
	}
	checkSize(t, got, w, h)
	got = ansi.Strip(got)
	path := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		t.Fatalf("no golden %s; run go test -update", path)
	}
	if err != nil {
		t.Fatal(err)
	}
	if got != string(want) {
		t.Errorf("%s differs from the golden file:\n--- got\n%s\n--- want\n%s", name, got, want)
	}
}

// checkSize fails when the view is not exactly w×h cells.
func checkSize(t *testing.T, view string, w, h int) {
	t.Helper()
	lines := strings.Split(view, "\n")
	if len(lines) != h {
		t.Errorf("view has %d lines, want %d", len(lines), h)
	}
	for i, l := range lines {
		if n := ansi.StringWidth(l); n > w {
			t.Errorf("line %d is %d cells wide, more than %d: %q", i, n, w, ansi.Strip(l))
		}
	}
}

// gradient is a known frame: red rising left to right, blue top to bottom.
func gradient(w, h int) device.Frame {
	f := device.NewFrame(w, h)
	for y := range h {
		for x := range w {
			r, g, b := 255*x/w, 64, 255*y/h
			f.Y[y*w+x] = uint8((66*r+129*g+25*b+128)>>8 + 16)
			if x%2 == 0 && y%2 == 0 {
				f.U[y/2*w/2+x/2] = uint8((-38*r-74*g+112*b+128)>>8 + 128)
				f.V[y/2*w/2+x/2] = uint8((112*r-94*g-18*b+128)>>8 + 128)
			}
		}
	}
	return f
}
