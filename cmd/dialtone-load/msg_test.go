package main

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/dialtone/dialtone/call/wire"
)

func TestTemplatesMatchWireEncode(t *testing.T) {
	enc := func(m *wire.Message) string {
		b, err := wire.Encode(m)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	for _, tc := range []struct {
		name      string
		got, want string
	}{
		{"ping", string(appendPing(nil, 7)), enc(&wire.Message{Type: wire.TypePing, Seq: 7})},
		{"dial", string(appendDial(nil, 123456, "+15550000001")), enc(&wire.Message{Type: wire.TypeDial, Seq: 123456, To: "+15550000001"})},
		{"accept", string(appendCallMsg(nil, wire.TypeAccept, 2, []byte("abc123"))), enc(&wire.Message{Type: wire.TypeAccept, Seq: 2, Call: "abc123"})},
		{"hangup", string(appendCallMsg(nil, wire.TypeHangup, 99, []byte("abc123"))), enc(&wire.Message{Type: wire.TypeHangup, Seq: 99, Call: "abc123"})},
		{"escaped call", string(appendCallMsg(nil, wire.TypeHangup, 1, []byte(`a"<\`))), enc(&wire.Message{Type: wire.TypeHangup, Seq: 1, Call: `a"<\`})},
	} {
		if tc.got != tc.want {
			t.Errorf("%s: got %s, wire.Encode makes %s", tc.name, tc.got, tc.want)
		}
	}
}

func TestClientFrameUnmasks(t *testing.T) {
	for _, n := range []int{0, 1, 125, 126, 300, 70000} {
		p := bytes.Repeat([]byte("x"), n)
		f := appendClientFrame(nil, p)
		if f[0] != 0x81 || f[1]&0x80 == 0 {
			t.Fatalf("%d bytes: header % x", n, f[:2])
		}
		h, l := 2, int(f[1]&0x7f)
		switch l {
		case 126:
			h, l = 4, int(f[2])<<8|int(f[3])
		case 127:
			h, l = 10, 0
			for _, c := range f[2:10] {
				l = l<<8 | int(c)
			}
		}
		if l != n || len(f) != h+4+n {
			t.Fatalf("%d bytes: frame says %d, is %d long", n, l, len(f))
		}
		mask, body := f[h:h+4], f[h+4:]
		for i := range body {
			body[i] ^= mask[i&3]
		}
		if !bytes.Equal(body, p) {
			t.Fatalf("%d bytes: unmasked payload differs", n)
		}
	}
}

// serverMessages are messages as the server encodes them, one of each
// type the tool reads, with the members it skips over.
func serverMessages() []*wire.Message {
	return []*wire.Message{
		{Type: wire.TypeChallenge, Re: 1, Nonce: bytes.Repeat([]byte{7}, wire.NonceSize), Server: "dialtone"},
		{Type: wire.TypeRegistered, Re: 2, Number: "+15550000001", Session: "s3ss", KeepaliveS: 10, GraceS: 5, RingS: 30,
			Services: []wire.Service{{Code: "600", Name: "echo"}}, Missed: []wire.Missed{{ID: 1, From: "+15550000002", At: time.Unix(1, 0).UTC()}}},
		{Type: wire.TypeRinging, Re: 3, SN: 4, Call: "c1"},
		{Type: wire.TypeIncoming, SN: 1, Call: "c1", From: "+15550000001", Media: wire.MediaRelay},
		{Type: wire.TypeAccepted, SN: 5, Call: "c1", LocalLease: "127.77.0.1:40000", RemoteLease: "127.77.0.2:40000", Media: wire.MediaRelay, Offerer: true,
			Relay: &wire.Relay{URLs: []string{"turn:127.0.0.1:3478?transport=udp"}, Username: "u", Credential: "p\u00e9<>", Expires: time.Unix(2, 0).UTC()}},
		{Type: wire.TypeHangupAck, Re: 6, Call: "c1"},
		{Type: wire.TypeEnded, Call: "c1", Reason: wire.ReasonHangup},
		{Type: wire.TypePong, Re: 9},
		{Type: wire.TypeError, Re: 3, Code: wire.CodeRateLimited, Message: "too \"many\"\n"},
	}
}

func TestDecodeInAgreesWithWire(t *testing.T) {
	for _, m := range serverMessages() {
		b, err := wire.Encode(m)
		if err != nil {
			t.Fatal(err)
		}
		var got inMsg
		if err := decodeIn(b, &got); err != nil {
			t.Errorf("%s: %v", b, err)
			continue
		}
		checkAgrees(t, b, &got, m)
	}
}

func checkAgrees(t *testing.T, b []byte, got *inMsg, m *wire.Message) {
	t.Helper()
	for _, f := range []struct {
		name      string
		got, want string
	}{
		{"type", string(got.typ), string(m.Type)}, {"call", string(got.call), string(m.Call)},
		{"from", string(got.from), m.From}, {"number", string(got.number), m.Number},
		{"session", string(got.session), m.Session}, {"local_lease", string(got.local), m.LocalLease},
		{"remote_lease", string(got.remote), m.RemoteLease}, {"code", string(got.code), string(m.Code)},
		{"message", string(got.message), m.Message},
	} {
		if f.got != f.want {
			t.Errorf("%s: %s %q, wire.Decode %q", b, f.name, f.got, f.want)
		}
	}
	if got.re != m.Re || got.keepaliveS != int64(m.KeepaliveS) {
		t.Errorf("%s: re %d keepalive_s %d, wire.Decode %d %d", b, got.re, got.keepaliveS, m.Re, m.KeepaliveS)
	}
}

func TestDecodeInRefuses(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{``, "one JSON object"},
		{`[]`, "one JSON object"},
		{`{"v":1,"type":"pong"} {}`, "one JSON object per message"},
		{`{"v":2,"type":"pong"}`, "version"},
		{`{"type":"pong"}`, "version"},
		{`{"v":1}`, "without a type"},
		{`{"v":1,"type":"ringing"}`, "without call"},
		{`{"v":1,"type":"incoming","call":"c"}`, "without call and from"},
		{`{"v":1,"type":"accepted","call":"c","local_lease":"x"}`, "both leases"},
		{`{"v":1,"type":"challenge","nonce":"AAAA"}`, "32-byte nonce"},
		{`{"v":1,"type":"registered","number":"+1"}`, "number and session"},
		{`{"v":1,"type":"error"}`, "without code"},
		{`{"v":1,"type":"pong","re":-1}`, "malformed"},
		{`{"v":1,"type":"pong","x":[1,}`, "malformed"},
		{`{"v":1,"type":"pong","x":tru}`, "malformed"},
		{`{"v":1,"type":"pong","x":"a` + "\n" + `"}`, "malformed"},
		{`{"v":1,"type":"pong",}`, "malformed"},
		{`{"v":1 "type":"pong"}`, "malformed"},
	} {
		var m inMsg
		err := decodeIn([]byte(tc.in), &m)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want one saying %q", tc.in, err, tc.want)
		}
	}
}

// FuzzDecodeIn holds the light decoder to wire.Decode: what wire.Decode
// accepts, decodeIn reads the same, and decodeIn never panics.
func FuzzDecodeIn(f *testing.F) {
	for _, m := range serverMessages() {
		b, _ := wire.Encode(m)
		f.Add(b)
	}
	f.Add([]byte(`{"v":1,"type":"ringing","call":"\u0063\n","x":{"a":[1,2.5e3,null,true,{"b":"c"}]}}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		var got inMsg
		err := decodeIn(b, &got)
		m, werr := wire.Decode(b)
		if werr != nil {
			return
		}
		if err != nil {
			t.Fatalf("%q: wire.Decode takes it, decodeIn says %v", b, err)
		}
		checkAgrees(t, b, &got, m)
	})
}

func TestParseServerFrame(t *testing.T) {
	for _, tc := range []struct {
		name    string
		in      []byte
		n       int
		payload string
		bad     bool
	}{
		{"empty", nil, 0, "", false},
		{"short", []byte{0x81, 5, 'a'}, 0, "", false},
		{"text", []byte{0x81, 2, 'h', 'i', 0x81}, 4, "hi", false},
		{"16-bit length", append([]byte{0x81, 126, 0, 200}, bytes.Repeat([]byte("a"), 200)...), 204, strings.Repeat("a", 200), false},
		{"16-bit length, short", []byte{0x81, 126, 0}, 0, "", false},
		{"masked", []byte{0x81, 0x82, 1, 2, 3, 4, 'h', 'i'}, 0, "", true},
		{"reserved bits", []byte{0xc1, 0}, 0, "", true},
		{"over the limit", []byte{0x81, 127, 0, 0, 0, 0, 0, 2, 0, 0}, 0, "", true},
	} {
		f, n, err := parseServerFrame(tc.in)
		if (err != nil) != tc.bad || n != tc.n || string(f.payload) != tc.payload {
			t.Errorf("%s: %d %q %v, want %d %q bad %v", tc.name, n, f.payload, err, tc.n, tc.payload, tc.bad)
		}
	}
}
