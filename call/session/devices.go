package session

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/dialtone/dialtone/device"
)

// deviceWait bounds how long a call's media waits for an earlier call's
// media to let go of the camera and microphone. A media session lets go
// within milliseconds of its close (its reads are cancelled first); one
// that has not after this is stuck, and the new call should not go
// without pictures and sound because of it.
const deviceWait = 3 * time.Second

// deviceTurn is a call's turn at the phone's camera and microphone. A
// source serves one reader at a time, and a picture it returned stays valid
// only until its next read, so a call's media reads them only once every
// earlier call's media has finished (its Close returned). Hanging up does
// not wait for that: the next call waits, at its first read, which comes
// after its connection is up, by when the earlier media has long closed.
type deviceTurn struct {
	after   []<-chan struct{} // closed when each earlier call's media has finished
	log     *slog.Logger
	start   sync.Once
	expired chan struct{} // closed deviceWait after the first await
	timer   *time.Timer
	mu      sync.Mutex
	granted bool
}

// newDeviceTurn returns the turn that comes after the media workers in
// earlier (those that have not finished yet).
func newDeviceTurn(earlier []*mediaWorker, log *slog.Logger) *deviceTurn {
	t := &deviceTurn{log: log}
	for _, w := range earlier {
		t.after = append(t.after, w.closed)
	}
	return t
}

// await returns once the devices are this call's, or deviceWait after the
// first call to await, or with ctx's error when ctx ends first.
func (t *deviceTurn) await(ctx context.Context) error {
	t.mu.Lock()
	granted := t.granted
	t.mu.Unlock()
	if granted {
		return nil
	}
	t.start.Do(func() {
		expired := make(chan struct{})
		t.expired = expired
		t.timer = time.AfterFunc(deviceWait, func() { close(expired) })
	})
	for _, ch := range t.after {
		select {
		case <-ch:
		case <-t.expired:
			if t.grant() {
				t.log.Warn("an earlier call's media still holds the devices; using them anyway", "waited", deviceWait)
			}
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	t.grant()
	return nil
}

// grant makes the devices this call's; it reports whether they were not
// already.
func (t *deviceTurn) grant() bool {
	t.mu.Lock()
	first := !t.granted
	t.granted = true
	t.mu.Unlock()
	t.timer.Stop()
	return first
}

// turnCamera is the phone's camera as one call's media sees it.
type turnCamera struct {
	src  device.VideoSource
	turn *deviceTurn
}

func (c turnCamera) ReadFrame(ctx context.Context) (device.Frame, error) {
	if err := c.turn.await(ctx); err != nil {
		return device.Frame{}, err
	}
	return c.src.ReadFrame(ctx)
}

// Close does nothing: the phone's owner closes the devices.
func (turnCamera) Close() error { return nil }

// turnMic is the phone's microphone as one call's media sees it.
type turnMic struct {
	src  device.AudioSource
	turn *deviceTurn
}

func (m turnMic) ReadAudio(ctx context.Context, pcm []int16) error {
	if err := m.turn.await(ctx); err != nil {
		return err
	}
	return m.src.ReadAudio(ctx, pcm)
}

// Close does nothing: the phone's owner closes the devices.
func (turnMic) Close() error { return nil }
