package sipgw

import (
	"log/slog"
	"math"
	"slices"
	"testing"

	"github.com/pion/rtcp"
	"github.com/pion/rtp"

	"github.com/dialtone/dialtone/call/media/opus"
	"github.com/dialtone/dialtone/server/sipgw/g711"
)

// testOpus is libopus, set up as cmd/ gives it to the gateway
// (cmd/dialtone/sipopus.go). Tests may import the media stack; the gateway
// itself does not.
type testOpus struct{}

func (testOpus) NewEncoder() (OpusEncoder, error) {
	e, err := opus.NewEncoder(24000)
	if err != nil {
		return nil, err
	}
	if err := e.SetMaxBandwidth(opus.Narrowband); err != nil {
		return nil, err
	}
	if err := e.SetComplexity(5); err != nil {
		return nil, err
	}
	return e, nil
}

func (testOpus) NewDecoder() (OpusDecoder, error) {
	d, err := opus.NewDecoder()
	if err != nil {
		return nil, err
	}
	return d, nil
}

func newTestTranscoder(t testing.TB, codec string, pt uint8) *transcoder {
	t.Helper()
	tc, err := newTranscoder(testOpus{}, &stream{kind: "audio", codec: codec, pt: pt})
	if err != nil {
		t.Skipf("no libopus: %v", err)
	}
	t.Cleanup(tc.close)
	return tc
}

func tone(n int, hz, rate, amp float64, from int) []int16 {
	s := make([]int16, n)
	for i := range s {
		s[i] = int16(amp * math.Sin(2*math.Pi*hz*float64(from+i)/rate))
	}
	return s
}

// toneOf measures a tone: its frequency by upward zero crossings and its
// amplitude by the RMS, over s.
func toneOf(s []int16, rate float64) (hz, amp float64) {
	n, sum := 0, 0.0
	for i := 1; i < len(s); i++ {
		if s[i-1] < 0 && s[i] >= 0 {
			n++
		}
		sum += float64(s[i]) * float64(s[i])
	}
	return float64(n) * rate / float64(len(s)), math.Sqrt(2 * sum / float64(len(s)))
}

// g711Packets is a phone's stream: secs of a tone in 20 ms packets.
func g711Packets(law g711.Law, hz float64, packets int) []*rtp.Packet {
	var out []*rtp.Packet
	for i := range packets {
		pcm := tone(frame8, hz, 8000, 8000, i*frame8)
		out = append(out, &rtp.Packet{
			Header:  rtp.Header{Version: 2, PayloadType: 0, SequenceNumber: uint16(1000 + i), Timestamp: uint32(5000 + i*frame8), SSRC: 77},
			Payload: law.Encode(make([]byte, frame8), pcm),
		})
	}
	return out
}

// opusPackets is the dialtone party's stream: a tone in 20 ms Opus packets.
func opusPackets(t testing.TB, hz float64, packets int) []*rtp.Packet {
	t.Helper()
	enc, err := opus.NewEncoder(32000)
	if err != nil {
		t.Skipf("no libopus: %v", err)
	}
	defer enc.Close()
	var out []*rtp.Packet
	buf := make([]byte, opus.MaxPacketSize)
	for i := range packets {
		n, err := enc.Encode(tone(frame48, hz, 48000, 8000, i*frame48), buf)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, &rtp.Packet{
			Header:  rtp.Header{Version: 2, PayloadType: 111, SequenceNumber: uint16(65530 + i), Timestamp: uint32(4294960000 + i*frame48), SSRC: 99},
			Payload: append([]byte(nil), buf[:n]...),
		})
	}
	return out
}

type sentOpus struct {
	seq    uint16
	ts     uint32
	marker bool
	pcm    []int16
}

