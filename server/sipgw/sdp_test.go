package sipgw

import (
	"cmp"
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
		codec       string // the audio's, if not Opus
		video       string
		audioSSRCs  int
		wantRefused int // lines the answer refuses
	}{
		{name: "baresip", body: string(readSDP(t, "baresip-offer.sdp")),
			audio: "192.0.2.2:38218 96 192.0.2.2:38218 true true true", video: "192.0.2.2:34602 96 192.0.2.2:34602 true true true", audioSSRCs: 1},
		{name: "G.711 only: the first listed", body: sdpHead + "m=audio 4000 RTP/AVP 0 8\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:8 PCMA/8000\r\n",
			audio: "192.0.2.9:4000 0 192.0.2.9:4001 false true true", codec: codecPCMU},
		{name: "PCMA before PCMU, static types without rtpmap", body: sdpHead + "m=audio 4000 RTP/AVP 8 0 101\r\na=rtpmap:101 telephone-event/8000\r\n",
			audio: "192.0.2.9:4000 8 192.0.2.9:4001 false true true", codec: codecPCMA},
		{name: "G.711 under a dynamic payload type", body: sdpHead + "m=audio 4000 RTP/AVP 9 98\r\na=rtpmap:98 pcma/8000/1\r\na=rtpmap:9 G722/8000\r\n",
			audio: "192.0.2.9:4000 98 192.0.2.9:4001 false true true", codec: codecPCMA},
		{name: "Opus passes through, though G.711 is listed first", body: sdpHead + "m=audio 4000 RTP/AVP 0 8 111\r\na=rtpmap:111 opus/48000/2\r\n",
			audio: "192.0.2.9:4000 111 192.0.2.9:4001 false true true", codec: codecOpus},
		{name: "a PCMU at another clock rate is not G.711", body: sdpHead + "m=audio 4000 RTP/AVP 98\r\na=rtpmap:98 PCMU/16000\r\n", err: errNoCodec},
		{name: "static 0 renamed by its rtpmap is not G.711", body: sdpHead + "m=audio 4000 RTP/AVP 0\r\na=rtpmap:0 G729/8000\r\n", err: errNoCodec},
		{name: "RTP/SAVP without a key is not taken", body: sdpHead + "m=audio 4000 RTP/SAVP 111\r\na=rtpmap:111 opus/48000/2\r\n", err: errNoCodec},
		{name: "an rtpmap for a payload type the line does not list", body: sdpHead + "m=audio 4000 RTP/AVP 9\r\na=rtpmap:111 opus/48000/2\r\n", err: errNoCodec},
		{name: "port zero is a refused line", body: sdpHead + "m=audio 0 RTP/AVP 111\r\na=rtpmap:111 opus/48000/2\r\n", err: errNoCodec},
		{name: "video only, RTCP on the next port, receive only", body: sdpHead +
			"m=audio 4000 RTP/AVP 9\r\nm=video 5000 RTP/AVP 100\r\na=rtpmap:100 VP8/90000\r\na=recvonly\r\n",
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
			if want := cmp.Or(tc.codec, codecOpus); o.audio != nil && o.audio.codec != want {
				t.Errorf("audio codec %s, want %s", o.audio.codec, want)
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
		if got.addr != lease || !got.mux || got.pt != want.pt || got.codec != want.codec {
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
	if strings.Contains(string(localSDP(lease, 1, 1, nil)), "PCMU") {
		t.Error("the offer without transcoding lists G.711")
	}
}

// TestOfferG711: with transcoding the offer lists Opus first, then PCMU
// and PCMA under their static types; a phone that answers with either
// (or with Opus) is taken.
func TestOfferG711(t *testing.T) {
	lease := netip.MustParseAddrPort("127.77.0.9:40002")
	off := string(offerSDP(lease, 1, 1, true))
	for _, want := range []string{"m=audio 40002 RTP/AVP 111 0 8 ", "a=rtpmap:0 PCMU/8000\r\n", "a=rtpmap:8 PCMA/8000\r\n", "a=ptime:20\r\n"} {
		if !strings.Contains(off, want) {
			t.Errorf("the offer lacks %q:\n%s", want, off)
		}
	}
	if o, err := parseSDP([]byte(off)); err != nil || o.audio.codec != codecOpus || o.video == nil {
		t.Fatalf("our offer parses as %+v, %v; want Opus preferred", o, err)
	}
	for _, tc := range []struct {
		answer string
		codec  string
	}{
		{"m=audio 4000 RTP/AVP 8\r\n", codecPCMA},
		{"m=audio 4000 RTP/AVP 0 101\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:101 telephone-event/8000\r\n", codecPCMU},
		{"m=audio 4000 RTP/AVP 111\r\na=rtpmap:111 opus/48000/2\r\n", codecOpus},
	} {
		o, err := parseSDP([]byte(sdpHead + tc.answer))
		if err != nil || o.audio == nil || o.audio.codec != tc.codec {
			t.Errorf("answer %q: %+v, %v; want %s", tc.answer, o, err, tc.codec)
		}
	}
}

// TestReinviteKeepsCodec: a re-INVITE that offers Opus beside PCMU to a
// call transcoding PCMU is answered PCMU, the codec the bridge goes on
// with.
func TestReinviteKeepsCodec(t *testing.T) {
	br := &bridge{legs: []*leg{{s: &stream{kind: "audio", pt: g711PCMU, codec: codecPCMU}}}}
	o, err := parseSDP([]byte(sdpHead + "m=audio 4000 RTP/AVP 111 0\r\na=rtpmap:111 opus/48000/2\r\na=sendonly\r\n"))
	if err != nil || o.audio.codec != codecOpus {
		t.Fatalf("the re-INVITE parses as %+v, %v", o, err)
	}
	br.keepAgreed(o)
	ans := string(localSDP(netip.MustParseAddrPort("127.77.0.9:40002"), 1, 2, o))
	if !strings.Contains(ans, "m=audio 40002 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n") || !strings.Contains(ans, "a=recvonly") {
		t.Errorf("the re-INVITE's answer does not keep PCMU on hold:\n%s", ans)
	}
}

// TestGatewayParseSDP: without an Opus codec to transcode with, the
// gateway drops G.711 (488 when nothing else is left); with one it takes it.
func TestGatewayParseSDP(t *testing.T) {
	g711Only := []byte(sdpHead + "m=audio 4000 RTP/AVP 0\r\n")
	withVideo := []byte(sdpHead + "m=audio 4000 RTP/AVP 0\r\nm=video 5000 RTP/AVP 100\r\na=rtpmap:100 VP8/90000\r\n")
	plain := &Gateway{}
	if _, err := plain.parseSDP(g711Only); !errors.Is(err, errNoCodec) {
		t.Errorf("without Opus, a G.711-only offer: %v, want errNoCodec", err)
	}
	if o, err := plain.parseSDP(withVideo); err != nil || o.audio != nil || o.video == nil {
		t.Errorf("without Opus, G.711 and VP8: %+v, %v; want the video alone", o, err)
	} else if ans := string(localSDP(netip.MustParseAddrPort("127.77.0.9:40002"), 1, 1, o)); !strings.Contains(ans, "m=audio 0 RTP/AVP 0\r\n") {
		t.Errorf("the answer does not refuse the G.711 line:\n%s", ans)
	}
	tc := &Gateway{cfg: Config{Opus: testOpus{}}}
	if o, err := tc.parseSDP(g711Only); err != nil || o.audio == nil || o.audio.codec != codecPCMU {
		t.Errorf("with Opus, a G.711-only offer: %+v, %v; want PCMU", o, err)
	}
}

// FuzzSDP feeds arbitrary SDP to the gateway's parser: it must not panic,
// and what it takes it must be able to answer, with SDP it parses itself.
func FuzzSDP(f *testing.F) {
	f.Add(readSDP(f, "baresip-offer.sdp"))
	f.Add([]byte(sdpHead + "m=audio 4000 RTP/AVP 0 8\r\na=rtpmap:0 PCMU/8000\r\n"))
	f.Add([]byte(sdpHead + "m=audio 4000 RTP/AVP 98 8\r\na=rtpmap:98 PCMA/8000/1\r\na=ptime:30\r\n"))
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
