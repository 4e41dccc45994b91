package dtmf

import (
	"bytes"
	"errors"
	"testing"
	"time"
)

func TestEventRoundTrip(t *testing.T) {
	tests := []struct {
		name string
		ev   Event
		wire []byte
	}{
		{"start of 1", Event{Code: 1, Volume: 10, Duration: 960}, []byte{1, 0x0a, 0x03, 0xc0}},
		{"end of #", Event{Code: 11, End: true, Volume: 10, Duration: 5760}, []byte{11, 0x8a, 0x16, 0x80}},
		{"flash, longest", Event{Code: 16, Volume: 63, Duration: 0xffff}, []byte{16, 0x3f, 0xff, 0xff}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.ev.Marshal(nil); !bytes.Equal(got, tt.wire) {
				t.Fatalf("Marshal = % x, want % x", got, tt.wire)
			}
			got, err := Parse(tt.wire)
			if err != nil || got != tt.ev {
				t.Fatalf("Parse = %+v, %v; want %+v", got, err, tt.ev)
			}
		})
	}
	if _, err := Parse([]byte{1, 2, 3}); !errors.Is(err, ErrShort) {
		t.Fatalf("Parse of 3 bytes: %v, want ErrShort", err)
	}
	// The reserved bit is not the volume.
	if ev, _ := Parse([]byte{5, 0x4a, 0, 160}); ev.Volume != 10 || ev.End {
		t.Fatalf("reserved bit read as %+v", ev)
	}
}

func TestCodes(t *testing.T) {
	for i := 0; i < 16; i++ {
		c, err := Code(Digits[i])
		if err != nil || int(c) != i || Digit(c) != Digits[i] {
			t.Errorf("Code(%q) = %d, %v", Digits[i], c, err)
		}
	}
	if c, err := Code('b'); err != nil || c != 13 {
		t.Errorf("Code('b') = %d, %v; want 13", c, err)
	}
	for _, d := range []byte{'!', 'E', ',', ' ', 0} {
		if _, err := Code(d); !errors.Is(err, ErrNotDigit) {
			t.Errorf("Code(%q) = %v, want ErrNotDigit", d, err)
		}
	}
	if Digit(17) != 0 || Digit(16) != '!' {
		t.Errorf("Digit(17) = %q, Digit(16) = %q", Digit(17), Digit(16))
	}
	if !Valid("1234#,*ABCDabcd") || Valid("12x") {
		t.Error("Valid is wrong")
	}
}

// run drives a sender frame by frame from ts0 and returns what it sent,
// frame index by frame index.
func run(s *Sender, ts0 uint32, frames int) map[int]Packet {
	out := map[int]Packet{}
	for i := 0; i < frames; i++ {
		if p, ok := s.Next(ts0 + uint32(i)*960); ok {
			out[i] = p
		}
	}
	return out
}

func TestSenderOneDigit(t *testing.T) {
	s := NewSender(20*time.Millisecond, 48000)
	if err := s.Queue("5"); err != nil {
		t.Fatal(err)
	}
	got := run(s, 1000, 50)
	// 120 ms of tone at 20 ms a packet is 6 packets, the last the first of
	// three end packets: 8 packets on frames 0–7, all of the start's
	// timestamp.
	if len(got) != 8 {
		t.Fatalf("sent %d packets, want 8: %+v", len(got), got)
	}
	for i := 0; i < 8; i++ {
		p, ok := got[i]
		if !ok {
			t.Fatalf("frame %d sent nothing", i)
		}
		wantDur := uint16(min(i+1, 6) * 960)
		if p.Timestamp != 1000 || p.Event.Code != 5 || p.Event.Duration != wantDur || p.Event.End != (i >= 5) ||
			p.Marker != (i == 0) || p.Event.Volume != Volume {
			t.Errorf("frame %d: %+v; want ts 1000 duration %d end %v marker %v", i, p, wantDur, i >= 5, i == 0)
		}
	}
	if s.Busy() {
		t.Error("sender busy after the gap")
	}
}

