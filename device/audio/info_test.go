package audio

import (
	"errors"
	"strings"
	"testing"
)

func TestResolve(t *testing.T) {
	devs := []Info{
		{Index: 0, Name: "HDA Intel PCH: ALC257 Analog (hw:0,0)", MaxInputChannels: 2, MaxOutputChannels: 2},
		{Index: 1, Name: "HDA Intel PCH: HDMI 0 (hw:0,3)", MaxOutputChannels: 8},
		{Index: 2, Name: "USB Headset: Audio (hw:1,0)", MaxInputChannels: 1, MaxOutputChannels: 2},
		{Index: 3, Name: "pulse", MaxInputChannels: 32, MaxOutputChannels: 32},
		{Index: 4, Name: "default", MaxInputChannels: 32, MaxOutputChannels: 32, DefaultInput: true, DefaultOutput: true},
		{Index: 5, Name: "Webcam Mic", MaxInputChannels: 1},
	}
	cases := []struct {
		spec    string
		dir     Direction
		want    int
		wantErr error
		errHas  string
	}{
		{"", Capture, 4, nil, ""},
		{"default", Playback, 4, nil, ""},
		{" DEFAULT ", Capture, 4, nil, ""},
		{"2", Capture, 2, nil, ""},
		{"1", Playback, 1, nil, ""},
		{"1", Capture, 0, ErrNoDevice, "no input channels"},
		{"9", Playback, 0, ErrNoDevice, `0 "HDA Intel PCH: ALC257`},
		{"headset", Capture, 2, nil, ""},
		{"hdmi", Playback, 1, nil, ""},
		{"hdmi", Capture, 0, ErrNoDevice, "matches"},
		{"webcam", Playback, 0, ErrNoDevice, ""},
		{"PULSE", Playback, 3, nil, ""},
		{"hda intel", Playback, 0, ErrAmbiguous, `1 "HDA Intel PCH: HDMI 0 (hw:0,3)"`},
		{"hda intel", Capture, 0, nil, ""}, // only one of them records
		{"hw:", Capture, 0, ErrAmbiguous, "give more of the name or the index"},
		{"bluetooth", Capture, 0, ErrNoDevice, `no audio input device matches "bluetooth"`},
	}
	for _, tc := range cases {
		t.Run(tc.dir.String()+"/"+tc.spec, func(t *testing.T) {
			got, err := Resolve(devs, tc.spec, tc.dir)
			if !errors.Is(err, tc.wantErr) || (tc.wantErr != nil) != (err != nil) {
				t.Fatalf("Resolve(%q, %v) error %v, want %v", tc.spec, tc.dir, err, tc.wantErr)
			}
			if err != nil {
				if !strings.Contains(err.Error(), tc.errHas) {
					t.Errorf("error %q lacks %q", err, tc.errHas)
				}
				return
			}
			if got.Index != tc.want {
				t.Errorf("Resolve(%q, %v) = %d %q, want %d", tc.spec, tc.dir, got.Index, got.Name, tc.want)
			}
		})
	}
}

func TestResolveWithoutDefaults(t *testing.T) {
	if _, err := Resolve(nil, "", Capture); !errors.Is(err, ErrNoDevice) || !strings.Contains(err.Error(), "PulseAudio/ALSA") {
		t.Errorf("no devices: %v", err)
	}
	// A bare ALSA system has no default marked but a PCM named default.
	devs := []Info{{Index: 0, Name: "hw0", MaxOutputChannels: 2}, {Index: 7, Name: "Default", MaxOutputChannels: 2}}
	if d, err := Resolve(devs, "", Playback); err != nil || d.Index != 7 {
		t.Errorf("fallback to the PCM named default: %v, %v", d, err)
	}
	if _, err := Resolve(devs[:1], "", Playback); !errors.Is(err, ErrNoDevice) || !strings.Contains(err.Error(), `"hw0"`) {
		t.Errorf("no default: %v", err)
	}
}
