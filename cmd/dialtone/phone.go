package main

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"fmt"
	"github.com/charmbracelet/x/term"
	"log"
	"log/slog"
	"math/big"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"

	tea "charm.land/bubbletea/v2"
	"github.com/spf13/cobra"

	"github.com/dialtone/dialtone/call/number"
	"github.com/dialtone/dialtone/call/sigclient"
	"github.com/dialtone/dialtone/device"
	"github.com/dialtone/dialtone/server"
	"github.com/dialtone/dialtone/tui"
	"github.com/dialtone/dialtone/tui/book"
	"github.com/dialtone/dialtone/tui/components/videopane"
)

func init() {
	rootFlags = addPhoneFlags
	rootRun = runPhone
}

func addPhoneFlags(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.String("config", defaultConfigPath(), "config file (flat TOML; flags win over it)")
	fl.String("server", "", "signalling URL ws://host:port/v1, wss://host/v1, or host:port (empty: an embedded local server with the echo test on 600)")
	fl.String("number", "", "your own number, E.164, remembered in the config once the server accepts it (empty: the config's, or asked on first run)")
	fl.String("data", "", "data directory: key pair, contacts, history, log (default: phone/ beside the config file)")
	fl.String("camera", "auto", "camera: auto, a V4L2 device path, test (moving pattern) or none")
	fl.String("mic", "default", "microphone: default, a PortAudio device name or index, test (a tone; or tone:HZ) or none")
	fl.String("speaker", "default", "speaker: default, a PortAudio device name or index, or none")
	fl.String("region", "", "your country (ISO 3166, e.g. US) for numbers without a country code (default: your number's)")
	fl.Int("fps", tui.DefaultFPS, "most video frames drawn per second (1–120)")
	fl.String("video", "auto", "how video is drawn: auto, blocks (half-blocks), quadrant, sextant (needs a font with Unicode 13 sextants), kitty (graphics protocol), sixel, iterm (iTerm2 inline images) or ascii; auto asks the terminal for kitty graphics, then iTerm2/WezTerm, then sixel (not inside tmux), else blocks")
	fl.String("invite", "", "one-time invite code, for a server that registers new numbers by invitation")
	fl.String("link", "", "one-time link code from another device of --number (dialtone link there): this device joins the number")
	fl.String("device", "", "this device's name among the number's devices (default: the host name)")
}

// phoneOptions are the phone's settings after the config file and flags.
type phoneOptions struct {
	configPath string
	// invite is used once, at the first registration; it is not remembered.
	invite string
	// link is a link code, used once like invite; device names this device.
	link, device string
	// rememberNumber: the number was given on the command line and the
	// config file says another (or none); the phone writes it there once
	// the server accepts it.
	rememberNumber bool
	phoneConfig
}

