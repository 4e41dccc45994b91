package sipgw

import (
	"bytes"
	"encoding/base64"
	"errors"
	"log/slog"
	"net/netip"
	"strings"
	"testing"

	"github.com/pion/rtcp"
	"github.com/pion/rtp"
)

func TestParseCrypto(t *testing.T) {
	key30 := base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{7}, 30))
	key28 := base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{7}, 28))
	key46 := base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{7}, 46))
	for _, tc := range []struct {
		name, v string
		suite   string // "" for refused
		tag     int
	}{
		{"80", "1 AES_CM_128_HMAC_SHA1_80 inline:" + key30, "AES_CM_128_HMAC_SHA1_80", 1},
		{"32", "2 AES_CM_128_HMAC_SHA1_32 inline:" + key30, "AES_CM_128_HMAC_SHA1_32", 2},
		{"GCM", "3 AEAD_AES_128_GCM inline:" + key28, "AEAD_AES_128_GCM", 3},
		{"AES-256", "4 AES_256_CM_HMAC_SHA1_80 inline:" + key46, "AES_256_CM_HMAC_SHA1_80", 4},
		{"a lifetime is taken", "1 AES_CM_128_HMAC_SHA1_80 inline:" + key30 + "|2^31", "AES_CM_128_HMAC_SHA1_80", 1},
		{"unpadded base64", "1 AEAD_AES_128_GCM inline:" + strings.TrimRight(key28, "="), "AEAD_AES_128_GCM", 1},
		{"an MKI", "1 AES_CM_128_HMAC_SHA1_80 inline:" + key30 + "|2^20|1:4", "", 0},
		{"an MKI without lifetime", "1 AES_CM_128_HMAC_SHA1_80 inline:" + key30 + "|1:4", "", 0},
		{"two keys", "1 AES_CM_128_HMAC_SHA1_80 inline:" + key30 + ";inline:" + key30, "", 0},
		{"session parameters", "1 AES_CM_128_HMAC_SHA1_80 inline:" + key30 + " UNENCRYPTED_SRTP", "", 0},
		{"a key of the wrong length", "1 AES_CM_128_HMAC_SHA1_80 inline:" + key28, "", 0},
		{"an unknown suite", "1 F8_128_HMAC_SHA1_80 inline:" + key30, "", 0},
		{"not base64", "1 AES_CM_128_HMAC_SHA1_80 inline:!!!!", "", 0},
		{"not inline", "1 AES_CM_128_HMAC_SHA1_80 uri:" + key30, "", 0},
		{"a bad tag", "x AES_CM_128_HMAC_SHA1_80 inline:" + key30, "", 0},
		{"empty", "", "", 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			k, err := parseCrypto(tc.v)
			if tc.suite == "" {
				if err == nil {
					t.Fatalf("took %q as %+v", tc.v, k)
				}
				return
			}
			if err != nil || k.suite.name != tc.suite || k.tag != tc.tag || len(k.key) != keyLen(k.suite) {
				t.Fatalf("parseCrypto(%q) = %+v, %v; want %s tag %d", tc.v, k, err, tc.suite, tc.tag)
			}
		})
	}
}

