package sipgw

import (
	"net/netip"
	"strings"
	"testing"

	"github.com/emiago/sipgo/sip"
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