// phoneOptionsFrom reads the config file and lets the flags given on the
// command line override it; flags left alone only fill what the file does
// not say.
func phoneOptionsFrom(cmd *cobra.Command) (phoneOptions, error) {
	fl := cmd.Flags()
	path, _ := fl.GetString("config")
	file, err := loadPhoneConfig(path)
	if err != nil {
		return phoneOptions{}, err
	}
	o := phoneOptions{configPath: path, phoneConfig: file}
	str := func(name string, dst *string) {
		if v, _ := fl.GetString(name); fl.Changed(name) || *dst == "" {
			*dst = v
		}
	}
	str("server", &o.Server)
	str("number", &o.Number)
	str("data", &o.Data)
	str("camera", &o.Camera)
	str("mic", &o.Mic)
	str("speaker", &o.Speaker)
	str("region", &o.Region)
	str("video", &o.Video)
	if _, _, err := videoMode(o.Video); err != nil {
		return o, err
	}
	o.invite, _ = fl.GetString("invite")
	o.link, _ = fl.GetString("link")
	o.device, _ = fl.GetString("device")
	if o.device == "" {
		o.device = defaultDeviceName()
	}
	if fps, _ := fl.GetInt("fps"); fl.Changed("fps") || o.FPS == 0 {
		o.FPS = fps
	}
	if o.FPS < 1 || o.FPS > 120 {
		return o, fmt.Errorf("--fps %d: want 1 to 120", o.FPS)
	}
	if o.Server != "" {
		// host:port is taken, as ws://host:port/v1; a bare word is refused
		// rather than dialled as ws://word/v1.
		u, err := sigclient.ParseURL(o.Server)
		if err != nil {
			return o, fmt.Errorf("--server: %w", err)
		}
		o.Server = u
	}
	if o.Data == "" {
		// Beside the config file (by default the same place), so that a
		// second phone on one machine needs only its own --config.
		o.Data = defaultDataDir("phone")
		if path != "" {
			o.Data = filepath.Join(filepath.Dir(path), "phone")
		}
	}
	o.Data = expandHome(o.Data)
	if o.Number != "" {
		n, err := number.Parse(o.Number, o.Region)
		if err != nil || n.IsService() {
			return o, fmt.Errorf("your number %q: %s", o.Number, reasonOwn(err, n))
		}
		o.Number = string(n)
		if o.Region == "" {
			o.Region = number.Region(n) // national numbers are one's own country's
		}
		if fl.Changed("number") {
			was, err := number.Parse(file.Number, o.Region)
			o.rememberNumber = err != nil || was != n
		}
	}
	return o, nil
}

// reasonOwn says why a number cannot be one's own.
func reasonOwn(err error, n number.Number) string {
	if err != nil {
		return number.Reason(err)
	}
	return n.String() + " is a service code, not a number; write yours with + and the country code"
}

func expandHome(p string) string {
	if rest, ok := strings.CutPrefix(p, "~/"); ok {
		if h, err := os.UserHomeDir(); err == nil {
			return filepath.Join(h, rest)
		}
	}
	return p
}

// engineConfig is what the call engine is built from.
type engineConfig struct {
	URL, Number, Region string
	Invite              string
	Link, Device        string
	Key                 ed25519.PrivateKey
	// The devices the phone opened (nil: missing or none); the engine
	// never closes them.
	Camera  device.VideoSource
	Mic     device.AudioSource
	Speaker device.AudioSink
	// RemoteVideo and LocalVideo are the TUI's mailboxes.
	RemoteVideo, LocalVideo device.VideoSink
	// Keys are the pinned device keys of the numbers called (keys.json).
	Keys   *book.Keys
	Logger *slog.Logger
}

// engine is a built call engine: the phone, its Run, the ringtone on the
// speaker (nil: silent), and Close for the devices it opened.
type engine struct {
	phone  tui.Phone
	run    func(ctx context.Context) error
	ringer tui.Ringer
	close  func()
}

// newEngine builds the call engine (call/session with call/media and the
// devices); engine.go sets it. Without it the phone shows itself offline.
var newEngine func(ctx context.Context, cfg engineConfig) (*engine, error)

var errNoEngine = errors.New("this build has no call engine")

var errNoTerminal = errors.New("the phone needs a terminal: its input and output are a pipe or a file here, " +
	"where it could show nothing; run it in a terminal, or make a call without one with `dialtone call`")

// isTerminal reports whether f is a terminal, touching its descriptor only
// inside its raw connection: File.Fd would make it blocking.
func isTerminal(f *os.File) bool {
	rc, err := f.SyscallConn()
	if err != nil {
		return false
	}
	ok := false
	if rc.Control(func(fd uintptr) { ok = term.IsTerminal(fd) }) != nil {
		return false
	}
	return ok
}