// An SRTP offer's streams carry the phone's key; RTP/SAVP without one the
// gateway can use is refused; RTP/AVP with one is SDES best effort.
func TestParseSDPSDES(t *testing.T) {
	key := base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{1}, 30))
	for _, tc := range []struct {
		name, body string
		err        error
		savp       bool
		suite      string // the audio stream's, "" for plain
	}{
		{name: "baresip srtp-mand", body: string(readSDP(t, "baresip-srtp-offer.sdp")), savp: true, suite: "AES_CM_128_HMAC_SHA1_80"},
		{name: "the first usable of several", body: sdpHead + "m=audio 4000 RTP/SAVP 111\r\na=rtpmap:111 opus/48000/2\r\n" +
			"a=crypto:1 F8_128_HMAC_SHA1_80 inline:" + key + "\r\na=crypto:2 AES_CM_128_HMAC_SHA1_32 inline:" + key + "\r\n" +
			"a=crypto:3 AES_CM_128_HMAC_SHA1_80 inline:" + key + "\r\n", savp: true, suite: "AES_CM_128_HMAC_SHA1_32"},
		{name: "RTP/SAVP without a key", body: sdpHead + "m=audio 4000 RTP/SAVP 111\r\na=rtpmap:111 opus/48000/2\r\n", err: errNoCodec},
		{name: "RTP/SAVP with only an MKI key", body: sdpHead + "m=audio 4000 RTP/SAVP 111\r\na=rtpmap:111 opus/48000/2\r\n" +
			"a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:" + key + "|2^31|1:1\r\n", err: errNoCodec},
		{name: "best effort: RTP/AVP with a key", body: sdpHead + "m=audio 4000 RTP/AVP 111\r\na=rtpmap:111 opus/48000/2\r\n" +
			"a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:" + key + "\r\n", suite: "AES_CM_128_HMAC_SHA1_80"},
		{name: "RTP/AVP with an unusable key is plain", body: sdpHead + "m=audio 4000 RTP/AVP 111\r\na=rtpmap:111 opus/48000/2\r\n" +
			"a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:AAAA\r\n"},
		{name: "RTP/SAVPF is not taken", body: sdpHead + "m=audio 4000 RTP/SAVPF 111\r\na=rtpmap:111 opus/48000/2\r\n" +
			"a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:" + key + "\r\n", err: errNoCodec},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o, err := parseSDP([]byte(tc.body))
			if !errors.Is(err, tc.err) {
				t.Fatalf("err %v, want %v", err, tc.err)
			}
			if err != nil {
				return
			}
			s := o.audio
			got := ""
			if s.crypto != nil {
				got = s.crypto.suite.name
			}
			if s.savp != tc.savp || got != tc.suite {
				t.Fatalf("audio savp=%v suite %q, want %v %q", s.savp, got, tc.savp, tc.suite)
			}
		})
	}
}

// The answer to an SRTP offer is RTP/SAVP with the gateway's own key under
// the phone's tag and suite, on each line it takes; best effort stays
// RTP/AVP with a key; a refused line is left as it was.
func TestAnswerSDES(t *testing.T) {
	lease := netip.MustParseAddrPort("127.77.0.9:40002")
	key := base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{1}, 28))
	for _, tc := range []struct {
		name, body string
		proto      string // of the answer's used lines
		keys       int
	}{
		{name: "baresip srtp-mand", body: string(readSDP(t, "baresip-srtp-offer.sdp")), proto: "RTP/SAVP", keys: 2},
		{name: "GCM, tag 7, a refused line first", body: sdpHead + "m=audio 4000 RTP/AVP 9\r\nm=audio 4002 RTP/SAVP 111\r\n" +
			"a=rtpmap:111 opus/48000/2\r\na=crypto:7 AEAD_AES_128_GCM inline:" + key + "\r\n", proto: "RTP/SAVP", keys: 1},
		{name: "best effort", body: sdpHead + "m=audio 4000 RTP/AVP 111\r\na=rtpmap:111 opus/48000/2\r\n" +
			"a=crypto:7 AEAD_AES_128_GCM inline:" + key + "\r\n", proto: "RTP/AVP", keys: 1},
		{name: "plain", body: string(readSDP(t, "baresip-offer.sdp")), proto: "RTP/AVP"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			o, err := parseSDP([]byte(tc.body))
			if err != nil {
				t.Fatal(err)
			}
			c := &sipCall{log: slog.New(slog.DiscardHandler)}
			if err := c.answerSDES(o, "TLS"); err != nil {
				t.Fatal(err)
			}
			ans := withSDES(localSDP(lease, 1, 1, o), answerLines(o))
			checkOurs(t, ans, lease, o)
			back, err := parseSDP(ans)
			if err != nil {
				t.Fatal(err)
			}
			keys := 0
			for _, pair := range [][2]*stream{{o.audio, back.audio}, {o.video, back.video}} {
				offered, answered := pair[0], pair[1]
				if offered == nil {
					continue
				}
				if p := map[bool]string{true: "RTP/SAVP", false: "RTP/AVP"}[answered.savp]; p != tc.proto {
					t.Errorf("the answer's %s line is %s, want %s:\n%s", answered.kind, p, tc.proto, ans)
				}
				if offered.crypto == nil {
					if answered.crypto != nil {
						t.Errorf("a key answers a plain %s line", answered.kind)
					}
					continue
				}
				keys++
				k := answered.crypto
				if k == nil || k.tag != offered.crypto.tag || k.suite != offered.crypto.suite || bytes.Equal(k.key, offered.crypto.key) {
					t.Errorf("the answer's %s key %+v, want a key of the gateway's for tag %d %s", answered.kind, k, offered.crypto.tag, offered.crypto.suite.name)
				}
			}
			if keys != tc.keys || strings.Count(string(ans), "a=crypto:") != tc.keys {
				t.Errorf("%d keys in the answer, want %d:\n%s", keys, tc.keys, ans)
			}
			if strings.Contains(string(ans), "m=audio 0 RTP/AVP 9\r\na=crypto") {
				t.Errorf("a refused line got a key:\n%s", ans)
			}
		})
	}
}

