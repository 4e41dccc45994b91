package audio

import (
	"fmt"
	"time"

	"github.com/dialtone/dialtone/device"
)

// Config tunes one device stream. The zero value opens the default device
// with settings meant for calls.
type Config struct {
	// Device is the spec of the device, as for Resolve; "" is the default.
	Device string
	// Buffer is the size of the ring between the driver and
	// ReadAudio/WriteAudio. A microphone nobody reads keeps only the newest
	// Buffer of audio; a speaker holds a writer back once Buffer is queued.
	// Default 120 ms, at least 60 ms.
	Buffer time.Duration
	// Prime is how much audio a speaker waits for before it starts, and
	// again after running dry, so a writer's scheduling jitter does not
	// click. It adds to the playback latency. Default 40 ms; less than
	// Buffer.
	Prime time.Duration
	// Latency is asked of the driver; 0 is the device's default low
	// latency, but at least 20 ms.
	Latency time.Duration
	// DeviceRate forces the rate the device runs at; 0 is 48 kHz where the
	// device supports it and its default rate otherwise. Other rates are
	// converted by a Resampler.
	DeviceRate int
	// DeviceChannels forces the device's channel count; 0 is mono where the
	// device supports it and stereo (or what it has) otherwise.
	DeviceChannels int
}

const (
	defaultBuffer = 120 * time.Millisecond
	minBuffer     = 60 * time.Millisecond
	defaultPrime  = 40 * time.Millisecond
)

// withDefaults fills in the documented defaults and checks the rest.
func (c Config) withDefaults() (Config, error) {
	if c.Buffer == 0 {
		c.Buffer = defaultBuffer
	}
	if c.Prime == 0 {
		c.Prime = defaultPrime
	}
	switch {
	case c.Buffer < minBuffer:
		return c, fmt.Errorf("audio buffer %v: below %v", c.Buffer, minBuffer)
	case c.Buffer > 10*time.Second:
		return c, fmt.Errorf("audio buffer %v: above 10s", c.Buffer)
	case c.Prime < 0 || c.Prime >= c.Buffer:
		return c, fmt.Errorf("audio prime %v: want 0…%v", c.Prime, c.Buffer)
	case c.Latency < 0 || c.Latency > 2*time.Second:
		return c, fmt.Errorf("audio latency %v: want 0…2s", c.Latency)
	case c.DeviceRate < 0 || c.DeviceRate > 768000:
		return c, fmt.Errorf("audio device rate %d: out of range", c.DeviceRate)
	case c.DeviceChannels < 0 || c.DeviceChannels > 32:
		return c, fmt.Errorf("audio device channels %d: out of range", c.DeviceChannels)
	}
	return c, nil
}

// samples converts a duration to a count of 48 kHz samples.
func samples(d time.Duration) int {
	return int(d * device.SampleRate / time.Second)
}

// Stats counts what a stream has done. Trouble is counted, never fatal.
type Stats struct {
	// Device is the device's name; DeviceRate and DeviceChannels are what
	// it runs at (before conversion to 48 kHz mono).
	Device         string `json:"device"`
	DeviceRate     int    `json:"device_rate"`
	DeviceChannels int    `json:"device_channels"`
	// Latency is the driver's latency as PortAudio reports it; the ring
	// adds its fill on top.
	Latency time.Duration `json:"latency_ns"`
	// Frames counts the 20 ms frames the caller read or wrote.
	Frames uint64 `json:"frames"`
	// Overruns counts the times an input's ring was full and dropped its
	// oldest audio; Dropped is how many samples went.
	Overruns uint64 `json:"overruns,omitempty"`
	Dropped  uint64 `json:"dropped,omitempty"`
	// Underruns counts the times an output ran dry while playing and filled
	// in silence; Silence is how many samples of it were played then.
	Underruns uint64 `json:"underruns,omitempty"`
	Silence   uint64 `json:"silence,omitempty"`
	// DriverXruns counts the overflows and underflows PortAudio itself
	// reported (audio lost between the driver and the hardware).
	DriverXruns uint64 `json:"driver_xruns,omitempty"`
}
