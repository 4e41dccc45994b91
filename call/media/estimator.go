package media

import (
	"sync"

	"github.com/pion/interceptor"
	"github.com/pion/interceptor/pkg/cc"
	"github.com/pion/rtcp"
	"github.com/pion/rtp"
)

// estimator is the session's congestion controller: pion's GCC, held over
// a stretch with the camera off and restarted after it.
//
// While the camera is off only audio flows. GCC then measures nothing but
// that: a moment's queueing sets its estimate to 0.85 × what was received
// (the audio's 50 kbit/s), and from there it climbs by at most 8 % a
// second, so a picture that comes back would take half a minute to regain
// its size. That low figure says what audio used, not what the link
// carries, so when the camera comes back the controller restarts from the
// estimate it had while video flowed; if the link really got worse, GCC
// finds that out again within a second or two.
type estimator struct {
	newGCC func(initialBps int) (cc.BandwidthEstimator, error)

	mu       sync.RWMutex
	cur      cc.BandwidthEstimator
	streams  []*estStream
	onChange func(int)
	held     int // the estimate when the camera went off; 0 while on
}

// estStream is one local stream: what it writes through (the current
// GCC's pacer), and what to register again after a restart.
type estStream struct {
	info *interceptor.StreamInfo
	next interceptor.RTPWriter
	w    interceptor.RTPWriter
}

var _ cc.BandwidthEstimator = (*estimator)(nil)

func newEstimator(newGCC func(initialBps int) (cc.BandwidthEstimator, error), initialBps int) (*estimator, error) {
	g, err := newGCC(initialBps)
	if err != nil {
		return nil, err
	}
	return &estimator{newGCC: newGCC, cur: g}, nil
}

func (e *estimator) current() cc.BandwidthEstimator {
	e.mu.RLock()
	defer e.mu.RUnlock()
	return e.cur
}

// AddStream registers a local stream with the current GCC and returns a
// writer that follows it across restarts.
func (e *estimator) AddStream(info *interceptor.StreamInfo, writer interceptor.RTPWriter) interceptor.RTPWriter {
	e.mu.Lock()
	st := &estStream{info: info, next: writer}
	st.w = e.cur.AddStream(info, writer)
	e.streams = append(e.streams, st)
	e.mu.Unlock()
	return interceptor.RTPWriterFunc(func(h *rtp.Header, payload []byte, a interceptor.Attributes) (int, error) {
		e.mu.RLock()
		w := st.w
		e.mu.RUnlock()
		return w.Write(h, payload, a)
	})
}

func (e *estimator) WriteRTCP(pkts []rtcp.Packet, a interceptor.Attributes) error {
	return e.current().WriteRTCP(pkts, a)
}

func (e *estimator) GetTargetBitrate() int { return e.current().GetTargetBitrate() }

func (e *estimator) GetStats() map[string]any { return e.current().GetStats() }

func (e *estimator) OnTargetBitrateChange(f func(int)) {
	e.mu.Lock()
	e.onChange = f
	e.cur.OnTargetBitrateChange(f)
	e.mu.Unlock()
}

func (e *estimator) Close() error { return e.current().Close() }

// hold notes the estimate as the camera goes off (the highest, if it goes
// off twice without coming back).
func (e *estimator) hold() {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.held = max(e.held, e.cur.GetTargetBitrate())
}

// resume is the camera coming back: if the estimate fell below what it was
// when the camera went off, GCC restarts from that.
func (e *estimator) resume() error {
	e.mu.Lock()
	held := e.held
	e.held = 0
	if held <= e.cur.GetTargetBitrate() {
		e.mu.Unlock()
		return nil
	}
	g, err := e.newGCC(held)
	if err != nil {
		e.mu.Unlock()
		return err
	}
	if e.onChange != nil {
		g.OnTargetBitrateChange(e.onChange)
	}
	for _, st := range e.streams {
		st.w = g.AddStream(st.info, st.next)
	}
	old := e.cur
	e.cur = g
	e.mu.Unlock()
	return old.Close()
}
