package main

import (
	"context"
	"crypto/ed25519"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime/pprof"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/dialtone/dialtone/call"
	"github.com/dialtone/dialtone/call/session"
	"github.com/dialtone/dialtone/call/sigclient"
	"github.com/dialtone/dialtone/device"
	"github.com/dialtone/dialtone/tui/book"
)

func init() { subcommands = append(subcommands, newCallCmd) }

// Exit statuses of `dialtone call`.
const (
	exitCallOK          = 0
	exitCallError       = 1 // bad flags, server unreachable, registration or dial rejected
	exitCallRefused     = 3
	exitCallUnavailable = 4
	exitCallBusy        = 5
	exitCallNoAnswer    = 6 // not answered within the ring time, or given up while ringing
	exitCallFailed      = 7 // accepted but never connected, or ended abnormally
)

const callLong = `Place or answer calls without a terminal UI, printing one JSON object per
event on stdout (each with "event" and "time"): registered, dialing, ringing,
incoming, accepted (local_lease, remote_lease), connected, peer-camera
(camera "on"/"off"), dtmf (digit: a key the other side pressed), stats
(each second), trust (once the other side's SDP has come: state, safety_code,
key, pinned; see dialtone trust), refused, unavailable, busy, no-answer,
cancelled (reason answered-elsewhere and device when another device of the
number took the call), ended (reason, duration_s, local when this side ended
it; reason key-changed or not-verified for a call the keys refused), missed
(calls missed while away), linked (device: one that joined with this
device's link code), disconnected and retrying (error: why, in words; retry:
when the next attempt is), error. Logs go to stderr.

Like a phone, the command keeps trying to reach the server — at start and
after the connection drops — with a wait that doubles from 100ms up to
--retry-max, printing retrying for each failed attempt, and resumes its
session when the server is back; --retry-for bounds how long it tries.

Exactly one of --dial and --answer. With --dial, the command ends when the
call does. With --answer, it answers (auto) or refuses (refuse) every call
until interrupted or --max-calls calls have ended; a call that arrives while
another is active is refused. --duration hangs up that long after a call
connects. An interrupt hangs up.

--dtmf sends keypad digits (0-9, *, #, A-D; a comma waits a second) once a
call connects, as RFC 4733 telephone events on its audio, 120ms each with
100ms between: what a menu on the telephone network listens for. They need
an audio source (not --mic none); --duration still counts from the connect.

--cpuprofile writes a Go CPU profile of the whole run, for go tool pprof;
time in libvpx and libopus shows as runtime.cgocall under its Go caller.

The identity key is created on first use in --data (identity.key, mode 0600)
and reused after: the server binds the number to it.

Exit status:
  0  a call connected and ended by a hang-up (--answer: every call taken did)
  1  error: flags, devices, server unreachable for --retry-for, registration
     or dial rejected, or replaced: this device (--data) connected again
     elsewhere (an error event with code replaced)
  3  refused
  4  unavailable (unknown number, or offline)
  5  busy
  6  no answer (or given up while ringing)
  7  failed: accepted but never connected, or ended abnormally
     (media failure, peer lost, no capacity, server shutdown)`

type callFlags struct {
	server, number, data, invite string
	link, device                 string
	dial, answer                 string
	camera, mic, speaker         string
	duration                     time.Duration
	maxCalls                     int
	stats, logLevel, region      string
	cpuProfile                   string
	retryFor, retryMax           time.Duration
	dtmf                         string
}

