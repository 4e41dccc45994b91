package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/dialtone/dialtone/device/audio"
	"github.com/dialtone/dialtone/device/camera"
)

func init() { subcommands = append(subcommands, newDevicesCmd) }

// The listers, replaced by the tests.
var (
	listCameras = camera.List
	listAudio   = audio.Devices
)

// devicesReport is what `dialtone devices --json` prints.
type devicesReport struct {
	Cameras     []cameraEntry `json:"cameras"`
	CameraError string        `json:"camera_error,omitempty"`
	Audio       []audio.Info  `json:"audio"`
	AudioError  string        `json:"audio_error,omitempty"`
}

type cameraEntry struct {
	Path    string   `json:"path"`
	Name    string   `json:"name"`
	Driver  string   `json:"driver,omitempty"`
	Formats []string `json:"formats"` // e.g. "MJPG 1280x720@30 640x480@30,15"
}

func newDevicesCmd() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "devices",
		Short: "List cameras, microphones and speakers",
		Long: "List the cameras (V4L2, with their formats, sizes and frame rates) and the\n" +
			"audio inputs and outputs (PortAudio), marking the defaults. The names and\n" +
			"indexes shown are what --camera, --mic and --speaker take.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			r := collectDevices()
			if asJSON {
				enc := json.NewEncoder(cmd.OutOrStdout())
				enc.SetIndent("", "  ")
				return enc.Encode(r)
			}
			return printDevices(cmd.OutOrStdout(), r)
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print one JSON object")
	return cmd
}

func collectDevices() devicesReport {
	r := devicesReport{Cameras: []cameraEntry{}, Audio: []audio.Info{}}
	cams, err := listCameras()
	if err != nil {
		r.CameraError = err.Error()
	}
	for _, c := range cams {
		e := cameraEntry{Path: c.Path, Name: c.Name, Driver: c.Driver, Formats: []string{}}
		for _, f := range c.Formats {
			e.Formats = append(e.Formats, f.String())
		}
		r.Cameras = append(r.Cameras, e)
	}
	devs, err := listAudio()
	if err != nil {
		r.AudioError = err.Error()
	}
	r.Audio = append(r.Audio, devs...)
	return r
}

func printDevices(w io.Writer, r devicesReport) error {
	var b strings.Builder
	b.WriteString("Cameras\n")
	switch {
	case r.CameraError != "":
		fmt.Fprintf(&b, "  cannot list cameras: %s\n", r.CameraError)
	case len(r.Cameras) == 0:
		b.WriteString("  no cameras found (looked at /dev/video*)\n")
	}
	for _, c := range r.Cameras {
		fmt.Fprintf(&b, "  %s  %s", c.Path, c.Name)
		if c.Driver != "" {
			fmt.Fprintf(&b, " (%s)", c.Driver)
		}
		b.WriteString("\n")
		for _, f := range c.Formats {
			fmt.Fprintf(&b, "      %s\n", f)
		}
	}
	printAudio(&b, r, audio.Capture, "Microphones (audio inputs)")
	printAudio(&b, r, audio.Playback, "Speakers (audio outputs)")
	if r.AudioError == "" && len(r.Audio) > 0 {
		b.WriteString("\n* marks the default. --mic and --speaker take an index, a part of a name, or \"default\".\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func printAudio(b *strings.Builder, r devicesReport, dir audio.Direction, title string) {
	fmt.Fprintf(b, "\n%s\n", title)
	if r.AudioError != "" {
		if strings.Contains(r.AudioError, audio.ErrNoPortAudio.Error()) {
			fmt.Fprintf(b, "  %s\n", r.AudioError)
		} else {
			fmt.Fprintf(b, "  no audio devices: is PulseAudio/ALSA running? (%s)\n", r.AudioError)
		}
		return
	}
	n := 0
	for _, d := range r.Audio {
		ch, def := d.MaxInputChannels, d.DefaultInput
		if dir == audio.Playback {
			ch, def = d.MaxOutputChannels, d.DefaultOutput
		}
		if ch == 0 {
			continue
		}
		n++
		mark := " "
		if def {
			mark = "*"
		}
		fmt.Fprintf(b, "  %s %3d  %s  (%s, %d ch, %g Hz)\n", mark, d.Index, d.Name, d.HostAPI, ch, d.DefaultSampleRate)
	}
	if n == 0 {
		fmt.Fprintf(b, "  no audio %s devices: is PulseAudio/ALSA running?\n", dir)
	}
}