func TestSenderSpacing(t *testing.T) {
	s := NewSender(20*time.Millisecond, 8000)
	if err := s.Queue("1,2"); err != nil {
		t.Fatal(err)
	}
	got := run(s, 0, 200)
	var starts []int
	for i := 0; i < 200; i++ {
		if p, ok := got[i]; ok && p.Marker {
			starts = append(starts, i)
		}
		if p, ok := got[i]; ok && p.Event.Duration%160 != 0 {
			t.Fatalf("duration %d is not in 8 kHz frames of 160", p.Event.Duration)
		}
	}
	// 1: frames 0–7, a 100 ms gap (5 frames), the 1 s pause (50 frames),
	// then 2.
	if len(starts) != 2 || starts[0] != 0 || starts[1] != 8+5+50 {
		t.Fatalf("events start on frames %v", starts)
	}
	if p := got[starts[1]]; p.Event.Code != 2 || p.Timestamp != uint32(starts[1])*960 {
		t.Fatalf("second event %+v", p)
	}
	if err := s.Queue("1x"); !errors.Is(err, ErrNotDigit) {
		t.Fatalf("Queue(1x) = %v", err)
	}
	if err := s.Queue(string(make([]byte, 300))); err == nil {
		t.Fatal("Queue took 300 NULs")
	}
}

func TestReceiver(t *testing.T) {
	type pkt struct {
		ts     uint32
		marker bool
		ev     Event
	}
	start := func(ts uint32, c uint8) pkt { return pkt{ts, true, Event{Code: c, Duration: 160}} }
	upd := func(ts uint32, c uint8) pkt { return pkt{ts, false, Event{Code: c, Duration: 320}} }
	end := func(ts uint32, c uint8) pkt { return pkt{ts, false, Event{Code: c, End: true, Duration: 960}} }
	tests := []struct {
		name string
		in   []pkt
		want string
	}{
		{"one event, three ends", []pkt{start(10, 1), upd(10, 1), end(10, 1), end(10, 1), end(10, 1)}, "1"},
		{"same key twice", []pkt{start(10, 1), end(10, 1), end(10, 1), start(2000, 1), end(2000, 1)}, "11"},
		{"start lost", []pkt{start(10, 1), end(10, 1), upd(2000, 1), end(2000, 1)}, "11"},
		{"only end packets", []pkt{end(10, 11), end(10, 11), end(10, 11), end(900, 10)}, "#*"},
		{"late end after the next started", []pkt{start(10, 2), start(500, 3), end(10, 2)}, "232"},
		{"next segment of a long event", []pkt{start(10, 4), upd(10, 4), upd(70000, 4), end(70000, 4)}, "4"},
		{"not a key", []pkt{start(10, 40), end(10, 40), start(20, 9)}, "9"},
		{"flash", []pkt{start(10, 16)}, "!"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var r Receiver
			var got []byte
			for _, p := range tt.in {
				if d, ok := r.Push(p.ts, p.marker, p.ev.Marshal(nil)); ok {
					got = append(got, d)
				}
			}
			if string(got) != tt.want {
				t.Fatalf("got %q, want %q", got, tt.want)
			}
		})
	}
	var r Receiver
	if _, ok := r.Push(1, true, []byte{1}); ok {
		t.Fatal("a short payload reported a digit")
	}
}

// TestSenderToReceiver: what a sender sends, a receiver reports once a
// digit, with every end packet delivered.
func TestSenderToReceiver(t *testing.T) {
	s := NewSender(20*time.Millisecond, 48000)
	const digits = "1234567890*#ABCD11"
	if err := s.Queue(digits); err != nil {
		t.Fatal(err)
	}
	var r Receiver
	var got []byte
	for i := 0; s.Busy(); i++ {
		if p, ok := s.Next(uint32(i) * 960); ok {
			if d, ok := r.Push(p.Timestamp, p.Marker, p.Event.Marshal(nil)); ok {
				got = append(got, d)
			}
		}
	}
	if string(got) != digits {
		t.Fatalf("received %q, want %q", got, digits)
	}
}

// BenchmarkSenderNext is what each audio frame pays for the keypad: the
// sender's check while idle.
func BenchmarkSenderNext(b *testing.B) {
	s := NewSender(20*time.Millisecond, 48000)
	ts := uint32(0)
	b.ReportAllocs()
	for b.Loop() {
		if _, ok := s.Next(ts); ok {
			b.Fatal("a packet from an idle sender")
		}
		ts += 960
	}
}

// BenchmarkReceiverPush is the cost of one received event packet.
func BenchmarkReceiverPush(b *testing.B) {
	var r Receiver
	payload := Event{Code: 5, Volume: 10, Duration: 960}.Marshal(nil)
	b.ReportAllocs()
	for b.Loop() {
		r.Push(1000, false, payload)
	}
}
