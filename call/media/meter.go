package media

import (
	"sync"
	"time"
)

// Meter window: rates are over the last two seconds, in 100 ms buckets, so
// that a figure printed once a second is smooth but follows a change.
const (
	meterBuckets = 20
	meterBucket  = 100 * time.Millisecond
)

// meter sums a quantity (bytes, frames) over a sliding window. It is safe
// for concurrent use; its memory is fixed.
type meter struct {
	mu    sync.Mutex
	first time.Time
	stamp [meterBuckets]int64 // bucket number each slot holds
	sum   [meterBuckets]float64
	total float64
}

func (m *meter) add(v float64, now time.Time) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.first.IsZero() {
		m.first = now
	}
	b := now.UnixNano() / int64(meterBucket)
	i := b % meterBuckets
	if m.stamp[i] != b {
		m.stamp[i], m.sum[i] = b, 0
	}
	m.sum[i] += v
	m.total += v
}

// rate is the sum per second over the window (or since the first add, when
// that is shorter).
func (m *meter) rate(now time.Time) float64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.first.IsZero() {
		return 0
	}
	b := now.UnixNano() / int64(meterBucket)
	var sum float64
	for i := range m.stamp {
		if s := m.stamp[i]; s > b-meterBuckets && s <= b {
			sum += m.sum[i]
		}
	}
	span := time.Duration(now.UnixNano() - (b-meterBuckets+1)*int64(meterBucket))
	span = min(span, now.Sub(m.first))
	if span < 50*time.Millisecond {
		return 0
	}
	return sum / span.Seconds()
}
