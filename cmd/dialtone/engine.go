package main

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/dialtone/dialtone/call/session"
	"github.com/dialtone/dialtone/call/sigclient"
	"github.com/dialtone/dialtone/device"
	"github.com/dialtone/dialtone/device/audio"
	"github.com/dialtone/dialtone/device/camera"
)

func init() { newEngine = newSessionEngine }

// newSessionEngine builds the phone's engine: call/session over call/media
// (the factory `dialtone call` uses), with the devices the options name.
// Unlike the headless client, a device that will not open is logged and
// left out, so the call degrades (receive-only video, audio-only) instead of
// the phone refusing to start.
func newSessionEngine(_ context.Context, cfg engineConfig) (*engine, error) {
	log := cfg.Logger
	var closers []func()
	closeAll := func() {
		for i := len(closers) - 1; i >= 0; i-- {
			closers[i]()
		}
	}
	cam := phoneCamera(cfg.Camera, log)
	if cam != nil {
		closers = append(closers, func() { cam.Close() })
	}
	mic := phoneMic(cfg.Mic, log)
	if mic != nil {
		closers = append(closers, func() { mic.Close() })
	}
	spk, err := callSpeaker(phoneSpec(cfg.Speaker))
	if err != nil {
		log.Error("opening the speaker; playing no sound", "err", err)
	}
	var ringer *audio.Ringer
	if spk != nil {
		ringer = audio.NewRinger(spk, nil)
		closers = append(closers, func() { ringer.Stop(); spk.Close() })
	}
	p, err := session.New(session.Config{
		Sig:    sigclient.Config{URL: cfg.URL, Number: cfg.Number, Key: cfg.Key, Invite: cfg.Invite, ClientName: "dialtone-tui"},
		Media:  callMedia(false),
		Camera: cam, Mic: mic, Speaker: spk,
		RemoteVideo: cfg.RemoteVideo, LocalVideo: cfg.LocalVideo,
		Region: cfg.Region, Logger: log,
	})
	if err != nil {
		closeAll()
		return nil, fmt.Errorf("starting the call engine: %w", err)
	}
	e := &engine{phone: p, run: p.Run, close: closeAll}
	if ringer != nil {
		e.ringer = quietRinger{ringer}
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

func phoneCamera(spec string, log *slog.Logger) device.VideoSource {
	if spec == "auto" {
		cams, err := camera.List()
		if err != nil || len(cams) == 0 {
			log.Info("no camera found; sending no video", "err", err)
			return nil
		}
		spec = cams[0].Path
	}
	cam, err := callCamera(spec)
	if err != nil {
		log.Error("opening the camera; sending no video", "err", err)
		return nil
	}
	return cam
}

func phoneMic(spec string, log *slog.Logger) device.AudioSource {
	if spec == "test" {
		spec = "tone" // the headless client's word for the test source
	}
	mic, err := callMic(spec)
	if err != nil {
		log.Error("opening the microphone; sending no sound", "err", err)
		return nil
	}
	return mic
}

// quietRinger adapts audio.Ringer, whose Stop reports the speaker's error,
// to tui.Ringer; that error is the speaker's and shows in the call anyway.
type quietRinger struct{ r *audio.Ringer }

func (q quietRinger) Start() { q.r.Start() }
func (q quietRinger) Stop()  { _ = q.r.Stop() }
