package vp8

import (
	"fmt"
	"runtime"
	"time"
)

// EncoderConfig configures an Encoder. The zero value is valid: every field
// has a documented default.
type EncoderConfig struct {
	// Width and Height are the size of the encoded pictures (even). Frames of
	// another size are scaled to it. Zero means the size of the frames given
	// to Encode, following them when they change.
	Width, Height int

	// FPS is the frame rate the sender expects (default 30). Rate control
	// follows the frames' capture times, not this number; FPS only seeds
	// the rate control, spaces the key frame backstop, and stands in for the
	// interval of frames whose Time is zero.
	FPS int

	// BitrateKbps is the initial target (default 500), clamped to
	// [MinKbps, MaxKbps].
	BitrateKbps int

	// MinKbps and MaxKbps bound every target, initial or from SetBitrate
	// (defaults 30 and 1500).
	MinKbps, MaxKbps int

	// Threads is the number of encoder threads. Zero picks 1 below 1280×720
	// and 2 from there when the machine has at least 4 CPUs. libvpx's VP8
	// row threads wait for each other by spinning: on a busy 2-core machine
	// 2 threads at 640×480 took 75 ms of CPU per frame against 2.7 ms for one
	// (BenchmarkEncode), and below 720p one thread keeps up with 30 fps.
	Threads int

	// Speed trades quality for CPU, 1 (slowest) to 16 (fastest); default 8.
	// It is passed to libvpx as cpu-used = -Speed, a fixed speed: a positive
	// cpu-used would let libvpx pick its own speed from measured encode
	// times, which makes quality depend on how busy the machine is.
	Speed int

	// KeyInterval is the longest time between key frames (default 3 s), so a
	// receiver that lost a key frame and whose request was lost recovers.
	KeyInterval time.Duration

	// NoFrameDrop stops libvpx from dropping frames when the buffer runs
	// short. By default it may, which keeps latency down on a narrow link;
	// Encode then returns a nil packet.
	NoFrameDrop bool
}

// Defaults for EncoderConfig's zero fields.
const (
	DefaultFPS         = 30
	DefaultBitrateKbps = 500
	DefaultMinKbps     = 30
	DefaultMaxKbps     = 1500
	DefaultSpeed       = 8
	DefaultKeyInterval = 3 * time.Second
)

// withDefaults returns c with its zero fields filled and checks the result.
func (c EncoderConfig) withDefaults() (EncoderConfig, error) {
	if c.FPS == 0 {
		c.FPS = DefaultFPS
	}
	if c.BitrateKbps == 0 {
		c.BitrateKbps = DefaultBitrateKbps
	}
	if c.MinKbps == 0 {
		c.MinKbps = DefaultMinKbps
	}
	if c.MaxKbps == 0 {
		c.MaxKbps = DefaultMaxKbps
	}
	if c.Speed == 0 {
		c.Speed = DefaultSpeed
	}
	if c.KeyInterval == 0 {
		c.KeyInterval = DefaultKeyInterval
	}
	return c, c.validate()
}

func (c EncoderConfig) validate() error {
	if err := checkSize(c.Width, c.Height); err != nil {
		return err
	}
	switch {
	case c.FPS < 1 || c.FPS > 120:
		return fmt.Errorf("vp8: FPS %d outside 1..120", c.FPS)
	case c.MinKbps < 1 || c.MaxKbps < c.MinKbps:
		return fmt.Errorf("vp8: bitrate bounds [%d, %d] kbit/s", c.MinKbps, c.MaxKbps)
	case c.BitrateKbps < 0:
		return fmt.Errorf("vp8: bitrate %d kbit/s", c.BitrateKbps)
	case c.Threads < 0 || c.Threads > 16:
		return fmt.Errorf("vp8: %d threads outside 0..16", c.Threads)
	case c.Speed < 1 || c.Speed > 16:
		return fmt.Errorf("vp8: speed %d outside 1..16", c.Speed)
	case c.KeyInterval < 0:
		return fmt.Errorf("vp8: key interval %v", c.KeyInterval)
	}
	return nil
}

// checkSize accepts 0×0 (follow the source) or an even size up to
// MaxDecodeSize and MaxDecodePixels, so that whatever we send our own
// decoder accepts.
func checkSize(w, h int) error {
	if w == 0 && h == 0 {
		return nil
	}
	if w < 2 || h < 2 || w%2 != 0 || h%2 != 0 || w > MaxDecodeSize || h > MaxDecodeSize || w*h > MaxDecodePixels {
		return fmt.Errorf("vp8: picture size %d×%d is not even and within 2..%d and %d pixels", w, h, MaxDecodeSize, MaxDecodePixels)
	}
	return nil
}

func (c EncoderConfig) clamp(kbps int) int {
	return min(max(kbps, c.MinKbps), c.MaxKbps)
}

// threads is the encoder thread count for a w×h picture.
func (c EncoderConfig) threads(w, h int) int {
	if c.Threads > 0 {
		return c.Threads
	}
	if w*h < 1280*720 || runtime.NumCPU() < 4 {
		return 1
	}
	return 2
}
