package media

import (
	"errors"
	"testing"
	"time"

	"github.com/dialtone/dialtone/call/dtmf"
)

// TestTonesBothWays: keys sent on one side's audio stream arrive at the
// other once each, in order, while the audio goes on being heard.
func TestTonesBothWays(t *testing.T) {
	a := newPeer(t, "a", peerOpts{toneHz: 440})
	b := newPeer(t, "b", peerOpts{toneHz: 660})
	dial(t, a, b)
	waitAudio(t, a, 10)
	waitAudio(t, b, 10)
	for _, c := range []struct {
		from, to *peer
		digits   string
	}{{a, b, "12#"}, {b, a, "*0D9"}} {
		if err := c.from.s.SendTones(c.digits); err != nil {
			t.Fatalf("%s: SendTones: %v", c.from.name, err)
		}
		var got []byte
		timeout := time.After(10 * time.Second)
		for len(got) < len(c.digits) {
			select {
			case d := <-c.to.s.Tones():
				got = append(got, d)
			case <-timeout:
				t.Fatalf("%s received %q of %q", c.to.name, got, c.digits)
			}
		}
		if string(got) != c.digits {
			t.Fatalf("%s received %q, want %q", c.to.name, got, c.digits)
		}
	}
	// Audio resumes after the tones, and nothing more was reported.
	n := b.s.Stats().Audio.FramesDecoded
	waitAudio(t, b, int(n)+20)
	select {
	case d := <-b.s.Tones():
		t.Fatalf("an extra key %q", d)
	default:
	}
	if err := a.s.SendTones("1x"); !errors.Is(err, dtmf.ErrNotDigit) {
		t.Fatalf("SendTones(1x) = %v", err)
	}
}

// TestTonesNeedAudio: a session without a microphone has no stream to carry
// keys on.
func TestTonesNeedAudio(t *testing.T) {
	s, err := New(Config{}, newLink())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.SendTones("1"); !errors.Is(err, ErrNoAudio) {
		t.Fatalf("SendTones = %v, want ErrNoAudio", err)
	}
}
