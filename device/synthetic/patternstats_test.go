package synthetic

import (
	"encoding/json"
	"math"
	"testing"
	"time"
)

func TestPatternStats(t *testing.T) {
	base := time.Unix(1_700_000_000, 0)
	tests := []struct {
		name string
		seqs []uint32
		want PatternSummary
	}{
		{"empty", nil, PatternSummary{}},
		{"in order", []uint32{5, 6, 7, 8}, PatternSummary{Frames: 4}},
		{"gap", []uint32{1, 2, 5, 6}, PatternSummary{Frames: 4, Missing: 2}},
		{"late fills gap", []uint32{1, 3, 2, 4}, PatternSummary{Frames: 4, OutOfOrder: 1}},
		{"duplicate", []uint32{1, 2, 2, 3, 1}, PatternSummary{Frames: 5, Duplicates: 2}},
		{"before first", []uint32{10, 11, 9}, PatternSummary{Frames: 3, OutOfOrder: 1}},
		{"wrap", []uint32{math.MaxUint32 - 1, math.MaxUint32, 1}, PatternSummary{Frames: 3, Missing: 1}},
		{"big jump", []uint32{1, 100001}, PatternSummary{Frames: 2, Missing: 99999}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var s PatternStats
			for _, q := range tt.seqs {
				s.Add(q, base, base.Add(10*time.Millisecond))
			}
			got := s.Summary()
			if len(tt.seqs) > 0 {
				tt.want.LatencyP50, tt.want.LatencyP95 = 10.05, 10.05
			}
			if got != tt.want {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestPatternStatsLatency(t *testing.T) {
	var s PatternStats
	base := time.Unix(1_700_000_000, 0)
	// 1..100 ms, then one outlier far past the histogram and one negative
	// (clock skew).
	for i := 1; i <= 100; i++ {
		s.Add(uint32(i), base, base.Add(time.Duration(i)*time.Millisecond))
	}
	s.Add(101, base, base.Add(time.Hour))
	s.Add(102, base, base.Add(-time.Second))
	got := s.Summary()
	if math.Abs(got.LatencyP50-50) > 0.5 || math.Abs(got.LatencyP95-96) > 0.5 {
		t.Errorf("p50 %v p95 %v, want about 50 and 96 (nearest rank of 102)", got.LatencyP50, got.LatencyP95)
	}
	b, _ := json.Marshal(got)
	var m map[string]any
	json.Unmarshal(b, &m)
	for _, k := range []string{"frames", "missing", "out_of_order", "latency_ms_p50", "latency_ms_p95"} {
		if _, ok := m[k]; !ok {
			t.Errorf("JSON %s lacks %q", b, k)
		}
	}
	if len(m) != 5 {
		t.Errorf("JSON %s has extra keys", b)
	}
}
