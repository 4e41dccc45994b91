package main

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/dialtone/dialtone/call/media"
	"github.com/dialtone/dialtone/call/session"
	"github.com/dialtone/dialtone/device"
	"github.com/dialtone/dialtone/device/audio"
	"github.com/dialtone/dialtone/device/camera"
	"github.com/dialtone/dialtone/device/synthetic"
)

// callMedia is `dialtone call`'s media factory: call/media, reading the
// synthetic pattern out of received pictures when asked, for the stats.
func callMedia(decodePattern bool) session.MediaFactory {
	return func(mc session.MediaConfig, sig session.Signal) (session.Media, error) {
		s, err := media.New(media.Config{
			Relay: mc.Relay, RelayOnly: mc.RelayOnly, Offerer: mc.Offerer,
			Camera: mc.Camera, Mic: mc.Mic, Speaker: mc.Speaker,
			RemoteVideo: mc.RemoteVideo, LocalVideo: mc.LocalVideo,
			Logger: mc.Logger, Now: mc.Now, DecodePattern: decodePattern,
		}, sig)
		if err != nil {
			return nil, err
		}
		return s, nil
	}
}

// callCamera opens --camera: test (the synthetic pattern, 320×240 at 30
// fps), none, or a V4L2 device such as /dev/video0. Unlike the TUI, the
// headless client fails on a device it cannot open: a script asked for it.
func callCamera(spec string) (device.VideoSource, error) {
	switch spec {
	case "none", "":
		return nil, nil
	case "test":
		p, err := synthetic.NewPattern(synthetic.PatternConfig{Width: 320, Height: 240, FPS: 30})
		if err != nil {
			return nil, err
		}
		return p, nil
	}
	c, err := camera.Open(spec)
	if err != nil {
		return nil, fmt.Errorf("--camera %q: %w", spec, err)
	}
	return c, nil
}

// callMic opens --mic: tone[:HZ] (a sine, 440 Hz unless given), none, or a
// PortAudio input by name or index (see `dialtone devices`).
func callMic(spec string) (device.AudioSource, error) {
	switch {
	case spec == "none" || spec == "":
		return nil, nil
	case spec == "tone" || strings.HasPrefix(spec, "tone:"):
		hz := 0.0
		if s, ok := strings.CutPrefix(spec, "tone:"); ok {
			v, err := strconv.ParseFloat(s, 64)
			if err != nil {
				return nil, fmt.Errorf("--mic %q: want tone or tone:HZ", spec)
			}
			hz = v
		}
		t, err := synthetic.NewTone(hz)
		if err != nil {
			return nil, fmt.Errorf("--mic %q: %w", spec, err)
		}
		return t, nil
	}
	in, err := audio.OpenInput(spec)
	if err != nil {
		return nil, fmt.Errorf("--mic %q: %w", spec, err)
	}
	return in, nil
}

// callSpeaker opens --speaker: none (what arrives is decoded, measured and
// discarded) or a PortAudio output.
func callSpeaker(spec string) (device.AudioSink, error) {
	if spec == "none" || spec == "" {
		return nil, nil
	}
	out, err := audio.OpenOutput(spec)
	if err != nil {
		return nil, fmt.Errorf("--speaker %q: %w", spec, err)
	}
	return out, nil
}
