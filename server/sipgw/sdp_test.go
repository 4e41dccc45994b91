package sipgw

import (
	"errors"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func readSDP(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "sdp", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

const sdpHead = "v=0\r\no=- 1 1 IN IP4 192.0.2.9\r\ns=-\r\nc=IN IP4 192.0.2.9\r\nt=0 0\r\n"

func TestParseSDP(t *testing.T) {
	for _, tc := range []struct {
		name        string
		body        string
		err         error
		audio       string // "addr pt rtcp mux send recv", "" for none
		video       string
		audioSSRCs  int
		wantRefused int // lines the answer refuses
	}{
		{name: "baresip", body: string(readSDP(t, "baresip-offer.sdp")),
			audio: "192.0.2.2:38218 96 192.0.2.2:38218 true true true", video: "192.0.2.2:34602 96 192.0.2.2:34602 true true true", audioSSRCs: 1},
		{name: "G.711 only", body: sdpHead + "m=audio 4000 RTP/AVP 0 8\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:8 PCMA/8000\r\n", err: errNoCodec},
		{name: "SRTP (SDES) is not yet taken", body: sdpHead + "m=audio 4000 RTP/SAVP 111\r\na=rtpmap:111 opus/48000/2\r\n", err: errNoCodec},
		{name: "an rtpmap for a payload type the line does not list", body: sdpHead + "m=audio 4000 RTP/AVP 0\r\na=rtpmap:111 opus/48000/2\r\n", err: errNoCodec},
		{name: "port zero is a refused line", body: sdpHead + "m=audio 0 RTP/AVP 111\r\na=rtpmap:111 opus/48000/2\r\n", err: errNoCodec},
		{name: "video only, RTCP on the next port, receive only", body: sdpHead +
			"m=audio 4000 RTP/AVP 0\r\nm=video 5000 RTP/AVP 100\r\na=rtpmap:100 VP8/90000\r\na=recvonly\r\n",
			video: "192.0.2.9:5000 100 192.0.2.9:5001 false false true", wantRefused: 1},
		{name: "a line's own address and rtcp port", body: sdpHead +
			"m=audio 4000 RTP/AVP 111\r\nc=IN IP4 198.51.100.7\r\na=rtpmap:111 OPUS/48000/2\r\na=rtcp:4100\r\na=sendonly\r\n",
			audio: "198.51.100.7:4000 111 198.51.100.7:4100 false true false"},
		{name: "empty", body: "", err: errBadSDP},
		{name: "not SDP", body: "hello", err: errBadSDP},
		{name: "too large", body: sdpHead + strings.Repeat("a=x:y\r\n", 2000), err: errBadSDP},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o, err := parseSDP([]byte(tc.body))
			if !errors.Is(err, tc.err) {
				t.Fatalf("err %v, want %v", err, tc.err)
			}
			if err != nil {
				return
			}
			if got := describeStream(o.audio); got != tc.audio {
				t.Errorf("audio %q, want %q", got, tc.audio)
			}
			if got := describeStream(o.video); got != tc.video {
				t.Errorf("video %q, want %q", got, tc.video)
			}
			if o.audio != nil && len(o.audio.ssrcs) != tc.audioSSRCs {
				t.Errorf("audio SSRCs %v", o.audio.ssrcs)
			}
			lease := netip.MustParseAddrPort("127.77.0.9:40002")
			ans := localSDP(lease, 7, 1, o)
			if n := strings.Count(string(ans), " 0 RTP/AVP"); n != tc.wantRefused {
				t.Errorf("answer refuses %d lines, want %d:\n%s", n, tc.wantRefused, ans)
			}
			checkOurs(t, ans, lease, o)
		})
	}
}

// checkOurs checks that the gateway's SDP parses, names the lease for
// every stream it takes, and keeps the offer's payload types.
func checkOurs(t *testing.T, ans []byte, lease netip.AddrPort, o *offer) {
	t.Helper()
	back, err := parseSDP(ans)
	if err != nil {
		t.Fatalf("our SDP does not parse: %v\n%s", err, ans)
	}
	for _, pair := range [][2]*stream{{o.audio, back.audio}, {o.video, back.video}} {
		want, got := pair[0], pair[1]
		if (want == nil) != (got == nil) {
			t.Fatalf("our SDP has %v for %v:\n%s", got, want, ans)
		}
		if want == nil {
			continue
		}
		if got.addr != lease || !got.mux || got.pt != want.pt {
			t.Errorf("our %s line: %s, want the lease %s, rtcp-mux and payload type %d", got.kind, describeStream(got), lease, want.pt)
		}
		if got.send != want.recv || got.recv != want.send {
			t.Errorf("our %s direction send=%v recv=%v answers send=%v recv=%v", got.kind, got.send, got.recv, want.send, want.recv)
		}
	}
}

func describeStream(s *stream) string {
	if s == nil {
		return ""
	}
	return fmt.Sprintf("%s %d %s %v %v %v", s.addr, s.pt, s.rtcp, s.mux, s.send, s.recv)
}

func TestLocalOffer(t *testing.T) {
	lease := netip.MustParseAddrPort("[2001:db8::5]:40000")
	o, err := parseSDP(localSDP(lease, 1, 1, nil))
	if err != nil {
		t.Fatal(err)
	}
	if o.audio == nil || o.video == nil || o.audio.addr != lease || o.video.addr != lease ||
		o.audio.pt == o.video.pt || o.audio.codec != codecOpus || o.video.codec != codecVP8 {
		t.Fatalf("our offer: audio %s, video %s", describeStream(o.audio), describeStream(o.video))
	}
}

// FuzzSDP feeds arbitrary SDP to the gateway's parser: it must not panic,
// and what it takes it must be able to answer, with SDP it parses itself.
func FuzzSDP(f *testing.F) {
	f.Add(readSDP(f, "baresip-offer.sdp"))
	f.Add([]byte(sdpHead + "m=audio 4000 RTP/AVP 0 8\r\na=rtpmap:0 PCMU/8000\r\n"))
	f.Add([]byte(sdpHead + "m=video 5000 RTP/AVP 100\r\na=rtpmap:100 VP8/90000\r\na=rtcp:\r\na=ssrc:1\r\n"))
	lease := netip.MustParseAddrPort("127.77.0.9:40002")
	f.Fuzz(func(t *testing.T, body []byte) {
		o, err := parseSDP(body)
		if err != nil {
			return
		}
		checkOurs(t, localSDP(lease, 1, 1, o), lease, o)
	})
}

// BenchmarkParseSDP is the cost of reading a phone's offer.
func BenchmarkParseSDP(b *testing.B) {
	body := readSDP(b, "baresip-offer.sdp")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := parseSDP(body); err != nil {
			b.Fatal(err)
		}
	}
}
