package camera

import "errors"

// Errors callers branch on. Each is wrapped with the device path and what was
// being done.
var (
	// ErrBusy: another program is streaming from the device.
	ErrBusy = errors.New("device is busy (in use by another program)")
	// ErrGone: the device went away (unplugged) while open.
	ErrGone = errors.New("device disconnected")
	// ErrStalled: the device stopped delivering frames for longer than the
	// stall timeout.
	ErrStalled = errors.New("device stopped delivering frames")
	// ErrMode: the device offers no format this package can convert in the
	// requested mode; the message lists what it does offer.
	ErrMode = errors.New("mode not supported")
	// ErrNotCamera: the path is not a V4L2 video capture device.
	ErrNotCamera = errors.New("not a V4L2 video capture device")
)
