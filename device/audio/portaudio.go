//go:build cgo

package audio

/*
#cgo LDFLAGS: -ldl
#include <dlfcn.h>

// ALSA and JACK print their probing noise ("Unknown PCM", "jack server is
// not running") to stderr, over the TUI. PortAudio's own errors carry what
// matters, so both libraries' message hooks are pointed at nothing. They are
// looked up at run time because they are only present as PortAudio's own
// dependencies; a build needs no ALSA or JACK headers.
static void dialtoneAlsaQuiet(const char *file, int line, const char *fn, int err, const char *fmt, ...) {}
static void dialtoneJackQuiet(const char *msg) {}

typedef void (*alsaHandler)(const char *, int, const char *, int, const char *, ...);
typedef int (*alsaSetHandler)(alsaHandler);
typedef void (*jackSetFunction)(void (*)(const char *));

static void dialtoneQuietDrivers(void) {
	alsaSetHandler a = (alsaSetHandler)dlsym(RTLD_DEFAULT, "snd_lib_error_set_handler");
	if (a) a(dialtoneAlsaQuiet);
	jackSetFunction j = (jackSetFunction)dlsym(RTLD_DEFAULT, "jack_set_error_function");
	if (j) j(dialtoneJackQuiet);
	j = (jackSetFunction)dlsym(RTLD_DEFAULT, "jack_set_info_function");
	if (j) j(dialtoneJackQuiet);
}
*/
import "C"

import (
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/gordonklaus/portaudio"

	"github.com/dialtone/dialtone/device"
)

// pa reference-counts PortAudio. The binding keeps unguarded globals (its
// init count, its device cache), so every call other than a stream's Read
// and Write goes through pa.mu. Devices are enumerated by Initialize; while
// a stream is open the list stays as it was then.
var pa struct {
	mu    sync.Mutex
	refs  int
	quiet sync.Once
}

func acquireLocked() error {
	if pa.refs == 0 {
		pa.quiet.Do(func() { C.dialtoneQuietDrivers() })
		if err := portaudio.Initialize(); err != nil {
			return fmt.Errorf("starting PortAudio: %w", err)
		}
	}
	pa.refs++
	return nil
}

func releaseLocked() {
	pa.refs--
	if pa.refs == 0 {
		// Nothing useful can be done about a failed Terminate.
		_ = portaudio.Terminate()
	}
}

// Devices lists PortAudio's devices, inputs and outputs, with the defaults
// marked.
func Devices() ([]Info, error) {
	pa.mu.Lock()
	defer pa.mu.Unlock()
	if err := acquireLocked(); err != nil {
		return nil, err
	}
	defer releaseLocked()
	devs, _, err := listLocked()
	return devs, err
}

func listLocked() ([]Info, []*portaudio.DeviceInfo, error) {
	pdevs, err := portaudio.Devices()
	if err != nil {
		return nil, nil, fmt.Errorf("listing audio devices: %w", err)
	}
	defIn, defOut := -1, -1
	if d, err := portaudio.DefaultInputDevice(); err == nil {
		defIn = d.Index
	}
	if d, err := portaudio.DefaultOutputDevice(); err == nil {
		defOut = d.Index
	}
	devs := make([]Info, len(pdevs))
	for i, d := range pdevs {
		devs[i] = Info{
			Index:             d.Index,
			Name:              d.Name,
			MaxInputChannels:  d.MaxInputChannels,
			MaxOutputChannels: d.MaxOutputChannels,
			DefaultSampleRate: d.DefaultSampleRate,
			DefaultInput:      d.Index == defIn,
			DefaultOutput:     d.Index == defOut,
			LowInputLatency:   d.DefaultLowInputLatency,
			LowOutputLatency:  d.DefaultLowOutputLatency,
		}
		if d.HostApi != nil {
			devs[i].HostAPI = d.HostApi.Name
		}
	}
	return devs, pdevs, nil
}

// minLatency is the least latency asked of a driver by default.
const minLatency = device.FrameTime

// paStream is an open, started blocking-mode stream in float32, with the
// buffer the binding reads into or writes from: it reads the buffer's
// length on every call, so the buffer may be resliced between calls.
type paStream struct {
	s       *portaudio.Stream
	buf     []float32
	info    Info
	dir     Direction
	rate    int
	ch      int
	chunk   int // device frames per Read
	latency time.Duration
}

