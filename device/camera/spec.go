package camera

import (
	"fmt"
	"strconv"
	"strings"
)

// Mode is a requested picture size and frame rate; zero fields take the
// defaults below.
type Mode struct {
	Width, Height int
	FPS           float64
}

// The mode asked for when a spec names only the device: enough for a video
// call, cheap to encode.
const (
	DefaultWidth  = 640
	DefaultHeight = 480
	DefaultFPS    = 30
)

const maxDim = 8192

func (m Mode) withDefaults() Mode {
	if m.Width == 0 || m.Height == 0 {
		m.Width, m.Height = DefaultWidth, DefaultHeight
	}
	if m.FPS == 0 {
		m.FPS = DefaultFPS
	}
	return m
}

func (m Mode) String() string {
	s := fmt.Sprintf("%dx%d", m.Width, m.Height)
	if m.FPS > 0 {
		s += "@" + strconv.FormatFloat(m.FPS, 'f', -1, 64)
	}
	return s
}

// ParseSpec splits a camera spec, "/dev/video0", "/dev/video0:640x480",
// "/dev/video0:640x480@30" or "/dev/video0:@15", into the device path and
// the requested mode (zero fields where the spec leaves them out).
func ParseSpec(spec string) (path string, m Mode, err error) {
	path, mode, hasMode := strings.Cut(spec, ":")
	if path == "" {
		return "", m, fmt.Errorf("camera spec %q: no device path", spec)
	}
	if !hasMode {
		return path, m, nil
	}
	size, rate, hasRate := strings.Cut(mode, "@")
	if size == "" && !hasRate {
		return "", m, fmt.Errorf("camera spec %q: empty mode after ':'", spec)
	}
	if size != "" {
		ws, hs, ok := strings.Cut(size, "x")
		if !ok {
			return "", m, fmt.Errorf("camera spec %q: size %q: want WIDTHxHEIGHT", spec, size)
		}
		if m.Width, err = parseDim(ws); err == nil {
			m.Height, err = parseDim(hs)
		}
		if err != nil {
			return "", m, fmt.Errorf("camera spec %q: size %q: %v", spec, size, err)
		}
	}
	if hasRate {
		m.FPS, err = strconv.ParseFloat(rate, 64)
		if err != nil || !(m.FPS > 0 && m.FPS <= 1000) {
			return "", m, fmt.Errorf("camera spec %q: frame rate %q: want a number of frames per second in (0, 1000]", spec, rate)
		}
	}
	return path, m, nil
}

func parseDim(s string) (int, error) {
	n, err := strconv.Atoi(s)
	if err != nil {
		return 0, fmt.Errorf("%q is not a number", s)
	}
	if n < 2 || n > maxDim {
		return 0, fmt.Errorf("%d out of range 2…%d", n, maxDim)
	}
	return n, nil
}