func runPhone(cmd *cobra.Command, _ []string) error {
	o, err := phoneOptionsFrom(cmd)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(o.Data, 0o700); err != nil {
		return fmt.Errorf("creating the data directory: %w", err)
	}
	logFile, err := os.OpenFile(filepath.Join(o.Data, "dialtone.log"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		return fmt.Errorf("opening the log: %w", err)
	}
	defer logFile.Close()
	// While the TUI owns the terminal nothing may write to it: the phone's
	// log, slog's default, the standard logger and (for C libraries) file
	// descriptor 2 all go to the file.
	logger := slog.New(slog.NewTextHandler(logFile, &slog.HandlerOptions{Level: slog.LevelInfo}))
	slog.SetDefault(logger)
	log.SetOutput(logFile)
	defer redirectStderr(logFile)()

	bookPath := filepath.Join(o.Data, "book.json")
	bk, err := book.Load(bookPath)
	if err != nil {
		return err
	}
	keys := &book.Keys{Path: filepath.Join(o.Data, keysFile)}
	// The identity key is the one `dialtone call --data` uses.
	key, err := loadOrCreateKey(o.Data)
	if err != nil {
		return err
	}

	// A device named on the command line that is not there stops the
	// phone here, before the TUI, with the list of what there is.
	devs, err := openPhoneDevices(o.Camera, o.Mic, o.Speaker, logger.With("part", "devices"))
	if err != nil {
		return err
	}
	defer devs.Close()
	// Piped or redirected, the screen would stay blank for ever (Bubble Tea
	// learns the window's size from the terminal it draws on).
	if !isTerminal(os.Stdin) || !isTerminal(os.Stdout) {
		return errNoTerminal
	}
	// The ringers the engines made close before the devices, once the
	// engines have stopped using them.
	var closers []func()
	var mu sync.Mutex
	defer func() {
		mu.Lock()
		defer mu.Unlock()
		for _, c := range closers {
			c()
		}
	}()
	ctx, cancel := context.WithCancel(cmd.Context())
	defer cancel()
	var wg sync.WaitGroup
	defer wg.Wait() // runs after cancel: defers run last-in first-out
	defer cancel()

	url, webURL := o.Server, ""
	if url == "" {
		srv, err := startEmbeddedServer(ctx, o.Data, logger.With("part", "server"))
		if err != nil {
			return err
		}
		url, webURL = srv.Addrs().URL, srv.Addrs().Web
		wg.Go(func() {
			if err := srv.Run(ctx); err != nil {
				logger.Error("embedded server", "err", err)
			}
		})
		logger.Info("embedded server", "url", url, "web", webURL)
	}

	remote, local := &tui.Mailbox{}, &tui.Mailbox{}
	ringer := newRingerProxy()
	wg.Go(func() { ringer.run(ctx) })
	connect := func(cctx context.Context, n string) (tui.Phone, error) {
		if newEngine == nil {
			return nil, errNoEngine
		}
		e, err := newEngine(cctx, engineConfig{URL: url, Number: n, Region: o.Region, Key: key, Invite: o.invite, Link: o.link, Device: o.device,
			Camera: devs.cam, Mic: devs.mic, Speaker: devs.spk, RemoteVideo: remote, LocalVideo: local,
			Keys: keys, Logger: logger.With("part", "engine")})
		if err != nil {
			return nil, err
		}
		ringer.set(e.ringer)
		if e.close != nil {
			mu.Lock()
			closers = append(closers, e.close)
			mu.Unlock()
		}
		wg.Go(func() {
			if err := e.run(ctx); err != nil && ctx.Err() == nil {
				logger.Error("call engine stopped", "err", err)
			}
		})
		// Once the TUI has gone nobody reads the engine's last events;
		// they are read here, so the engine's stop never waits on them.
		wg.Go(func() {
			<-ctx.Done()
			for range e.phone.Events() {
			}
		})
		return e.phone, nil
	}
	cfgPath := o.configPath
	// The in-call video is painted beside Bubble Tea's renderer, not
	// through its cell diff, which would compare every cell of a picture
	// that changes every frame anyway; Bubble Tea writes through the same
	// Output, so the two never interleave.
	pics := pictures(ctx, o.Video, logger)
	video := videopane.NewOutput(os.Stdout, videopane.OutputConfig{Pictures: pics.pics, CellW: pics.cellW, CellH: pics.cellH})
	vctx, vcancel := context.WithCancel(ctx)
	var vwg sync.WaitGroup
	vwg.Go(func() {
		if err := video.Run(vctx); err != nil {
			logger.Error("video output", "err", err)
		}
	})
	defer vwg.Wait()
	defer vcancel()
	glyphs, ascii, _ := videoMode(o.Video)
	model := tui.New(tui.Config{
		Glyphs: glyphs, ASCII: ascii, Pictures: pics.pics != videopane.NoPictures,
		Number: o.Number, Region: o.Region, Connect: connect, Server: o.Server,
		SaveNumber: func(n string) error { return saveNumber(cfgPath, n) }, RememberNumber: o.rememberNumber,
		Ringer: ringer, Remote: remote, Local: local, FPS: o.FPS, Devices: devs.shown, Video: video,
		Book: bk, BookPath: bookPath, Keys: keys, WebURL: webURL, Logger: logger.With("part", "tui"),
	})
	// The renderer runs a little above the video's rate, so a frame never
	// waits for a whole extra render tick.
	popts := []tea.ProgramOption{tea.WithContext(ctx), tea.WithFPS(min(120, o.FPS*2)),
		tea.WithOutput(ttyOutput{f: os.Stdout, out: video})}
	prog := tea.NewProgram(model, append(popts, pics.inputOptions()...)...)
	_, err = prog.Run()
	if errors.Is(err, tea.ErrProgramKilled) && cmd.Context().Err() != nil {
		err = nil // a signal: the deferred cancel ends calls and the server
	}
	return err
}

// startEmbeddedServer runs a local server on loopback for a phone started
// without --server: signalling and relay on free ports, open registration,
// the echo test on 600, its store in the data directory. Its lease pool is
// a random /24 of 127.77.0.0/16, so two phones on one machine rarely lease
// the same addresses. It serves the browser phone too, whose address the
// status line shows.
func startEmbeddedServer(ctx context.Context, data string, logger *slog.Logger) (*server.Server, error) {
	x, err := rand.Int(rand.Reader, big.NewInt(256))
	if err != nil {
		return nil, err
	}
	pool := netip.PrefixFrom(netip.AddrFrom4([4]byte{127, 77, byte(x.Int64()), 0}), 24)
	srv, err := server.New(ctx, server.Config{
		Listen: "127.0.0.1:0", Relay: "127.0.0.1:0", DataDir: filepath.Join(data, "server"),
		Pools: []netip.Prefix{pool}, Registration: "open", Echo: echoFactory, Web: true, Logger: logger,
	})
	if err != nil {
		return nil, fmt.Errorf("starting the embedded server: %w", err)
	}
	return srv, nil
}

// ringerProxy is the TUI's Ringer. It exists before the engine (which owns
// the speaker) does, and it never blocks the TUI: Start and Stop only record
// the wish, and run applies the latest wish in order on its own goroutine,
// since stopping a ringtone waits for its last frame to play.
type ringerProxy struct {
	r    atomic.Pointer[tui.Ringer]
	want atomic.Bool
	kick chan struct{}
}

func newRingerProxy() *ringerProxy { return &ringerProxy{kick: make(chan struct{}, 1)} }

func (p *ringerProxy) set(r tui.Ringer) {
	if r != nil {
		p.r.Store(&r)
	}
}

func (p *ringerProxy) Start() { p.want.Store(true); p.poke() }
func (p *ringerProxy) Stop()  { p.want.Store(false); p.poke() }

func (p *ringerProxy) poke() {
	select {
	case p.kick <- struct{}{}:
	default: // a wake-up is already pending; it will read the latest wish
	}
}

// run applies wishes until ctx ends, and leaves the ringtone stopped.
func (p *ringerProxy) run(ctx context.Context) {
	ringing := false
	apply := func(want bool) {
		r := p.r.Load()
		if r == nil || want == ringing {
			return
		}
		if want {
			(*r).Start()
		} else {
			(*r).Stop()
		}
		ringing = want
	}
	for {
		select {
		case <-ctx.Done():
			apply(false)
			return
		case <-p.kick:
			apply(p.want.Load())
		}
	}
}