func newCallCmd() *cobra.Command {
	f := &callFlags{}
	cmd := &cobra.Command{
		Use:   "call --server URL --number N (--dial NUMBER | --answer auto|refuse)",
		Short: "Headless client: place or answer calls, print JSON events",
		Long:  callLong,
		Args:  cobra.NoArgs,
		RunE:  func(cmd *cobra.Command, _ []string) error { return runCall(cmd.Context(), f, cmd.OutOrStdout()) },
	}
	fl := cmd.Flags()
	fl.StringVar(&f.server, "server", "", "the server's signalling URL, ws://HOST:PORT/v1 (required)")
	fl.StringVar(&f.number, "number", "", "our number, E.164 (required)")
	fl.StringVar(&f.data, "data", defaultDataDir("phone"), "data directory (identity key)")
	fl.StringVar(&f.invite, "invite", "", "one-time invite code, for a server that registers by invitation")
	fl.StringVar(&f.link, "link", "", "one-time link code from another device of --number (dialtone link there): this device joins the number")
	fl.StringVar(&f.device, "device", defaultDeviceName(), "this device's name among the number's devices")
	fl.StringVar(&f.dial, "dial", "", "call this number (E.164 or a service code such as 600)")
	fl.StringVar(&f.answer, "answer", "", "answer incoming calls: auto or refuse")
	fl.StringVar(&f.camera, "camera", "test", "video source: test (pattern 320x240@30), none, or a V4L2 device")
	fl.StringVar(&f.mic, "mic", "tone", "audio source: tone[:HZ], none, or a PortAudio input")
	fl.StringVar(&f.speaker, "speaker", "none", "audio sink: none or a PortAudio output")
	fl.StringVar(&f.dtmf, "dtmf", "", "keypad digits to send once the call connects (0-9 * # A-D; , pauses 1s), e.g. 1234#")
	fl.DurationVar(&f.duration, "duration", 0, "hang up this long after connecting (0: wait for the other side)")
	fl.IntVar(&f.maxCalls, "max-calls", 0, "with --answer: stop after this many calls have ended (0: no limit)")
	fl.StringVar(&f.stats, "stats", "", "write the last call's statistics (JSON) to this file at the end")
	fl.StringVar(&f.region, "region", "", "country for numbers dialled without +CC (e.g. US)")
	fl.StringVar(&f.logLevel, "log-level", "info", "debug, info, warn or error")
	fl.StringVar(&f.cpuProfile, "cpuprofile", "", "write a CPU profile (runtime/pprof) of the whole run to this file")
	fl.DurationVar(&f.retryFor, "retry-for", 0, "give up (exit 1) after this long without reaching the server (0: never)")
	fl.DurationVar(&f.retryMax, "retry-max", 5*time.Second, "longest wait between attempts to reach the server (the wait doubles from 100ms)")
	return cmd
}

func (f *callFlags) check() error {
	switch {
	case f.server == "" || f.number == "":
		return errors.New("--server and --number are required")
	case (f.dial == "") == (f.answer == ""):
		return errors.New("give exactly one of --dial and --answer")
	case f.answer != "" && f.answer != "auto" && f.answer != "refuse":
		return fmt.Errorf("--answer %q: want auto or refuse", f.answer)
	case f.maxCalls < 0 || f.duration < 0 || f.retryFor < 0:
		return errors.New("--max-calls, --duration and --retry-for must not be negative")
	case f.retryMax < 100*time.Millisecond:
		return errors.New("--retry-max must be at least 100ms")
	case strings.Trim(f.dtmf, "0123456789*#ABCDabcd,") != "":
		return fmt.Errorf("--dtmf %q: want digits 0-9, *, #, A-D and commas", f.dtmf)
	case f.dtmf != "" && f.mic == "none":
		return errors.New("--dtmf needs an audio source: the keys travel on the call's audio (not --mic none)")
	}
	return nil
}

