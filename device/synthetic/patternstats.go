package synthetic

import (
	"math"
	"sync"
	"time"
)

// PatternSummary is what a receiver learnt from the decoded test pattern. The
// JSON names are those of `dialtone call --stats` (video.pattern).
type PatternSummary struct {
	// Frames counts the decoded frames fed in, duplicates included.
	Frames int `json:"frames"`
	// Missing counts frame numbers between the first and the highest seen
	// that never arrived (a late arrival fills its gap again).
	Missing int `json:"missing"`
	// OutOfOrder counts frames that arrived after a higher number.
	OutOfOrder int `json:"out_of_order"`
	// LatencyP50 and LatencyP95 are capture-to-receive latency percentiles in
	// milliseconds, to 0.1 ms below 100 ms and to 1 ms up to 10 s (longer
	// counts as 10 s). Across machines they include clock offset; negative
	// values count as 0.
	LatencyP50 float64 `json:"latency_ms_p50"`
	LatencyP95 float64 `json:"latency_ms_p95"`
	// Duplicates counts frames whose number had already arrived (within the
	// last seqWindow numbers).
	Duplicates int `json:"-"`
}

const (
	// seqWindow is how far behind the highest number a frame is still checked
	// for being a duplicate; older ones are taken as new.
	seqWindow = 4096

	fineBuckets   = 1000 // 0.1 ms each, [0, 100 ms)
	coarseBuckets = 9900 // 1 ms each, [100 ms, 10 s)
	maxLatencyMS  = 10000
)

// PatternStats accumulates decoded pattern frames. Its memory is fixed; it is
// safe for concurrent use. The zero value is ready.
type PatternStats struct {
	mu         sync.Mutex
	started    bool
	first      int64 // lowest frame number seen, unwrapped
	highest    int64 // highest frame number seen, unwrapped
	seen       [seqWindow / 64]uint64
	unique     int64
	frames     int
	outOfOrder int
	duplicates int
	latency    [fineBuckets + coarseBuckets + 1]uint32
}

// Add records one decoded frame: its number and capture time from
// DecodePattern, and when it was received (decoded).
func (s *PatternStats) Add(seq uint32, captured, receivedAt time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.frames++
	s.addLatency(receivedAt.Sub(captured))
	if !s.started {
		s.started = true
		s.first, s.highest = int64(seq), int64(seq)
		s.mark(int64(seq))
		s.unique++
		return
	}
	// Unwrap against the highest number: the 32-bit counter wraps after
	// 4.5 years at 30 fps, and the nearest interpretation is the right one.
	n := s.highest + int64(int32(seq-uint32(s.highest)))
	switch {
	case n > s.highest:
		for i := s.highest + 1; i <= n && i <= s.highest+seqWindow; i++ {
			s.clear(i)
		}
		s.highest = n
	case n < s.highest:
		if n > s.highest-seqWindow && s.isMarked(n) {
			s.duplicates++
			return
		}
		s.outOfOrder++
		s.first = min(s.first, n)
	default:
		s.duplicates++
		return
	}
	s.mark(n)
	s.unique++
}

func (s *PatternStats) mark(n int64)  { i := uint64(n) % seqWindow; s.seen[i/64] |= 1 << (i % 64) }
func (s *PatternStats) clear(n int64) { i := uint64(n) % seqWindow; s.seen[i/64] &^= 1 << (i % 64) }
func (s *PatternStats) isMarked(n int64) bool {
	i := uint64(n) % seqWindow
	return s.seen[i/64]&(1<<(i%64)) != 0
}

func (s *PatternStats) addLatency(d time.Duration) {
	ms := max(float64(d)/float64(time.Millisecond), 0)
	var b int
	switch {
	case ms < 100:
		b = int(ms * 10)
	case ms < maxLatencyMS:
		b = fineBuckets + int(ms) - 100
	default:
		b = fineBuckets + coarseBuckets
	}
	if s.latency[b] < math.MaxUint32 {
		s.latency[b]++
	}
}

// quantile returns the middle of the bucket holding the q-th latency (nearest
// rank).
func (s *PatternStats) quantile(q float64, n int) float64 {
	rank := uint64(math.Ceil(q * float64(n)))
	rank = max(rank, 1)
	var cum uint64
	for b, c := range s.latency {
		cum += uint64(c)
		if cum < rank {
			continue
		}
		switch {
		case b < fineBuckets:
			return (float64(b) + 0.5) / 10
		case b < fineBuckets+coarseBuckets:
			return float64(b-fineBuckets+100) + 0.5
		default:
			return maxLatencyMS
		}
	}
	return 0
}

// Summary returns the figures so far.
func (s *PatternStats) Summary() PatternSummary {
	s.mu.Lock()
	defer s.mu.Unlock()
	sum := PatternSummary{Frames: s.frames, OutOfOrder: s.outOfOrder, Duplicates: s.duplicates}
	if !s.started {
		return sum
	}
	sum.Missing = int(max(s.highest-s.first+1-s.unique, 0))
	sum.LatencyP50 = s.quantile(0.50, s.frames)
	sum.LatencyP95 = s.quantile(0.95, s.frames)
	return sum
}