// openStream resolves cfg.Device, settles rate and channels, and starts a
// stream; it holds a PortAudio reference until close.
func openStream(cfg Config, dir Direction) (*paStream, error) {
	pa.mu.Lock()
	defer pa.mu.Unlock()
	if err := acquireLocked(); err != nil {
		return nil, err
	}
	st, err := openLocked(cfg, dir)
	if err != nil {
		releaseLocked()
		return nil, err
	}
	return st, nil
}

func openLocked(cfg Config, dir Direction) (*paStream, error) {
	devs, pdevs, err := listLocked()
	if err != nil {
		return nil, err
	}
	info, err := Resolve(devs, cfg.Device, dir)
	if err != nil {
		return nil, err
	}
	pd := pdevs[info.Index]
	st := &paStream{info: info, dir: dir}
	params, err := st.settle(cfg, pd)
	if err != nil {
		return nil, err
	}
	// 10 ms a call: short enough that Close and a cancelled read wait little,
	// long enough to keep the per-call overhead small.
	st.chunk = max(st.rate/100, 1)
	st.buf = make([]float32, st.chunk*st.ch, (st.chunk+64)*st.ch)
	if st.s, err = portaudio.OpenStream(params, &st.buf); err != nil {
		return nil, fmt.Errorf("opening audio %s %q at %d Hz × %d: %w", dir, info.Name, st.rate, st.ch, err)
	}
	if err := st.s.Start(); err != nil {
		st.s.Close()
		return nil, fmt.Errorf("starting audio %s %q: %w", dir, info.Name, err)
	}
	if si := st.s.Info(); si != nil {
		st.latency = si.InputLatency
		if dir == Playback {
			st.latency = si.OutputLatency
		}
	}
	return st, nil
}

// settle picks the device's rate and channel count: 48 kHz mono where it
// can, else its default rate and the fewest channels it takes.
func (st *paStream) settle(cfg Config, pd *portaudio.DeviceInfo) (portaudio.StreamParameters, error) {
	maxCh, latency := pd.MaxInputChannels, pd.DefaultLowInputLatency
	if st.dir == Playback {
		maxCh, latency = pd.MaxOutputChannels, pd.DefaultLowOutputLatency
	}
	// A driver's "low latency" can be a few milliseconds (8.7 ms for ALSA's
	// pulse plugin), which underflows as soon as the machine is busy; one
	// frame is the floor, as nothing upstream moves less than a frame.
	latency = max(latency, minLatency)
	if cfg.Latency > 0 {
		latency = cfg.Latency
	}
	chans := []int{1, min(2, maxCh), maxCh}
	if cfg.DeviceChannels > 0 {
		chans = []int{cfg.DeviceChannels}
	}
	rates := []int{device.SampleRate, int(pd.DefaultSampleRate)}
	if cfg.DeviceRate > 0 {
		rates = []int{cfg.DeviceRate}
	}
	chans, rates = slices.Compact(chans), slices.Compact(rates)
	var tried []string
	var lastErr error
	for _, rate := range rates {
		for _, ch := range chans {
			if ch < 1 || ch > maxCh || rate <= 0 {
				continue
			}
			p := portaudio.StreamParameters{SampleRate: float64(rate), FramesPerBuffer: portaudio.FramesPerBufferUnspecified}
			dp := portaudio.StreamDeviceParameters{Device: pd, Channels: ch, Latency: latency}
			if st.dir == Playback {
				p.Output = dp
			} else {
				p.Input = dp
			}
			var probe []float32
			if err := portaudio.IsFormatSupported(p, &probe); err != nil {
				tried = append(tried, fmt.Sprintf("%d Hz × %d", rate, ch))
				lastErr = err
				continue
			}
			st.rate, st.ch = rate, ch
			return p, nil
		}
	}
	if lastErr == nil {
		lastErr = errors.New("no channels")
	}
	return portaudio.StreamParameters{}, fmt.Errorf("audio %s %q supports none of %v: %w", st.dir, pd.Name, tried, lastErr)
}

// close stops the stream — an output plays what the driver holds first —
// and drops the PortAudio reference.
func (st *paStream) close() error {
	pa.mu.Lock()
	defer pa.mu.Unlock()
	defer releaseLocked()
	var err error
	if st.dir == Playback {
		err = st.s.Stop()
	} else {
		err = st.s.Abort()
	}
	if cerr := st.s.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("closing audio %s %q: %w", st.dir, st.info.Name, err)
	}
	return nil
}

// isXrun tells the overflow and underflow PortAudio reports but survives.
func isXrun(err error) bool {
	return errors.Is(err, portaudio.InputOverflowed) || errors.Is(err, portaudio.OutputUnderflowed)
}
