package audio

import "errors"

var (
	// ErrNoPortAudio is returned by every device function of a binary built
	// without cgo.
	ErrNoPortAudio = errors.New("audio: built without PortAudio (CGO_ENABLED=0); rebuild with cgo and portaudio19-dev for microphone and speaker")
	// ErrNoDevice is wrapped when a spec names no device of the wanted
	// direction, or there is no default device.
	ErrNoDevice = errors.New("no such audio device")
	// ErrAmbiguous is wrapped when a name matches more than one device.
	ErrAmbiguous = errors.New("audio device name is ambiguous")
)
