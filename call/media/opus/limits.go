package opus

import (
	"fmt"

	"github.com/dialtone/dialtone/device"
)

const (
	// DefaultBitrate is what NewEncoder(0) targets: clear wideband voice
	// with room for FEC.
	DefaultBitrate = 32000
	// MinBitrate and MaxBitrate bound every target; values outside are
	// clamped. Below 6 kbit/s Opus is barely intelligible; above 128 kbit/s
	// mono voice gains nothing.
	MinBitrate = 6000
	MaxBitrate = 128000

	// MaxPacketSize is enough room for any packet Encode produces: one
	// mono frame never exceeds 1275 bytes plus its table-of-contents byte.
	MaxPacketSize = 1276

	// maxFrame is the longest Opus packet, 120 ms, in samples.
	maxFrame = 120 * device.SampleRate / 1000
)

// Bandwidth is an audio band Opus codes: its upper edge.
type Bandwidth int

// The bands of Opus (RFC 6716 section 2).
const (
	Narrowband    Bandwidth = 4000
	Mediumband    Bandwidth = 6000
	Wideband      Bandwidth = 8000
	Superwideband Bandwidth = 12000
	Fullband      Bandwidth = 20000
)

func clampBitrate(bps int) int {
	if bps == 0 {
		return DefaultBitrate
	}
	return min(max(bps, MinBitrate), MaxBitrate)
}

// checkFrameSize accepts the frame durations Opus can encode: 2.5, 5, 10,
// 20, 40 or 60 ms.
func checkFrameSize(n int) error {
	switch n {
	case 120, 240, 480, 960, 1920, 2880:
		return nil
	}
	return fmt.Errorf("opus: %d samples is not an Opus frame (2.5 to 60 ms at 48 kHz)", n)
}

// checkConcealSize accepts what libopus can conceal or recover: a multiple
// of 2.5 ms up to 120 ms.
func checkConcealSize(n int) error {
	if n <= 0 || n%120 != 0 || n > maxFrame {
		return fmt.Errorf("opus: cannot conceal %d samples; a multiple of 2.5 ms (120) up to 120 ms is needed", n)
	}
	return nil
}
