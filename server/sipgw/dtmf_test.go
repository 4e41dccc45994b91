package sipgw

import (
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emiago/sipgo/sip"
	"github.com/pion/interceptor"
	"github.com/pion/rtp"
	"github.com/pion/webrtc/v4"

	"github.com/dialtone/dialtone/call/dtmf"
)

func TestToneSDP(t *testing.T) {
	lease := netip.MustParseAddrPort("127.77.0.9:40002")
	for _, tc := range []struct {
		name     string
		audio    string // the offer's audio line and attributes
		pt       uint8
		rate     uint32
		wantLine string // in the answer; "" for no telephone-event
	}{
		{"baresip: 8000 beside Opus", "m=audio 4000 RTP/AVP 96 101\r\na=rtpmap:96 opus/48000/2\r\na=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-15\r\n",
			101, 8000, "a=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-16\r\n"},
		{"both rates: Opus's clock wins", "m=audio 4000 RTP/AVP 111 126 110\r\na=rtpmap:111 opus/48000/2\r\na=rtpmap:126 telephone-event/8000\r\na=rtpmap:110 telephone-event/48000\r\n",
			110, 48000, "a=rtpmap:110 telephone-event/48000\r\n"},
		{"none", "m=audio 4000 RTP/AVP 111\r\na=rtpmap:111 opus/48000/2\r\n", 0, 0, ""},
		{"an rtpmap the line does not list", "m=audio 4000 RTP/AVP 111\r\na=rtpmap:111 opus/48000/2\r\na=rtpmap:101 telephone-event/8000\r\n", 0, 0, ""},
		{"a bad clock", "m=audio 4000 RTP/AVP 111 101\r\na=rtpmap:111 opus/48000/2\r\na=rtpmap:101 telephone-event/x\r\n", 0, 0, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o, err := parseSDP([]byte(sdpHead + tc.audio))
			if err != nil {
				t.Fatal(err)
			}
			if o.audio.tonePT != tc.pt || o.audio.toneRate != tc.rate {
				t.Fatalf("telephone-event %d/%d, want %d/%d", o.audio.tonePT, o.audio.toneRate, tc.pt, tc.rate)
			}
			ans := string(localSDP(lease, 7, 1, o))
			if tc.wantLine == "" {
				if strings.Contains(ans, "telephone-event") {
					t.Fatalf("answer has telephone-event:\n%s", ans)
				}
				return
			}
			if !strings.Contains(ans, tc.wantLine) {
				t.Fatalf("answer lacks %q:\n%s", tc.wantLine, ans)
			}
			back, err := parseSDP([]byte(ans))
			if err != nil || back.audio.tonePT != tc.pt || back.audio.toneRate != tc.rate {
				t.Fatalf("the answer reads back as %+v, %v", back.audio, err)
			}
		})
	}
	offer := string(localSDP(lease, 7, 1, nil))
	for _, want := range []string{"m=audio 40002 RTP/AVP 111 101 100\r\n", "a=rtpmap:101 telephone-event/48000\r\na=fmtp:101 0-16\r\n",
		"a=rtpmap:100 telephone-event/8000\r\na=fmtp:100 0-16\r\n"} {
		if !strings.Contains(offer, want) {
			t.Errorf("offer lacks %q:\n%s", want, offer)
		}
	}
	if o, err := parseSDP([]byte(offer)); err != nil || o.audio.tonePT != offerTonePT || o.audio.toneRate != 48000 {
		t.Errorf("our offer reads back as %+v, %v", o.audio, err)
	}
}

