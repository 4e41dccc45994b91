package tui

import (
	"context"
	"errors"
	"time"

	"charm.land/bubbles/v2/help"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/colorprofile"

	"github.com/dialtone/dialtone/call"
	"github.com/dialtone/dialtone/call/number"
	"github.com/dialtone/dialtone/tui/book"
	"github.com/dialtone/dialtone/tui/common"
	"github.com/dialtone/dialtone/tui/components/videopane"
	"github.com/dialtone/dialtone/tui/keymap"
	"github.com/dialtone/dialtone/tui/pages/contact"
	"github.com/dialtone/dialtone/tui/pages/home"
	"github.com/dialtone/dialtone/tui/pages/incall"
	"github.com/dialtone/dialtone/tui/pages/setup"
	"github.com/dialtone/dialtone/tui/pages/summary"
	"github.com/dialtone/dialtone/tui/styles"
)

// Screen is which page is showing; the incoming dialog sits on top of any.
type Screen int

// Screens.
const (
	ScreenSetup Screen = iota
	ScreenHome
	ScreenContact
	ScreenOutgoing
	ScreenInCall
	ScreenSummary
	ScreenLink
)

// Timeouts for engine calls made from commands.
const (
	connectTimeout = 30 * time.Second
	dialTimeout    = 30 * time.Second
	hangupTimeout  = 3 * time.Second
)

// activeCall is the call on the outgoing or in-call screen.
type activeCall struct {
	id        call.ID
	peer      string
	outgoing  bool
	ringing   bool
	dialedAt  time.Time
	start     time.Time // accepted
	connected bool
	local     string
	remote    string
	media     string
	stats     *call.Stats
	hangingUp bool
	// peerCameraOff: the other side says its camera sends nothing.
	peerCameraOff bool
	// lastFrame is when the last remote picture arrived.
	lastFrame time.Time
	// trust is what the engine made of the peer's signed statement.
	trust *call.Trust
	// keysSent and keysHeard are the keypad tones of the call, ours and
	// the other side's (the last few). keysQueued wait for the one
	// SendTones in flight (keysBusy): commands run concurrently, and keys
	// must go in the order typed.
	keysSent, keysHeard string
	keysQueued          string
	keysBusy            bool
}

// incomingCall is the call the dialog asks about.
type incomingCall struct {
	id      call.ID
	peer    string
	waiting bool
	at      time.Time
}

// Model is the root model.
type Model struct {
	cfg    Config
	c      *common.Common
	saver  *book.Saver
	phone  Phone
	status home.Status
	screen Screen

	home    home.Model
	contact contact.Model
	setup   setup.Model
	incall  *incall.Model
	summary summary.Info
	link    linkState

	cur     *activeCall
	ringing *incomingCall
	// queued are further incoming calls, oldest first, each asked about in
	// its turn once the dialog's call is answered, refused or gone: one
	// caller ringing us must not keep the next from reaching us.
	queued   []*incomingCall
	muted    bool
	cameraOn bool
	stats    bool

	tickGen             uint64
	remoteSeq, localSeq uint64
	mode                videopane.ColorMode
	videoLayout         videoLayout
	videoPictures       bool // the last frame went as pictures
	resizeGen           int  // the last resize, for its settled message
	images, imagesSent  []videopane.Image
	saveSeq             uint64
	quitting            bool
	notices             serverNotices
}

// New returns the root model.
func New(cfg Config) *Model {
	cfg.validate()
	if cfg.Region == "" {
		// National numbers are read as one's own country's.
		cfg.Region = number.Region(number.Number(cfg.Number))
	}
	m := &Model{
		cfg: cfg,
		c: &common.Common{
			Width: 80, Height: 24, Styles: styles.Default(true), Keys: keymap.Default(),
			Help: help.New(), Region: cfg.Region, Now: cfg.Now, Book: cfg.Book,
		},
		home:     home.New(),
		setup:    setup.New(),
		incall:   incall.New(),
		cameraOn: true,
		screen:   ScreenHome,
		status:   home.Status{Text: "connecting…"},
	}
	m.c.Help.Styles = m.c.Styles.Help
	m.home.SetDevices(devicesLines(cfg.Devices))
	m.incall.Raw = cfg.Video != nil
	m.incall.SetGlyphs(cfg.Glyphs)
	if cfg.ASCII {
		m.mode = videopane.NoColor
		m.incall.SetColorMode(m.mode)
	}
	if cfg.BookPath != "" {
		m.saver = &book.Saver{Path: cfg.BookPath}
	}
	if cfg.Number == "" {
		m.screen = ScreenSetup
		m.status = home.Status{Text: "not registered"}
	} else if cfg.RememberNumber {
		m.notices.saveNumber = cfg.Number
	}
	return m
}

// Screen returns the page showing.
func (m *Model) Screen() Screen { return m.screen }

// Init connects the engine when the number is known.
func (m *Model) Init() tea.Cmd {
	if m.cfg.Number == "" {
		return nil
	}
	return m.connect(m.cfg.Number)
}

