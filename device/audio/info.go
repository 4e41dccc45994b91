package audio

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Info describes one PortAudio device. A device may be both an input and an
// output (ALSA's "default" and "pulse" are).
type Info struct {
	Index             int     `json:"index"`
	Name              string  `json:"name"`
	HostAPI           string  `json:"host_api"`
	MaxInputChannels  int     `json:"max_input_channels"`
	MaxOutputChannels int     `json:"max_output_channels"`
	DefaultSampleRate float64 `json:"default_sample_rate"`
	// DefaultInput and DefaultOutput mark PortAudio's default devices.
	DefaultInput  bool `json:"default_input,omitempty"`
	DefaultOutput bool `json:"default_output,omitempty"`
	// Low latencies are what OpenInput and OpenOutput ask the driver for.
	LowInputLatency  time.Duration `json:"low_input_latency_ns,omitempty"`
	LowOutputLatency time.Duration `json:"low_output_latency_ns,omitempty"`
}

// IsInput reports whether the device can record.
func (i Info) IsInput() bool { return i.MaxInputChannels > 0 }

// IsOutput reports whether the device can play.
func (i Info) IsOutput() bool { return i.MaxOutputChannels > 0 }

// Direction says which side of a device a spec is resolved for.
type Direction int

const (
	Capture  Direction = iota // an input: microphone, line in, monitor
	Playback                  // an output: speaker, headphones
)

func (d Direction) String() string {
	if d == Playback {
		return "output"
	}
	return "input"
}

func (d Direction) has(i Info) bool {
	if d == Playback {
		return i.IsOutput()
	}
	return i.IsInput()
}

func (d Direction) isDefault(i Info) bool {
	if d == Playback {
		return i.DefaultOutput
	}
	return i.DefaultInput
}

// Resolve picks the device a spec names among devs, for one direction:
//
//   - "" or "default": the default device of that direction;
//   - a decimal number: the device with that index;
//   - anything else: the device whose name equals the spec, ignoring case,
//     or else the only one whose name contains it. Several matches are an
//     error wrapping ErrAmbiguous that lists them.
//
// Devices without channels in the direction are never chosen. A spec that
// finds nothing is an error wrapping ErrNoDevice that lists what there is.
func Resolve(devs []Info, spec string, dir Direction) (Info, error) {
	spec = strings.TrimSpace(spec)
	var cands []Info
	for _, d := range devs {
		if dir.has(d) {
			cands = append(cands, d)
		}
	}
	if len(cands) == 0 {
		return Info{}, fmt.Errorf("no audio %s devices (is PulseAudio/ALSA running?): %w", dir, ErrNoDevice)
	}
	if spec == "" || strings.EqualFold(spec, "default") {
		for _, d := range cands {
			if dir.isDefault(d) {
				return d, nil
			}
		}
		// ALSA without a sound server may still have a PCM called default.
		for _, d := range cands {
			if strings.EqualFold(d.Name, "default") {
				return d, nil
			}
		}
		return Info{}, fmt.Errorf("no default audio %s; choose one of %s: %w", dir, names(cands), ErrNoDevice)
	}
	if n, err := strconv.Atoi(spec); err == nil {
		for _, d := range devs {
			if d.Index != n {
				continue
			}
			if !dir.has(d) {
				return Info{}, fmt.Errorf("audio device %d (%q) has no %s channels: %w", n, d.Name, dir, ErrNoDevice)
			}
			return d, nil
		}
		return Info{}, fmt.Errorf("no audio %s device %d; there are %s: %w", dir, n, names(cands), ErrNoDevice)
	}
	var matches []Info
	for _, d := range cands {
		if strings.EqualFold(d.Name, spec) {
			return d, nil
		}
		if strings.Contains(strings.ToLower(d.Name), strings.ToLower(spec)) {
			matches = append(matches, d)
		}
	}
	switch len(matches) {
	case 0:
		return Info{}, fmt.Errorf("no audio %s device matches %q; there are %s: %w", dir, spec, names(cands), ErrNoDevice)
	case 1:
		return matches[0], nil
	}
	return Info{}, fmt.Errorf("%q matches %d audio %s devices, %s; give more of the name or the index: %w", spec, len(matches), dir, names(matches), ErrAmbiguous)
}

func names(devs []Info) string {
	parts := make([]string, len(devs))
	for i, d := range devs {
		parts[i] = fmt.Sprintf("%d %q", d.Index, d.Name)
	}
	return strings.Join(parts, ", ")
}