// runToOpus pushes the phone's packets through and decodes what comes out.
func runToOpus(t *testing.T, tc *transcoder, in []*rtp.Packet) []sentOpus {
	t.Helper()
	dec, err := opus.NewDecoder()
	if err != nil {
		t.Fatal(err)
	}
	defer dec.Close()
	var out []sentOpus
	for _, p := range in {
		err := tc.toOpus.push(p, func(o *rtp.Packet) error {
			pcm := make([]int16, 5760)
			n, err := dec.Decode(o.Payload, pcm)
			if err != nil {
				t.Fatalf("the Opus packet does not decode: %v", err)
			}
			out = append(out, sentOpus{o.SequenceNumber, o.Timestamp, o.Marker, pcm[:n]})
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	return out
}

type sentG711 struct {
	rtp.Header
	pcm []int16
}

func runToG711(t *testing.T, tc *transcoder, in []*rtp.Packet) []sentG711 {
	t.Helper()
	law := tc.toG711.law
	var out []sentG711
	for _, p := range in {
		err := tc.toG711.push(p, 0x51500000, func(raw []byte) error {
			var q rtp.Packet
			if err := q.Unmarshal(raw); err != nil {
				t.Fatalf("the G.711 packet does not parse: %v", err)
			}
			out = append(out, sentG711{q.Header, law.Decode(make([]int16, len(q.Payload)), q.Payload)})
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	return out
}

// checkOpusRun checks that the packets are 20 ms each with contiguous
// sequence numbers and timestamps.
func checkOpusRun(t *testing.T, out []sentOpus) {
	t.Helper()
	for i := 1; i < len(out); i++ {
		if out[i].seq != out[i-1].seq+1 || out[i].ts != out[i-1].ts+frame48 || len(out[i].pcm) != frame48 {
			t.Fatalf("Opus packet %d: seq %d ts %d (%d samples) after seq %d ts %d", i, out[i].seq, out[i].ts, len(out[i].pcm), out[i-1].seq, out[i-1].ts)
		}
	}
}

func checkG711Run(t *testing.T, out []sentG711, pt uint8) {
	t.Helper()
	for i, p := range out {
		if p.PayloadType != pt || p.SSRC != 0x51500000 || len(p.pcm) != frame8 {
			t.Fatalf("G.711 packet %d: %+v, %d samples; want payload type %d, 20 ms", i, p.Header, len(p.pcm), pt)
		}
		if i > 0 && (p.SequenceNumber != out[i-1].SequenceNumber+1 || p.Timestamp != out[i-1].Timestamp+frame8) {
			t.Fatalf("G.711 packet %d: seq %d ts %d after seq %d ts %d", i, p.SequenceNumber, p.Timestamp, out[i-1].SequenceNumber, out[i-1].Timestamp)
		}
	}
}

func concatOpus(out []sentOpus) (pcm []int16) {
	for _, o := range out {
		pcm = append(pcm, o.pcm...)
	}
	return pcm
}

func concatG711(out []sentG711) (pcm []int16) {
	for _, o := range out {
		pcm = append(pcm, o.pcm...)
	}
	return pcm
}

// TestToOpusTone: a second of a phone's 440 Hz in μ-law and A-law comes
// out as 50 Opus packets of 20 ms, in sequence, that decode to 440 Hz at
// the level it went in (Opus and G.711 take a dB or so).
func TestToOpusTone(t *testing.T) {
	for _, law := range []g711.Law{g711.Ulaw, g711.Alaw} {
		t.Run(law.String(), func(t *testing.T) {
			tc := newTestTranscoder(t, law.String(), 0)
			out := runToOpus(t, tc, g711Packets(law, 440, 50))
			if len(out) != 50 {
				t.Fatalf("%d Opus packets for 50 G.711 packets", len(out))
			}
			if !out[0].marker || out[1].marker {
				t.Error("the marker bit is not on the first packet alone")
			}
			checkOpusRun(t, out)
			hz, amp := toneOf(concatOpus(out)[9600:], 48000)
			if math.Abs(hz-440) > 3 || math.Abs(20*math.Log10(amp/8000)) > 1.5 {
				t.Errorf("the Opus side heard %.1f Hz at %.0f, want 440 Hz at 8000", hz, amp)
			}
		})
	}
}

// TestToG711Tone: a second of the party's 660 Hz in Opus comes out as 50
// G.711 packets of 160 samples with the phone's payload type, at 660 Hz and
// its level; the Opus stream's sequence and timestamp wrap on the way.
func TestToG711Tone(t *testing.T) {
	for _, tt := range []struct {
		codec string
		pt    uint8
	}{{codecPCMU, 0}, {codecPCMA, 8}, {codecPCMA, 98}} {
		t.Run(tt.codec, func(t *testing.T) {
			tc := newTestTranscoder(t, tt.codec, tt.pt)
			out := runToG711(t, tc, opusPackets(t, 660, 50))
			if len(out) != 50 {
				t.Fatalf("%d G.711 packets for 50 Opus packets", len(out))
			}
			checkG711Run(t, out, tt.pt)
			if !out[0].Marker {
				t.Error("the first packet has no marker bit")
			}
			hz, amp := toneOf(concatG711(out)[1600:], 8000)
			if math.Abs(hz-660) > 3 || math.Abs(20*math.Log10(amp/8000)) > 1.5 {
				t.Errorf("the phone heard %.1f Hz at %.0f, want 660 Hz at 8000", hz, amp)
			}
		})
	}
}

// TestToG711Loss: lost Opus packets are made up (FEC, concealment): the
// phone's stream runs on without a hole.
func TestToG711Loss(t *testing.T) {
	tc := newTestTranscoder(t, codecPCMU, 0)
	in := opusPackets(t, 660, 50)
	in = append(in[:10:10], in[12:]...) // two lost
	out := runToG711(t, tc, in)
	if len(out) != 50 {
		t.Fatalf("%d G.711 packets for 48 Opus packets and 2 lost, want 50", len(out))
	}
	checkG711Run(t, out, 0)
}

// TestToG711LossBeyondConcealment: a lost packet whose gap libopus cannot
// make up (longer than its longest frame, or not whole 2.5 ms) is a marked
// jump, not a crash or a made-up stream.
func TestToG711LossBeyondConcealment(t *testing.T) {
	for _, gap := range []uint32{12 * frame48, 7000} {
		tc := newTestTranscoder(t, codecPCMU, 0)
		in := opusPackets(t, 660, 20)
		in = append(in[:10:10], in[11:]...) // one lost...
		for _, p := range in[10:] {
			p.Timestamp += gap // ...and the clock jumped
		}
		out := runToG711(t, tc, in)
		if len(out) != 19 {
			t.Fatalf("gap %d: %d G.711 packets for 19 Opus packets", gap, len(out))
		}
		if !out[10].Marker || out[10].Timestamp-out[9].Timestamp != (2*frame48+gap)/6 {
			t.Errorf("gap %d: after the jump timestamp +%d marker %v, want +%d, marked", gap,
				out[10].Timestamp-out[9].Timestamp, out[10].Marker, (2*frame48+gap)/6)
		}
	}
}

// TestToG711DTX: the party's silence (Opus DTX: sequence numbers run on,
// timestamps jump) is a jump in the phone's timestamps, marked, not a
// stream of made-up packets.
func TestToG711DTX(t *testing.T) {
	tc := newTestTranscoder(t, codecPCMU, 0)
	in := opusPackets(t, 660, 20)
	for _, p := range in[10:] {
		p.Timestamp += 400 * 48 // 400 ms of nothing sent
	}
	out := runToG711(t, tc, in)
	if len(out) != 20 {
		t.Fatalf("%d G.711 packets for 20 Opus packets", len(out))
	}
	checkG711Run(t, out[:10], 0)
	checkG711Run(t, out[10:], 0)
	if d := out[10].Timestamp - out[9].Timestamp; d != frame8+400*8 || !out[10].Marker || out[10].SequenceNumber != out[9].SequenceNumber+1 {
		t.Errorf("after 400 ms of DTX: timestamp +%d marker %v seq +%d, want +%d, marked, +1", d, out[10].Marker,
			out[10].SequenceNumber-out[9].SequenceNumber, frame8+400*8)
	}
}

// TestToG711Duplicates: a duplicated or late packet adds nothing.
func TestToG711Duplicates(t *testing.T) {
	tc := newTestTranscoder(t, codecPCMU, 0)
	in := opusPackets(t, 660, 10)
	in = append(in[:5:5], append([]*rtp.Packet{in[4], in[2]}, in[5:]...)...)
	out := runToG711(t, tc, in)
	if len(out) != 10 {
		t.Fatalf("%d G.711 packets for 10 Opus packets and two repeats", len(out))
	}
	checkG711Run(t, out, 0)
}

// TestToOpusLoss: a G.711 packet lost, or one the phone's VAD did not
// send, is filled with silence and the Opus stream runs on; a longer
// silence jumps the timestamps, marked.
func TestToOpusLoss(t *testing.T) {
	tc := newTestTranscoder(t, codecPCMU, 0)
	in := g711Packets(g711.Ulaw, 440, 100)
	in = append(in[:10:10], in[11:]...) // one lost: filled
	in = append(in[:40:40], in[60:]...) // 400 ms not sent after the 41st frame: a jump
	out := runToOpus(t, tc, in)
	if len(out) != 80 {
		t.Fatalf("%d Opus packets, want 80", len(out))
	}
	checkOpusRun(t, out[:41])
	checkOpusRun(t, out[41:])
	if d := out[41].ts - out[40].ts; d != 21*frame48 || !out[41].marker || out[41].seq != out[40].seq+1 {
		t.Errorf("after 400 ms unsent: timestamp +%d marker %v, want +%d and marked", d, out[41].marker, 21*frame48)
	}
}

// TestToOpusPacketSizes: a phone's 10 ms or 30 ms packets (another ptime)
// and duplicates still make 20 ms Opus frames, none twice.
func TestToOpusPacketSizes(t *testing.T) {
	for _, size := range []int{80, 240, 160} {
		tc := newTestTranscoder(t, codecPCMU, 0)
		var in []*rtp.Packet
		for i := range 30 {
			pcm := tone(size, 440, 8000, 8000, i*size)
			p := &rtp.Packet{Header: rtp.Header{Version: 2, SequenceNumber: uint16(i), Timestamp: uint32(i * size), SSRC: 5},
				Payload: g711.Ulaw.Encode(make([]byte, size), pcm)}
			in = append(in, p, p) // each twice
		}
		out := runToOpus(t, tc, in)
		if want := 30 * size / frame8; len(out) != want {
			t.Errorf("%d-sample packets: %d Opus packets, want %d", size, len(out), want)
		}
		checkOpusRun(t, out)
	}
}

// TestToOpusNewStream: a new SSRC from the phone (it restarted its stream
// with another clock) goes on in the same Opus stream.
func TestToOpusNewStream(t *testing.T) {
	tc := newTestTranscoder(t, codecPCMU, 0)
	a, b := g711Packets(g711.Ulaw, 440, 10), g711Packets(g711.Ulaw, 440, 10)
	for _, p := range b {
		p.SSRC, p.Timestamp = 78, p.Timestamp+123456789
	}
	out := runToOpus(t, tc, append(a, b...))
	if len(out) != 20 {
		t.Fatalf("%d Opus packets, want 20", len(out))
	}
	checkOpusRun(t, out)
}

// BenchmarkTranscode is the gateway's work for 20 ms of a G.711 call, both
// ways: a G.711 packet to Opus, and an Opus packet to G.711.
func BenchmarkTranscode(b *testing.B) {
	tc := newTestTranscoder(b, codecPCMU, 0)
	fromPhone := g711Packets(g711.Ulaw, 440, 50)
	fromParty := opusPackets(b, 660, 50)
	sinkOpus := func(*rtp.Packet) error { return nil }
	sinkG711 := func([]byte) error { return nil }
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		p, q := fromPhone[i%50], fromParty[i%50]
		// Timestamps and sequence numbers run on over the loops.
		p.SequenceNumber, p.Timestamp = uint16(i), uint32(i*frame8)
		q.SequenceNumber, q.Timestamp = uint16(i), uint32(i*frame48)
		if err := tc.toOpus.push(p, sinkOpus); err != nil {
			b.Fatal(err)
		}
		if err := tc.toG711.push(q, 1, sinkG711); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

// BenchmarkPassthrough is what the bridge does to an Opus packet each way
// without transcoding, for comparison: parse it, and marshal it again with
// the phone's payload type and SSRC.
func BenchmarkPassthrough(b *testing.B) {
	raw, err := opusPackets(b, 660, 1)[0].Marshal()
	if err != nil {
		b.Fatal(err)
	}
	var p rtp.Packet
	b.ReportAllocs()
	for b.Loop() {
		for range 2 {
			if err := p.Unmarshal(raw); err != nil {
				b.Fatal(err)
			}
			p.PayloadType, p.SSRC = 111, 1
			if _, err := p.Marshal(); err != nil {
				b.Fatal(err)
			}
		}
	}
}

// lossEncoder records what it is told of loss.
type lossEncoder struct {
	OpusEncoder
	told []int
}

func (e *lossEncoder) SetPacketLoss(pct int) error {
	e.told = append(e.told, pct)
	return nil
}

// TestLossFromPeer: the loss the dialtone party reports of the transcoded
// Opus stream reaches the encoder (any loss at all as at least 1 %, so FEC
// turns on), once per change; reports of other streams do not.
func TestLossFromPeer(t *testing.T) {
	enc := &lossEncoder{}
	l := &leg{tc: &transcoder{toOpus: toOpus{enc: enc}}}
	br := &bridge{log: slog.New(slog.DiscardHandler)}
	for _, r := range [][]rtcp.ReceptionReport{
		{{SSRC: 9, FractionLost: 200}},                             // another stream's
		{{SSRC: 5, FractionLost: 64}},                              // 25 %
		{{SSRC: 5, FractionLost: 64}},                              // the same again
		{{SSRC: 5, FractionLost: 1}, {SSRC: 9, FractionLost: 100}}, // a trace of loss
		{{SSRC: 5, FractionLost: 0}},
	} {
		br.lossFromPeer(l, 5, r)
	}
	if !slices.Equal(enc.told, []int{25, 1, 0}) {
		t.Errorf("the encoder was told %v, want [25 1 0]", enc.told)
	}
	br.lossFromPeer(&leg{}, 5, []rtcp.ReceptionReport{{SSRC: 5, FractionLost: 64}}) // a passthrough leg: nothing to tell
}

// TestEventPlace: a telephone event crossing a transcoded leg takes the
// next sequence number of the stream it joins (the audio's next packet the
// one after) and the timestamp of its moment on that stream's clock.
func TestEventPlace(t *testing.T) {
	tc := newTestTranscoder(t, codecPCMU, 0)
	in := g711Packets(g711.Ulaw, 440, 6)
	out := runToOpus(t, tc, in[:5])
	seq, ts := tc.toOpus.eventPlace(in[5].Timestamp + 80) // 10 ms into the next frame
	if seq != out[4].seq+1 || ts != out[4].ts+frame48+80*6 {
		t.Errorf("the phone's event at +10 ms: seq %d ts %d, want %d and %d", seq, ts, out[4].seq+1, out[4].ts+frame48+480)
	}
	if next := runToOpus(t, tc, in[5:]); len(next) != 1 || next[0].seq != seq+1 {
		t.Errorf("the audio after the event: %+v, want seq %d", next, seq+1)
	}

	party := opusPackets(t, 660, 6)
	got := runToG711(t, tc, party[:5])
	seq, ts = tc.toG711.eventPlace(party[5].Timestamp + 480)
	if last := got[4]; seq != last.SequenceNumber+1 || ts != last.Timestamp+frame8+80 {
		t.Errorf("the party's event at +10 ms: seq %d ts %d, want %d and %d", seq, ts, last.SequenceNumber+1, last.Timestamp+frame8+80)
	}
	if next := runToG711(t, tc, party[5:]); len(next) != 1 || next[0].SequenceNumber != seq+1 {
		t.Errorf("the audio after the event: %+v, want seq %d", next, seq+1)
	}
}
