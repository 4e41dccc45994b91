package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/dialtone/dialtone/device/audio"
	"github.com/dialtone/dialtone/device/audio/audiotest"
	"github.com/dialtone/dialtone/device/camera"
)

func runDevices(t *testing.T, args ...string) string {
	t.Helper()
	var out bytes.Buffer
	cmd := newDevicesCmd()
	cmd.SetOut(&out)
	cmd.SetArgs(args)
	if err := cmd.Execute(); err != nil {
		t.Fatalf("devices %v: %v", args, err)
	}
	return out.String()
}

func fakeDevices(t *testing.T, cams []camera.Info, camErr error, devs []audio.Info, audErr error) {
	oc, oa := listCameras, listAudio
	t.Cleanup(func() { listCameras, listAudio = oc, oa })
	listCameras = func() ([]camera.Info, error) { return cams, camErr }
	listAudio = func() ([]audio.Info, error) { return devs, audErr }
}

func TestDevicesText(t *testing.T) {
	cam := camera.Info{Path: "/dev/video0", Name: "HD Webcam C525", Driver: "uvcvideo", Formats: []camera.Format{
		{Pixel: camera.YUYV, Sizes: []camera.FrameSize{{Width: 640, Height: 480, Intervals: []camera.Interval{{Num: 1, Den: 30}}}}},
	}}
	devs := []audio.Info{
		{Index: 0, Name: "pulse", HostAPI: "ALSA", MaxInputChannels: 32, MaxOutputChannels: 32, DefaultSampleRate: 44100},
		{Index: 1, Name: "HDMI 0", HostAPI: "ALSA", MaxOutputChannels: 8, DefaultSampleRate: 48000, DefaultOutput: true},
		{Index: 2, Name: "USB Mic", HostAPI: "ALSA", MaxInputChannels: 1, DefaultSampleRate: 48000, DefaultInput: true},
	}
	cases := []struct {
		name    string
		cams    []camera.Info
		camErr  error
		devs    []audio.Info
		audErr  error
		want    []string
		wantNot []string
	}{
		{"all", []camera.Info{cam}, nil, devs, nil,
			[]string{"/dev/video0  HD Webcam C525 (uvcvideo)", "YUYV 640x480@30", "*   2  USB Mic  (ALSA, 1 ch, 48000 Hz)", "*   1  HDMI 0", "    0  pulse", "* marks the default"},
			[]string{"no cameras", "is PulseAudio"}},
		{"none", nil, nil, nil, nil,
			[]string{"no cameras found (looked at /dev/video*)", "no audio input devices: is PulseAudio/ALSA running?", "no audio output devices"},
			[]string{"* marks"}},
		{"errors", nil, errors.New("permission denied"), nil, errors.New("starting PortAudio: boom"),
			[]string{"cannot list cameras: permission denied", "no audio devices: is PulseAudio/ALSA running? (starting PortAudio: boom)"}, nil},
		{"no cgo", nil, nil, nil, audio.ErrNoPortAudio,
			[]string{"built without PortAudio"}, []string{"is PulseAudio"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			fakeDevices(t, tc.cams, tc.camErr, tc.devs, tc.audErr)
			out := runDevices(t)
			for _, w := range tc.want {
				if !strings.Contains(out, w) {
					t.Errorf("output lacks %q:\n%s", w, out)
				}
			}
			for _, w := range tc.wantNot {
				if strings.Contains(out, w) {
					t.Errorf("output has %q:\n%s", w, out)
				}
			}
		})
	}
}

func TestDevicesJSON(t *testing.T) {
	fakeDevices(t, nil, nil, []audio.Info{{Index: 3, Name: "default", MaxInputChannels: 2, DefaultInput: true}}, nil)
	var r devicesReport
	if err := json.Unmarshal([]byte(runDevices(t, "--json")), &r); err != nil {
		t.Fatal(err)
	}
	if r.Cameras == nil || len(r.Cameras) != 0 || len(r.Audio) != 1 || !r.Audio[0].DefaultInput || r.Audio[0].Name != "default" {
		t.Errorf("JSON report %+v", r)
	}
}

// TestDevicesOnPulse lists the audio devices of a real (private) PulseAudio.
func TestDevicesOnPulse(t *testing.T) {
	audiotest.Start(t)
	if _, err := audio.Devices(); errors.Is(err, audio.ErrNoPortAudio) {
		t.Skip("built without cgo")
	}
	out := runDevices(t)
	for _, w := range []string{audiotest.SinkPCM, audiotest.MonitorPCM, "default", "* marks the default"} {
		if !strings.Contains(out, w) {
			t.Errorf("output lacks %q:\n%s", w, out)
		}
	}
	t.Log("\n" + out)
}