func TestInfoTone(t *testing.T) {
	for _, tc := range []struct {
		name, ctype, body string
		digit             byte
		ms                int
	}{
		{"dtmf-relay", "application/dtmf-relay", "Signal=5\r\nDuration=250\r\n", '5', 250},
		{"dtmf-relay #, no duration", "application/dtmf-relay", "Signal= #\n", '#', infoToneLength},
		{"dtmf-relay Signal=11", "Application/DTMF-Relay; charset=x", "Signal=11\r\nDuration=100\r\n", '#', 100},
		{"dtmf", "application/dtmf", "*", '*', infoToneLength},
		{"a long duration is bounded", "application/dtmf-relay", "Signal=1\r\nDuration=999999\r\n", '1', 5000},
		{"not a key", "application/dtmf-relay", "Signal=X\r\n", 0, 0},
		{"no signal", "application/dtmf-relay", "Duration=100\r\n", 0, 0},
		{"another INFO", "application/media_control+xml", "<picture_fast_update/>", 0, 0},
		{"too long", "application/dtmf-relay", "Signal=1\r\n" + strings.Repeat("x", 2000), 0, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req := sip.NewRequest(sip.INFO, sip.Uri{Host: "example.com"})
			req.AppendHeader(sip.NewHeader("Content-Type", tc.ctype))
			req.SetBody([]byte(tc.body))
			d, ms, ok := infoTone(req)
			if ok != (tc.digit != 0) || d != tc.digit || ms != tc.ms {
				t.Fatalf("infoTone = %q %d %v, want %q %d", d, ms, ok, tc.digit, tc.ms)
			}
		})
	}
	if _, _, ok := infoTone(sip.NewRequest(sip.INFO, sip.Uri{Host: "example.com"})); ok {
		t.Fatal("an INFO without Content-Type gave a key")
	}
}

func TestScaleDuration(t *testing.T) {
	for _, tc := range []struct {
		from, to uint32
		in, want uint16
	}{{48000, 8000, 5760, 960}, {8000, 48000, 960, 5760}, {8000, 48000, 20000, 0xffff}, {8000, 8000, 123, 123}, {0, 8000, 5, 5}} {
		p := []byte{1, 10, byte(tc.in >> 8), byte(tc.in)}
		scaleDuration(p, tc.from, tc.to)
		if got := uint16(p[2])<<8 | uint16(p[3]); got != tc.want {
			t.Errorf("%d at %d Hz → %d Hz: %d, want %d", tc.in, tc.from, tc.to, got, tc.want)
		}
	}
}

// FuzzInfoTone feeds SIP INFO bodies to the dtmf-relay reader: a key it
// reports is always one the events can carry.
func FuzzInfoTone(f *testing.F) {
	f.Add("application/dtmf-relay", []byte("Signal=5\r\nDuration=160\r\n"))
	f.Add("application/dtmf", []byte("#"))
	f.Add("application/dtmf-relay", []byte("Signal=11\nDuration=-1\nSignal=\n="))
	f.Fuzz(func(t *testing.T, ctype string, body []byte) {
		req := sip.NewRequest(sip.INFO, sip.Uri{Host: "example.com"})
		req.AppendHeader(sip.NewHeader("Content-Type", ctype))
		req.SetBody(body)
		d, ms, ok := infoTone(req)
		if !ok {
			return
		}
		if !strings.ContainsRune("0123456789*#ABCDabcd", rune(d)) || ms <= 0 || ms > 5000 {
			t.Fatalf("infoTone(%q, %q) = %q %d", ctype, body, d, ms)
		}
	})
}

// fakeBinding is what pion gives a track bound to a sender: the codecs the
// dialtone party took, and a write stream that records.
type fakeBinding struct {
	mu   sync.Mutex
	sent []rtp.Packet
}

func (f *fakeBinding) CodecParameters() []webrtc.RTPCodecParameters {
	return []webrtc.RTPCodecParameters{{RTPCodecCapability: opusCodec, PayloadType: 111}, dtmf.Codec()}
}
func (f *fakeBinding) HeaderExtensions() []webrtc.RTPHeaderExtensionParameter { return nil }
func (f *fakeBinding) SSRC() webrtc.SSRC                                      { return 0xabc }
func (f *fakeBinding) SSRCRetransmission() webrtc.SSRC                        { return 0 }
func (f *fakeBinding) SSRCForwardErrorCorrection() webrtc.SSRC                { return 0 }
func (f *fakeBinding) WriteStream() webrtc.TrackLocalWriter                   { return f }
func (f *fakeBinding) ID() string                                             { return "b1" }
func (f *fakeBinding) RTCPReader() interceptor.RTCPReader                     { return nil }
func (f *fakeBinding) Write(b []byte) (int, error)                            { return len(b), nil }
func (f *fakeBinding) WriteRTP(h *rtp.Header, payload []byte) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.sent = append(f.sent, rtp.Packet{Header: *h, Payload: append([]byte(nil), payload...)})
	return len(payload), nil
}