// A key that came over plain signalling is taken with a warning; over TLS
// without one.
func TestSDESWarnsOverPlainSignalling(t *testing.T) {
	for _, tc := range []struct {
		transport string
		warn      bool
	}{{"UDP", true}, {"TCP", true}, {"TLS", false}} {
		var logs bytes.Buffer
		o, err := parseSDP(readSDP(t, "baresip-srtp-offer.sdp"))
		if err != nil {
			t.Fatal(err)
		}
		c := &sipCall{log: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelWarn}))}
		if err := c.answerSDES(o, tc.transport); err != nil {
			t.Fatal(err)
		}
		if o.audio.local == nil || o.video.local == nil {
			t.Fatalf("%s: no key of the gateway's", tc.transport)
		}
		if got := strings.Contains(logs.String(), "unencrypted SIP"); got != tc.warn {
			t.Errorf("%s: warned %v, want %v: %s", tc.transport, got, tc.warn, logs.String())
		}
	}
}

// The gateway's offer to a TLS phone has RTP/SAVP lines with a key per
// suite; the phone's answer picks one by tag.
func TestSDESOfferAndMatch(t *testing.T) {
	lease := netip.MustParseAddrPort("127.77.0.9:40002")
	c := &sipCall{}
	body, err := c.withOfferKeys(offerSDP(lease, 1, 1, false), true)
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(body), " RTP/SAVP "); n != 2 {
		t.Fatalf("%d RTP/SAVP lines in the offer, want 2:\n%s", n, body)
	}
	if n := strings.Count(string(body), "a=crypto:"); n != 6 {
		t.Fatalf("%d keys in the offer, want 3 suites for each line:\n%s", n, body)
	}
	if plain, _ := c.withOfferKeys(offerSDP(lease, 1, 1, false), false); strings.Contains(string(plain), "crypto") {
		t.Fatalf("a plain offer has keys:\n%s", plain)
	}
	phone := func(proto, crypto string) *offer {
		o, err := parseSDP([]byte(sdpHead + "m=audio 4000 " + proto + " 111\r\na=rtpmap:111 opus/48000/2\r\n" + crypto))
		if err != nil {
			t.Fatal(err)
		}
		return o
	}
	key30 := base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{9}, 30))
	a := phone("RTP/SAVP", "a=crypto:2 AES_CM_128_HMAC_SHA1_32 inline:"+key30+"\r\n")
	if err := c.sdes.match(a, true); err != nil || a.audio.local != c.sdes.keys["audio"][1] {
		t.Fatalf("match: %v, local %+v; want the offered tag 2", err, a.audio.local)
	}
	if err := c.sdes.match(phone("RTP/SAVP", "a=crypto:2 AES_CM_128_HMAC_SHA1_80 inline:"+key30+"\r\n"), true); err == nil {
		t.Error("an answer with tag 2 and another suite than offered was taken")
	}
	if err := c.sdes.match(phone("RTP/SAVP", "a=crypto:9 AES_CM_128_HMAC_SHA1_80 inline:"+key30+"\r\n"), true); err == nil {
		t.Error("an answer with a tag never offered was taken")
	}
	if err := c.sdes.match(phone("RTP/AVP", ""), true); err == nil {
		t.Error("a plain answer to an SRTP offer was taken")
	}
	p := phone("RTP/AVP", "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:"+key30+"\r\n")
	if err := (*sdesOffer)(nil).match(p, false); err != nil || p.audio.crypto != nil {
		t.Errorf("a key in the answer to a plain offer: %v, %+v; want ignored", err, p.audio.crypto)
	}
}

