package synthetic

import (
	"sync"

	"github.com/dialtone/dialtone/device"
)

// ToneSummary is what a receiver learnt from the tone it heard. The JSON
// names are those of `dialtone call --stats` (audio).
type ToneSummary struct {
	// Frames counts the frames fed in, concealed ones included.
	Frames int `json:"frames_decoded"`
	// Concealed counts the frames the decoder invented to cover loss.
	Concealed int `json:"concealed"`
	// ToneHz is the dominant frequency of the last second heard, 0 before
	// anything was heard.
	ToneHz float64 `json:"tone_hz"`
}

// ToneStats accumulates received audio. It keeps the last second of samples
// (48 kHz) and nothing else; it is safe for concurrent use. The zero value is
// ready.
type ToneStats struct {
	mu        sync.Mutex
	ring      []int16
	pos       int // next write in ring
	filled    bool
	frames    int
	concealed int
}

// Add records one frame of decoded audio; concealed says the decoder made it
// up to cover a loss.
func (s *ToneStats) Add(pcm []int16, concealed bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.frames++
	if concealed {
		s.concealed++
	}
	if s.ring == nil {
		s.ring = make([]int16, device.SampleRate)
	}
	if len(pcm) > len(s.ring) {
		pcm = pcm[len(pcm)-len(s.ring):]
	}
	for len(pcm) > 0 {
		n := copy(s.ring[s.pos:], pcm)
		pcm = pcm[n:]
		s.pos += n
		if s.pos == len(s.ring) {
			s.pos, s.filled = 0, true
		}
	}
}

// Summary returns the figures so far. It runs the frequency detector over
// the last second, a few milliseconds of work.
func (s *ToneStats) Summary() ToneSummary {
	s.mu.Lock()
	sum := ToneSummary{Frames: s.frames, Concealed: s.concealed}
	var last []int16
	if s.filled {
		last = append(append(make([]int16, 0, len(s.ring)), s.ring[s.pos:]...), s.ring[:s.pos]...)
	} else {
		last = append([]int16(nil), s.ring[:s.pos]...)
	}
	s.mu.Unlock()
	sum.ToneHz = DominantFrequency(last, device.SampleRate)
	return sum
}