// toneBridge is a bridge's audio side toward the dialtone party, bound to
// a recording stream, for a phone at phoneAddr offering telephone-event
// 101/8000 beside Opus 96.
func toneBridge(t *testing.T, phoneAddr netip.AddrPort) (*bridge, *fakeBinding) {
	t.Helper()
	b := &bridge{log: slog.New(slog.DiscardHandler), stats: &counters{}}
	tr, err := b.newTrack(opusCodec, "audio")
	if err != nil {
		t.Fatal(err)
	}
	rec := &fakeBinding{}
	if _, err := tr.Bind(rec); err != nil {
		t.Fatal(err)
	}
	s := &stream{kind: "audio", pt: 96, codec: codecOpus, tonePT: 101, toneRate: 8000, addr: phoneAddr, rtcp: phoneAddr, mux: true, send: true, recv: true}
	b.legs = []*leg{{s: s, local: tr, to: phoneAddr}}
	return b, rec
}

// TestTonesFromThePhone: the phone's RTP events go to the dialtone party
// as telephone-event/48000 with durations in its clock, in the phone's
// sequence; an INFO's key is three end packets put after the last packet
// sent, and the phone's later packets are numbered after them.
func TestTonesFromThePhone(t *testing.T) {
	phone := netip.MustParseAddrPort("192.0.2.2:4000")
	b, rec := toneBridge(t, phone)
	audio := func(seq uint16, ts uint32) {
		p := rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: 96, SequenceNumber: seq, Timestamp: ts, SSRC: 7}, Payload: []byte{0xf8}}
		if b.toneFromPhone(&p, phone) {
			t.Fatal("an audio packet taken for an event")
		}
		b.renumber(b.legs[0], &p)
		if err := b.legs[0].local.WriteRTP(&p); err != nil {
			t.Fatal(err)
		}
	}
	event := func(seq uint16, ts uint32, ev dtmf.Event) {
		p := rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: 101, SequenceNumber: seq, Timestamp: ts, SSRC: 7}, Payload: ev.Marshal(nil)}
		if !b.toneFromPhone(&p, phone) {
			t.Fatal("an event packet not taken")
		}
	}
	audio(100, 1000)
	event(101, 1960, dtmf.Event{Code: 5, End: true, Duration: 960})
	b.toneFromInfo('#', 100)
	b.toneFromInfo('#', 100)
	audio(102, 2920)
	b.toneFromInfo('7', 0)

	type want struct {
		seq      uint16
		pt       uint8
		ts       uint32
		code     uint8
		duration uint16
	}
	wants := []want{
		{100, 111, 1000, 0, 0},
		{101, 101, 1960, 5, 5760}, // 960 at 8000 Hz is 5760 at 48000
		{102, 101, 1961, 11, 4800}, {103, 101, 1961, 11, 4800}, {104, 101, 1961, 11, 4800},
		{105, 101, 1962, 11, 4800}, {106, 101, 1962, 11, 4800}, {107, 101, 1962, 11, 4800}, // the second # has its own timestamp
		{108, 111, 2920, 0, 0},
		{109, 101, 2921, 7, 0}, {110, 101, 2921, 7, 0}, {111, 101, 2921, 7, 0},
	}
	if len(rec.sent) != len(wants) {
		t.Fatalf("%d packets to the dialtone party, want %d", len(rec.sent), len(wants))
	}
	var r dtmf.Receiver
	var keys string
	for i, w := range wants {
		p := rec.sent[i]
		var ev dtmf.Event
		if p.PayloadType == 101 {
			ev, _ = dtmf.Parse(p.Payload)
			if !ev.End {
				t.Errorf("packet %d: %+v, want an end packet", i, ev)
			}
			if d, ok := r.Push(p.Timestamp, p.Marker, p.Payload); ok {
				keys += string(d)
			}
		}
		if p.SequenceNumber != w.seq || p.PayloadType != w.pt || p.Timestamp != w.ts || ev.Code != w.code || ev.Duration != w.duration {
			t.Errorf("packet %d: seq %d pt %d ts %d %+v; want %+v", i, p.SequenceNumber, p.PayloadType, p.Timestamp, ev, w)
		}
	}
	if keys != "5##7" {
		t.Errorf("the dialtone party reads %q, want 5##7", keys)
	}
}

