package main

import (
	"context"
	"fmt"

	"github.com/dialtone/dialtone/call/session"
	"github.com/dialtone/dialtone/call/sigclient"
	"github.com/dialtone/dialtone/device/audio"
)

func init() { newEngine = newSessionEngine }

// newSessionEngine builds the phone's engine: call/session over call/media
// (the factory `dialtone call` uses), with the devices the phone opened. A
// device that is missing leaves the call degraded (receive-only video,
// audio-only) rather than the phone refusing to start.
func newSessionEngine(_ context.Context, cfg engineConfig) (*engine, error) {
	var ringer *audio.Ringer
	if cfg.Speaker != nil {
		ringer = audio.NewRinger(cfg.Speaker, nil)
	}
	p, err := session.New(session.Config{
		Sig:    sigclient.Config{URL: cfg.URL, Number: cfg.Number, Key: cfg.Key, Invite: cfg.Invite, Link: cfg.Link, Device: cfg.Device, ClientName: "dialtone-tui"},
		Media:  callMedia(false),
		Camera: cfg.Camera, Mic: cfg.Mic, Speaker: cfg.Speaker,
		RemoteVideo: cfg.RemoteVideo, LocalVideo: cfg.LocalVideo,
		Region: cfg.Region, Logger: cfg.Logger, Keys: cfg.Keys,
	})
	if err != nil {
		return nil, fmt.Errorf("starting the call engine: %w", err)
	}
	e := &engine{phone: p, run: p.Run}
	if ringer != nil {
		e.ringer = quietRinger{ringer}
		e.close = func() { ringer.Stop() }
	}
	return e, nil
}

// phoneSpec maps the phone's speaker words onto the headless client's: a
// "test" speaker discards what arrives.
func phoneSpec(spec string) string {
	if spec == "test" {
		return "none"
	}
	return spec
}

// quietRinger adapts audio.Ringer, whose Stop reports the speaker's error,
// to tui.Ringer; that error is the speaker's and shows in the call anyway.
type quietRinger struct{ r *audio.Ringer }

func (q quietRinger) Start() { q.r.Start() }
func (q quietRinger) Stop()  { _ = q.r.Stop() }