func runCall(ctx context.Context, f *callFlags, stdout io.Writer) error {
	if err := f.check(); err != nil {
		return &exitError{exitCallError, err}
	}
	log, err := newLogger(os.Stderr, f.logLevel)
	if err != nil {
		return &exitError{exitCallError, err}
	}
	if f.cpuProfile != "" {
		stop, err := startCPUProfile(f.cpuProfile)
		if err != nil {
			return &exitError{exitCallError, err}
		}
		defer stop()
	}
	key, err := loadOrCreateKey(f.data)
	if err != nil {
		return &exitError{exitCallError, err}
	}
	devs, err := openCallDevices(f)
	if err != nil {
		return &exitError{exitCallError, err}
	}
	defer devs.close()
	phone, err := session.New(session.Config{
		Sig: sigclient.Config{URL: f.server, Number: f.number, Key: key, Invite: f.invite, Link: f.link, Device: f.device,
			ClientName: "dialtone-call", Patience: f.retryFor, MaxBackoff: f.retryMax},
		Media:  callMedia(f.camera == "test"),
		Camera: devs.cam, Mic: devs.mic, Speaker: devs.spk,
		Region: f.region, Logger: log, Keys: &book.Keys{Path: filepath.Join(f.data, keysFile)},
	})
	if err != nil {
		return &exitError{exitCallError, err}
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	runErr := make(chan error, 1)
	go func() { runErr <- phone.Run(ctx) }()

	d := &callDriver{f: f, phone: phone, ctx: ctx, stop: cancel, out: json.NewEncoder(stdout),
		dialRes: make(chan error, 1), hangups: make(chan call.ID, 4)}
	d.loop()
	if err := <-runErr; err != nil {
		return &exitError{exitCallError, err}
	}
	if f.stats != "" {
		if err := writeStats(f.stats, d.lastStats); err != nil {
			return &exitError{exitCallError, err}
		}
	}
	if d.code != exitCallOK {
		return &exitError{d.code, errors.New(d.why)}
	}
	return nil
}

// callDevices are the devices `dialtone call` opened, to close at the end.
type callDevices struct {
	cam device.VideoSource
	mic device.AudioSource
	spk device.AudioSink
}

func openCallDevices(f *callFlags) (*callDevices, error) {
	d := &callDevices{}
	var err error
	if d.cam, err = callCamera(f.camera); err != nil {
		return nil, err
	}
	if d.mic, err = callMic(f.mic); err != nil {
		d.close()
		return nil, err
	}
	if d.spk, err = callSpeaker(f.speaker); err != nil {
		d.close()
		return nil, err
	}
	return d, nil
}

func (d *callDevices) close() {
	if d.cam != nil {
		d.cam.Close()
	}
	if d.mic != nil {
		d.mic.Close()
	}
	if d.spk != nil {
		d.spk.Close()
	}
}

// startCPUProfile profiles the process into path until the returned
// function is called: .ci/bench-call gives a call's CPU in total, the
// profile says where it goes.
func startCPUProfile(path string) (stop func(), err error) {
	fh, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("creating --cpuprofile: %w", err)
	}
	if err := pprof.StartCPUProfile(fh); err != nil {
		fh.Close()
		return nil, fmt.Errorf("starting the CPU profile: %w", err)
	}
	return func() {
		pprof.StopCPUProfile()
		fh.Close()
	}, nil
}

func writeStats(path string, st *call.Stats) error {
	if st == nil {
		st = &call.Stats{}
	}
	b, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(path, append(b, '\n'), 0o644); err != nil {
		return fmt.Errorf("writing --stats: %w", err)
	}
	return nil
}

// loadOrCreateKey reads the identity key from dir, creating it (and dir) on
// first use. The key is PKCS #8 PEM, readable by the owner only.
func loadOrCreateKey(dir string) (ed25519.PrivateKey, error) {
	path := filepath.Join(dir, "identity.key")
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return createKey(dir, path)
	}
	if err != nil {
		return nil, fmt.Errorf("reading the identity key: %w", err)
	}
	blk, _ := pem.Decode(b)
	if blk == nil || blk.Type != "PRIVATE KEY" {
		return nil, fmt.Errorf("reading the identity key %s: not a PEM private key", path)
	}
	k, err := x509.ParsePKCS8PrivateKey(blk.Bytes)
	if err != nil {
		return nil, fmt.Errorf("reading the identity key %s: %w", path, err)
	}
	ek, ok := k.(ed25519.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("reading the identity key %s: not an Ed25519 key", path)
	}
	return ek, nil
}

func createKey(dir, path string) (ed25519.PrivateKey, error) {
	_, k, err := ed25519.GenerateKey(nil)
	if err != nil {
		return nil, err
	}
	der, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("creating the data directory: %w", err)
	}
	fh, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return loadOrCreateKey(dir) // another process made it first
	}
	if err != nil {
		return nil, fmt.Errorf("creating the identity key: %w", err)
	}
	if err := pem.Encode(fh, &pem.Block{Type: "PRIVATE KEY", Bytes: der}); err != nil {
		fh.Close()
		return nil, fmt.Errorf("writing the identity key: %w", err)
	}
	if err := fh.Close(); err != nil {
		return nil, fmt.Errorf("writing the identity key: %w", err)
	}
	return k, nil
}