// TestTonesToThePhone: the dialtone party's telephone-event/48000 packets
// reach the phone with its payload type, the gateway's SSRC and durations
// in its 8000 Hz clock; a phone that took no telephone-event gets none.
func TestTonesToThePhone(t *testing.T) {
	phone := listenUDP(t)
	conn := listenUDP(t)
	b, _ := toneBridge(t, phone.LocalAddr().(*net.UDPAddr).AddrPort())
	b.conn = conn
	l := b.legs[0]
	l.ssrc = 0x5150
	ev := dtmf.Event{Code: 9, Volume: 10, Duration: 5760}
	pkt := rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: 101, SequenceNumber: 40, Timestamp: 480, Marker: true, SSRC: 1}, Payload: ev.Marshal(nil)}
	if b.toneToPhone(l, webrtc.RTPCodecParameters{RTPCodecCapability: opusCodec, PayloadType: 111}, &pkt) {
		t.Fatal("an Opus packet taken for an event")
	}
	if !b.toneToPhone(l, dtmf.Codec(), &pkt) {
		t.Fatal("an event not taken")
	}
	buf := make([]byte, 1500)
	if err := phone.SetReadDeadline(time.Now().Add(5 * time.Second)); err != nil {
		t.Fatal(err)
	}
	n, err := phone.Read(buf)
	if err != nil {
		t.Fatal(err)
	}
	var got rtp.Packet
	if err := got.Unmarshal(buf[:n]); err != nil {
		t.Fatal(err)
	}
	gev, err := dtmf.Parse(got.Payload)
	if err != nil || got.PayloadType != 101 || got.SSRC != 0x5150 || got.SequenceNumber != 40 || got.Timestamp != 480 || !got.Marker ||
		gev.Code != 9 || gev.Duration != 960 {
		t.Fatalf("the phone got %+v %+v, %v", got.Header, gev, err)
	}
	// A phone that took no telephone-event gets the key once it ends, by
	// SIP INFO: once for the event's three end packets.
	l.s.tonePT = 0
	var keys []string
	b.keyOut = func(d byte, ms int) { keys = append(keys, fmt.Sprintf("%c/%dms", d, ms)) }
	if !b.toneToPhone(l, dtmf.Codec(), &pkt) {
		t.Fatal("an event for a phone without telephone-event passed on as audio")
	}
	ev.End = true
	end := pkt
	end.Payload = ev.Marshal(nil)
	for range 3 {
		if !b.toneToPhone(l, dtmf.Codec(), &end) {
			t.Fatal("an end packet for a phone without telephone-event passed on as audio")
		}
	}
	end.Timestamp += 9600
	b.toneToPhone(l, dtmf.Codec(), &end)
	if n := b.stats.rtpToSIP.Load(); n != 1 {
		t.Fatalf("%d packets to the phone, want 1", n)
	}
	if want := []string{"9/120ms", "9/120ms"}; !slices.Equal(keys, want) {
		t.Errorf("keys for SIP INFO %q, want %q (one an event)", keys, want)
	}
}