// For every suite, a leg decrypts what the phone encrypts with its key and
// encrypts what the phone decrypts with the gateway's; plain RTP, a
// replay and a packet under the wrong key are refused.
func TestSRTPLegSuites(t *testing.T) {
	for _, s := range suites {
		t.Run(s.name, func(t *testing.T) {
			phoneKey, err := newKey(1, s)
			if err != nil {
				t.Fatal(err)
			}
			ours, err := newKey(1, s)
			if err != nil {
				t.Fatal(err)
			}
			st := &stream{kind: "audio", crypto: phoneKey, local: ours}
			sec, err := newSRTPLeg(st)
			if err != nil {
				t.Fatal(err)
			}
			l := &leg{s: st, sec: sec}
			b := &bridge{legs: []*leg{l}}
			phoneOut, _ := newContext(phoneKey, false)
			phoneIn, _ := newContext(ours, true)

			plain := &rtp.Packet{Header: rtp.Header{Version: 2, PayloadType: 96, SequenceNumber: 7, Timestamp: 960, SSRC: 0xabc}, Payload: []byte("opus frame")}
			raw, _ := plain.Marshal()
			enc, err := phoneOut.EncryptRTP(nil, raw, nil)
			if err != nil {
				t.Fatal(err)
			}
			var got rtp.Packet
			if !l.openRTP(enc, &got) || string(got.Payload) != "opus frame" {
				t.Fatalf("the phone's SRTP did not open: %q", got.Payload)
			}
			if l.openRTP(enc, &got) {
				t.Error("a replayed packet was taken")
			}
			if l.openRTP(raw, &got) {
				t.Error("plain RTP was taken on an SRTP leg")
			}
			sealed, err := l.sealRTP(raw)
			if err != nil {
				t.Fatal(err)
			}
			if dec, err := phoneIn.DecryptRTP(nil, sealed, nil); err != nil || !bytes.HasSuffix(dec, []byte("opus frame")) {
				t.Fatalf("the phone cannot open the gateway's SRTP: %v", err)
			}
			if bytes.Contains(sealed, []byte("opus frame")) {
				t.Error("the gateway's packet carries its payload in the clear")
			}

			pli, _ := (&rtcp.PictureLossIndication{SenderSSRC: 0xabc, MediaSSRC: 1}).Marshal()
			encRTCP, err := phoneOut.EncryptRTCP(nil, pli, nil)
			if err != nil {
				t.Fatal(err)
			}
			if dec, ok := b.openRTCP(encRTCP); !ok || !bytes.Equal(dec, pli) {
				t.Errorf("the phone's SRTCP did not open")
			}
			if _, ok := b.openRTCP(pli); ok {
				t.Error("plain RTCP was taken on an SRTP call")
			}
			sealedRTCP, err := l.sealRTCP(pli)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := phoneIn.DecryptRTCP(nil, sealedRTCP, nil); err != nil {
				t.Errorf("the phone cannot open the gateway's SRTCP: %v", err)
			}
		})
	}
}

// A plain call's legs pass packets as they are.
func TestSRTPLegPlain(t *testing.T) {
	sec, err := newSRTPLeg(&stream{kind: "audio"})
	if err != nil || sec != nil {
		t.Fatalf("a plain stream got SRTP: %v %v", sec, err)
	}
	l := &leg{}
	raw := []byte{0x80, 96, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 'x'}
	var p rtp.Packet
	if err := p.Unmarshal(raw); err != nil || !l.openRTP(raw, &p) {
		t.Fatal("plain RTP refused on a plain leg")
	}
	if out, _ := l.sealRTP(raw); !bytes.Equal(out, raw) {
		t.Fatal("plain RTP changed on a plain leg")
	}
	if out, ok := (&bridge{legs: []*leg{l}}).openRTCP(raw); !ok || !bytes.Equal(out, raw) {
		t.Fatal("plain RTCP refused on a plain call")
	}
}

