package main

import (
	"fmt"
	"log/slog"
	"strings"

	"github.com/dialtone/dialtone/device"
	"github.com/dialtone/dialtone/tui"
)

// phoneDevices are the devices the phone opened at start, shared by every
// engine it builds (the first-run form may build more than one), and what
// the home screen says about them.
type phoneDevices struct {
	cam   device.VideoSource
	mic   device.AudioSource
	spk   device.AudioSink
	shown []tui.Device
	close []func()
}

func (d *phoneDevices) Close() {
	for i := len(d.close) - 1; i >= 0; i-- {
		d.close[i]()
	}
}

// openPhoneDevices opens --camera, --mic and --speaker. A device asked for
// by name that will not open is an error, naming what there is: the user
// meant that one. The defaults (auto, default) that find nothing are not:
// the phone starts without them and says so on screen.
func openPhoneDevices(camSpec, micSpec, spkSpec string, log *slog.Logger) (*phoneDevices, error) {
	d := &phoneDevices{}
	if err := d.openCamera(camSpec, log); err != nil {
		d.Close()
		return nil, err
	}
	if err := d.openMic(micSpec, log); err != nil {
		d.Close()
		return nil, err
	}
	if err := d.openSpeaker(spkSpec, log); err != nil {
		d.Close()
		return nil, err
	}
	return d, nil
}

func (d *phoneDevices) openCamera(spec string, log *slog.Logger) error {
	show := tui.Device{Kind: "camera", Name: spec}
	switch spec {
	case "none":
		show.Off = true
	case "test":
		show.Name = "test pattern"
	}
	named := spec != "auto" && spec != "test"
	if spec == "auto" {
		cams, err := listCameras()
		if err != nil || len(cams) == 0 {
			log.Info("no camera found; sending no video", "err", err)
			show.Missing = "none found"
			d.shown = append(d.shown, show)
			return nil
		}
		spec, show.Name = cams[0].Path, cams[0].Path
	}
	cam, err := callCamera(spec)
	switch {
	case err != nil && named:
		return fmt.Errorf("%w\n%s", err, cameraList())
	case err != nil:
		log.Error("opening the camera; sending no video", "err", err)
		show.Missing = shortErr(err)
	case cam != nil:
		d.cam = cam
		d.close = append(d.close, func() { cam.Close() })
	}
	d.shown = append(d.shown, show)
	return nil
}

func (d *phoneDevices) openMic(spec string, log *slog.Logger) error {
	show := tui.Device{Kind: "mic", Name: spec}
	switch {
	case spec == "none":
		show.Off = true
	case spec == "test":
		spec = "tone" // the headless client's word for the test source
	}
	if spec == "tone" || strings.HasPrefix(spec, "tone:") {
		show.Name = "test tone"
	}
	mic, err := callMic(spec)
	switch {
	case err != nil && spec != "default":
		return fmt.Errorf("%w\n%s", err, audioList(true))
	case err != nil:
		log.Error("opening the microphone; sending no sound", "err", err)
		show.Missing = shortErr(err)
	case mic != nil:
		d.mic = mic
		d.close = append(d.close, func() { mic.Close() })
	}
	d.shown = append(d.shown, show)
	return nil
}

func (d *phoneDevices) openSpeaker(spec string, log *slog.Logger) error {
	show := tui.Device{Kind: "speaker", Name: spec}
	if spec == "none" || spec == "test" {
		show.Off = true
	}
	spk, err := callSpeaker(phoneSpec(spec))
	switch {
	case err != nil && spec != "default":
		return fmt.Errorf("%w\n%s", err, audioList(false))
	case err != nil:
		log.Error("opening the speaker; playing no sound", "err", err)
		show.Missing = shortErr(err)
	case spk != nil:
		d.spk = spk
		d.close = append(d.close, func() { spk.Close() })
	}
	d.shown = append(d.shown, show)
	return nil
}

// shortErr is the device error's last, most specific part.
func shortErr(err error) string {
	s := err.Error()
	if i := strings.LastIndex(s, ": "); i >= 0 && i+2 < len(s) {
		return s[i+2:]
	}
	return s
}

func cameraList() string {
	cams, err := listCameras()
	if err != nil || len(cams) == 0 {
		return "No cameras found; --camera test sends a moving pattern, --camera none nothing."
	}
	var b strings.Builder
	b.WriteString("Cameras here (dialtone devices lists their formats):")
	for _, c := range cams {
		fmt.Fprintf(&b, "\n  %s  %s", c.Path, c.Name)
	}
	return b.String()
}

func audioList(input bool) string {
	what, flag, test := "speakers", "--speaker", "--speaker none discards the sound"
	if input {
		what, flag, test = "microphones", "--mic", "--mic tone sends a test tone"
	}
	devs, err := listAudio()
	var b strings.Builder
	for _, dv := range devs {
		if input && dv.MaxInputChannels > 0 || !input && dv.MaxOutputChannels > 0 {
			fmt.Fprintf(&b, "\n  %d  %s", dv.Index, dv.Name)
		}
	}
	if err != nil || b.Len() == 0 {
		return fmt.Sprintf("No %s found; %s.", what, test)
	}
	return fmt.Sprintf("%s here (%s takes a name or an index; see dialtone devices):%s", strings.ToUpper(what[:1])+what[1:], flag, b.String())
}