// Messages the model sends itself.
type (
	connectedMsg struct {
		phone Phone
		err   error
	}
	eventMsg struct {
		ev call.Event
		ok bool
	}
	dialedMsg struct {
		number string
		id     call.ID
		err    error
	}
	engineErrMsg struct {
		op  string
		id  call.ID
		err error
	}
	tickMsg  struct{ gen uint64 }
	savedMsg struct{ err error }
	// trustedMsg reports a change to the pinned keys the user asked for.
	trustedMsg struct {
		number, note string
		err          error
	}
)

func (m *Model) connect(number string) tea.Cmd {
	connect := m.cfg.Connect
	return func() tea.Msg {
		if connect == nil {
			return connectedMsg{err: errors.New("no call engine")}
		}
		ctx, cancel := context.WithTimeout(context.Background(), connectTimeout)
		defer cancel()
		p, err := connect(ctx, number)
		return connectedMsg{phone: p, err: err}
	}
}

// waitEvent waits for the engine's next event; Update re-arms it.
func waitEvent(ch <-chan call.Event) tea.Cmd {
	return func() tea.Msg {
		ev, ok := <-ch
		return eventMsg{ev: ev, ok: ok}
	}
}

// Update dispatches; the work lives in the named methods.
func (m *Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.c.Width, m.c.Height = msg.Width, msg.Height
		return m, m.onResize()
	case resizedMsg:
		if msg.gen == m.resizeGen {
			return m, tea.ClearScreen
		}
	case tea.ColorProfileMsg:
		if !m.cfg.ASCII {
			m.mode = ColorMode(msg.Profile)
			m.incall.SetColorMode(m.mode)
		}
	case tea.BackgroundColorMsg:
		m.c.Styles = styles.Default(msg.IsDark())
		m.c.Help.Styles = m.c.Styles.Help
	case tea.KeyPressMsg:
		return m, m.handleKey(msg)
	case connectedMsg:
		return m, m.onConnected(msg)
	case eventMsg:
		return m, m.onEvent(msg)
	case dialedMsg:
		return m, m.onDialed(msg)
	case engineErrMsg:
		m.onEngineErr(msg)
	case keysSentMsg:
		return m, m.onKeysSent(msg)
	case tickMsg:
		return m, m.onTick(msg)
	case trustedMsg:
		m.onTrusted(msg)
	case savedMsg:
		if msg.err != nil {
			m.cfg.Logger.Error("saving contacts", "err", msg.err)
		}
	case setup.DoneMsg:
		return m, m.onSetupDone(msg)
	case home.DialMsg:
		return m, m.dial(msg.Number)
	case home.EditMsg:
		m.contact = contact.New(msg.Index, msg.Contact, m.c.Region)
		m.screen = ScreenContact
	case home.LinkMsg:
		return m, m.openLink()
	case linkCodeMsg:
		m.onLinkCode(msg)
		return m, tea.Batch(m.linkTick(), m.listDevices())
	case linkDevicesMsg:
		m.onLinkDevices(msg)
	case linkTickMsg:
		return m, m.onLinkTick(msg)
	case home.DeleteMsg:
		m.c.Book.Delete(msg.Index)
		return m, m.save()
	case contact.SaveMsg:
		m.c.Book.Put(msg.Index, msg.Contact)
		m.screen = ScreenHome
		return m, m.save()
	case contact.CancelMsg:
		m.screen = ScreenHome
	}
	return m, nil
}

func (m *Model) onSetupDone(msg setup.DoneMsg) tea.Cmd {
	m.cfg.Number = msg.Number
	if m.c.Region == "" {
		m.c.Region = number.Region(number.Number(msg.Number))
	}
	m.screen = ScreenHome
	m.status = home.Status{Text: "connecting…"}
	// The number is remembered once the server accepts it, not before: a
	// number it refuses must not be written to the config.
	m.notices.saveNumber, m.notices.rejected = msg.Number, false
	return m.connect(msg.Number)
}

func (m *Model) onConnected(msg connectedMsg) tea.Cmd {
	if msg.err != nil {
		m.cfg.Logger.Error("starting the call engine", "err", msg.err)
		m.status = home.Status{Text: "offline: " + msg.err.Error(), Err: true}
		return nil
	}
	m.phone = msg.phone
	m.status = home.Status{Text: "registering " + m.c.FormatNumber(m.cfg.Number) + "…"}
	return waitEvent(m.phone.Events())
}

// save writes the book from a command; the snapshot is taken now.
func (m *Model) save() tea.Cmd {
	if m.saver == nil {
		return nil
	}
	m.saveSeq++
	seq, data, s := m.saveSeq, m.c.Book.Snapshot(), m.saver
	return func() tea.Msg { return savedMsg{err: s.Save(seq, data)} }
}

// ColorMode maps the terminal's colour profile to the video's colour mode:
// truecolour where the terminal has it, the 256-colour palette for 256 or
// 16 colours (Bubble Tea downsamples further for 16), plain text without.
func ColorMode(p colorprofile.Profile) videopane.ColorMode {
	switch {
	case p == colorprofile.TrueColor:
		return videopane.TrueColor
	case p >= colorprofile.ANSI:
		return videopane.ANSI256
	}
	return videopane.NoColor
}