// A re-INVITE keeps SRTP as agreed: the gateway answers with its key, a
// new key of the phone's is taken, and turning SRTP off is refused.
func TestReofferSDES(t *testing.T) {
	o, err := parseSDP(readSDP(t, "baresip-srtp-offer.sdp"))
	if err != nil {
		t.Fatal(err)
	}
	c := &sipCall{log: slog.New(slog.DiscardHandler)}
	if err := c.answerSDES(o, "TLS"); err != nil {
		t.Fatal(err)
	}
	b := &bridge{}
	for _, s := range []*stream{o.audio, o.video} {
		sec, err := newSRTPLeg(s)
		if err != nil {
			t.Fatal(err)
		}
		b.legs = append(b.legs, &leg{s: s, sec: sec})
	}
	again, _ := parseSDP(readSDP(t, "baresip-srtp-offer.sdp"))
	if err := b.reofferSDES(again); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(again.audio.local.key, o.audio.local.key) {
		t.Error("the re-INVITE's answer has a new key of the gateway's")
	}
	plain, _ := parseSDP(readSDP(t, "baresip-offer.sdp"))
	if err := b.reofferSDES(plain); !errors.Is(err, errSDESChange) {
		t.Errorf("a re-INVITE turning SRTP off: %v, want refused", err)
	}
}

// FuzzSDES answers arbitrary offers as the gateway does: the answer must
// parse, and every key in it be one the gateway made for a line that
// offered one.
func FuzzSDES(f *testing.F) {
	f.Add(readSDP(f, "baresip-srtp-offer.sdp"))
	f.Add([]byte(sdpHead + "m=audio 4000 RTP/AVP 111\r\na=rtpmap:111 opus/48000/2\r\na=crypto:1 AEAD_AES_128_GCM inline:AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEB\r\n"))
	lease := netip.MustParseAddrPort("127.77.0.9:40002")
	f.Fuzz(func(t *testing.T, body []byte) {
		o, err := parseSDP(body)
		if err != nil {
			return
		}
		c := &sipCall{log: slog.New(slog.DiscardHandler)}
		if err := c.answerSDES(o, "TLS"); err != nil {
			t.Fatal(err)
		}
		ans := withSDES(localSDP(lease, 1, 1, o), answerLines(o))
		checkOurs(t, ans, lease, o)
		back, err := parseSDP(ans)
		if err != nil {
			t.Fatal(err)
		}
		for _, pair := range [][2]*stream{{o.audio, back.audio}, {o.video, back.video}} {
			if pair[0] == nil {
				continue
			}
			if (pair[0].crypto == nil) != (pair[1].crypto == nil) || pair[0].savp != pair[1].savp {
				t.Fatalf("the answer's %s line does not match the offer's security:\n%s", pair[0].kind, ans)
			}
			if pair[1].crypto != nil && !bytes.Equal(pair[1].crypto.key, pair[0].local.key) {
				t.Fatalf("the answer's %s key is not the gateway's", pair[0].kind)
			}
		}
	})
}

// FuzzParseCrypto: any a=crypto value either is refused or gives a key a
// pion context can be made with.
func FuzzParseCrypto(f *testing.F) {
	f.Add("1 AES_CM_128_HMAC_SHA1_80 inline:hWzggjWNKKHYoicx+1KJ1fhCqJmhmdao/K1FBxxj")
	f.Add("1 AES_CM_128_HMAC_SHA1_80 inline:hWzggjWNKKHYoicx+1KJ1fhCqJmhmdao/K1FBxxj|2^20|1:32")
	f.Add("3 AEAD_AES_128_GCM inline:AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEB")
	f.Fuzz(func(t *testing.T, v string) {
		k, err := parseCrypto(v)
		if err != nil {
			return
		}
		if _, err := newContext(&k, true); err != nil {
			t.Fatalf("%q parsed to a key pion refuses: %v", v, err)
		}
		if back, err := parseCrypto(strings.TrimPrefix(k.attr(), "a=crypto:")); err != nil || !bytes.Equal(back.key, k.key) {
			t.Fatalf("%q does not round-trip: %v", v, err)
		}
	})
}
