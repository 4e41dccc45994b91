package synthetic

import (
	"context"
	"time"

	"github.com/dialtone/dialtone/device"
)

// Clock is the time source the sources pace themselves against. The zero
// choice (nil) is the system clock; tests inject a fake or run under
// testing/synctest.
type Clock interface {
	Now() time.Time
	// After delivers on the returned channel once d has passed.
	After(d time.Duration) <-chan time.Time
}

type systemClock struct{}

func (systemClock) Now() time.Time                         { return time.Now() }
func (systemClock) After(d time.Duration) <-chan time.Time { return time.After(d) }

// SystemClock is the real clock.
var SystemClock Clock = systemClock{}

// Option configures a source.
type Option func(*options)

type options struct {
	clock Clock
}

// WithClock paces the source against c instead of the system clock.
func WithClock(c Clock) Option {
	return func(o *options) {
		if c != nil {
			o.clock = c
		}
	}
}

func buildOptions(opts []Option) options {
	o := options{clock: SystemClock}
	for _, f := range opts {
		f(&o)
	}
	return o
}

// pacer releases one slot every period. The first slot is immediate. A reader
// that falls more than maxLag behind skips the backlog instead of bursting, as
// a real device that drops what nobody read.
type pacer struct {
	clock  Clock
	period time.Duration
	maxLag time.Duration
	next   time.Time
	primed bool
}

// wait blocks until the next slot and returns the time it was released.
func (p *pacer) wait(ctx context.Context, done <-chan struct{}) (time.Time, error) {
	if err := ctx.Err(); err != nil {
		return time.Time{}, err
	}
	select {
	case <-done:
		return time.Time{}, device.ErrClosed
	default:
	}
	now := p.clock.Now()
	if !p.primed {
		p.next, p.primed = now, true
	}
	if d := p.next.Sub(now); d > 0 {
		select {
		case <-p.clock.After(d):
		case <-ctx.Done():
			return time.Time{}, ctx.Err()
		case <-done:
			return time.Time{}, device.ErrClosed
		}
		now = p.clock.Now()
	}
	p.next = p.next.Add(p.period)
	if now.Sub(p.next) > p.maxLag {
		p.next = now.Add(p.period)
	}
	return now, nil
}
