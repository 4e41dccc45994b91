// Package audio is dialtone's microphone and speaker: PortAudio devices
// (through github.com/gordonklaus/portaudio, the only cgo in the device tree)
// presented as device.AudioSource and device.AudioSink in the project's
// format, 48 kHz mono int16 in 20 ms frames.
//
// A device is named by a spec: "" or "default" for the default device, a
// number for a PortAudio device index, or otherwise a case-insensitive part
// of its name (see [Resolve]). A device that cannot run at 48 kHz is opened
// at its own default rate and converted by a windowed-sinc [Resampler];
// devices that only offer stereo are downmixed (input) or fed the same
// signal on every channel (output).
//
// The driver side runs blocking-mode PortAudio streams on one goroutine per
// device, with a small ring buffer between it and ReadAudio/WriteAudio, so
// callers always move exactly one 20 ms frame and never wait on the driver's
// own period. Driver trouble — an input overflow, an output underrun — is
// counted in [Stats] and survived: input drops its oldest audio, output plays
// silence. Only a device that goes away ends a stream, with an error.
//
// Built with CGO_ENABLED=0 the package still compiles, so the server stays
// static; every device function then returns [ErrNoPortAudio]. The pure parts
// (Resolve, Resampler, Ring/Ringer) work in both builds.
//
// It is not a mixer, an echo canceller or a codec; and it does not reach
// PulseAudio or PipeWire directly — PortAudio sees them through ALSA's pulse
// plugin, as it does on a desktop.
package audio
