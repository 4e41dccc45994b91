package wire

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

// fastSamples are inputs the fast path must take, and must read exactly as
// encoding/json does; the messages of a call are among them.
func fastSamples(t testing.TB) [][]byte {
	var out [][]byte
	for _, m := range callMessages() {
		b, err := Encode(m)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, b)
	}
	for _, s := range []string{
		`{"v":1,"type":"dial","seq":3,"to":"+15551230002"}`,
		`{"v":1,"type":"hello","number":"+15551230001","key":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=","client":"dialtone/1"}`,
		`{"v":1,"type":"ice","call":"c","candidate":{"candidate":"a","sdpMid":"0","sdpMLineIndex":0,"usernameFragment":"u"}}`,
		`{"v":1,"type":"sdp","call":"c","sdp_type":"offer","sdp":"v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\n\t\"\\\/\b\f"}`,
		`{"v":1,"type":"sdp","call":"c","sdp_type":"answer","sdp":"v=0","statement":{"body":"AA==","sig":""},"chain":[{"body":"AAE=","sig":"AA=="},{"body":"","sig":""}]}`,
		`{"v":1,"type":"sdp","call":"c","sdp_type":"answer","sdp":"é😀","chain":[]}`,
		` { "v" : 1 , "type" : "accepted" , "relay" : { "urls" : [ ] , "expires" : "2026-01-01T00:00:00.5+01:00" } , "offerer" : false } `,
		`{"v":1,"type":"registered","number":"+15551230001","session":"s","grace_s":10,"ring_s":30,"keepalive_s":10,"resumed":true,"media":"relay"}`,
		`{"v":1,"type":"link-cert","key":"","device":"laptop","at":1800000000,"ttl_s":300,"link":"x","sig":"AAAA"}`,
		`{"v":1,"type":"error","re":999999999999999999,"code":"x","message":""}`,
		`{}`,
	} {
		out = append(out, []byte(strings.TrimSpace(s)))
	}
	return out
}

// TestDecodeFastTakesCallMessages: the fast path is not quietly skipped.
func TestDecodeFastTakesCallMessages(t *testing.T) {
	for _, b := range fastSamples(t) {
		var m Message
		if !m.decodeFast(b) {
			t.Errorf("fast path refused %s", b)
			continue
		}
		checkFastSame(t, b)
	}
}

// TestDecodeFastLeavesTheRest: what the fast path does not read goes to
// encoding/json, which decides as before.
func TestDecodeFastLeavesTheRest(t *testing.T) {
	for _, s := range []string{
		`{"v":1,"type":"ping","future":1}`,                // unknown member: encoding/json ignores it
		`{"v":1,"Type":"ping"}`,                           // case-folded name
		`{"v":1,"type":"ping","type":"pong"}`,             // repeated member
		`{"v":1,"type":"\u0070ing"}`,                      // \u escape
		`{"v":1,"type":"ping","seq":null}`,                // null
		`{"v":1,"type":"ping","seq":-1}`,                  // negative
		`{"v":1,"type":"ping","seq":1.5}`,                 // fraction
		`{"v":1,"type":"ping","seq":1e3}`,                 // exponent
		`{"v":1,"type":"ping","seq":01}`,                  // leading zero
		`{"v":1,"type":"ping","seq":1234567890123456789}`, // long
		`{"v":1,"type":"ping","client":"\xff"}`,           // invalid UTF-8
		`{"v":1,"type":"ping","client":"a` + "\n" + `"}`,  // control character
		`{"v":1,"type":"ping"}{}`,                         // two values
		`{"v":1,"type":"ping",}`,                          // trailing comma
		`{"v":1,"type":"ping","key":"!!"}`,                // bad base64
		`{"v":1,"type":"ice","candidate":{"sdpMLineIndex":65536}}`,
		`{"v":1,"type":"accepted","relay":{"expires":"yesterday"}}`,
		`{"v":1,"type":"registered","missed":[]}`, // a list the fast path leaves alone
		`{"v":1,"type":"ping","resumed":truex}`,
	} {
		var m Message
		if m.decodeFast([]byte(s)) {
			t.Errorf("fast path took %s", s)
		}
		checkFastSame(t, []byte(s))
	}
}

// checkFastSame fails if the fast path reads data other than encoding/json.
func checkFastSame(t *testing.T, data []byte) {
	t.Helper()
	var fast Message
	if !fast.decodeFast(data) {
		return
	}
	var want Message
	if err := json.Unmarshal(data, &want); err != nil {
		t.Fatalf("fast path took %q, which encoding/json refuses: %v", data, err)
	}
	if !reflect.DeepEqual(fast, want) {
		t.Fatalf("fast path read %q as\n%+v\nencoding/json as\n%+v", data, fast, want)
	}
}

// FuzzDecodeFast holds the fast path to encoding/json: whatever it takes,
// encoding/json takes too and reads the same.
func FuzzDecodeFast(f *testing.F) {
	for _, b := range fastSamples(f) {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		checkFastSame(t, bytes.TrimSpace(data))
	})
}

// BenchmarkDecodeCall decodes the messages of a call, each both ways.
func BenchmarkDecodeCall(b *testing.B) {
	for _, m := range callMessages() {
		data, err := Encode(m)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(string(m.Type)+"/decode", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Decode(data); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(string(m.Type)+"/encoding-json", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				var m Message
				if err := unmarshal(data, &m); err != nil {
					b.Fatal(err)
				}
				if err := m.Validate(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
