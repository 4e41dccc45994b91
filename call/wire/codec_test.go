package wire

import (
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"
)

var testKey = make([]byte, ed25519.PublicKeySize)

func TestRoundTrip(t *testing.T) {
	mid, idx := "0", uint16(0)
	msgs := []*Message{
		{Type: TypeHello, Seq: 1, Number: "+15551230001", Key: testKey, Client: "dialtone/test"},
		{Type: TypeChallenge, Re: 1, Nonce: make([]byte, NonceSize), Server: "dialtone"},
		{Type: TypeProof, Seq: 2, Sig: make([]byte, ed25519.SignatureSize)},
		{Type: TypeRegistered, Re: 2, Number: "+15551230001", Session: "s1", Services: []Service{{"600", "echo test"}},
			Missed: []Missed{{ID: 3, From: "+15551230002", At: time.Unix(1700000000, 0).UTC(), Call: "c0"}}},
		{Type: TypeDial, Seq: 3, To: "600"},
		{Type: TypeRinging, Re: 3, Call: "c1", Peer: "600"},
		{Type: TypeIncoming, Call: "c1", From: "+15551230001", Waiting: true},
		{Type: TypeAccepted, Call: "c1", Peer: "+15551230002", LocalLease: "127.77.0.1:40000", RemoteLease: "127.77.0.2:40000",
			Relay: &Relay{URLs: []string{"turn:127.0.0.1:3478"}, Username: "u", Credential: "p", Expires: time.Unix(1700000600, 0).UTC()},
			Media: MediaRelay, Offerer: true},
		{Type: TypeSDP, Call: "c1", SDPType: SDPOffer, SDP: "v=0\r\n"},
		{Type: TypeSDP, Call: "c1", SDPType: SDPAnswer, SDP: "v=0\r\n", Statement: &Signed{Body: []byte("stmt"), Sig: make([]byte, 64)},
			Chain: []Signed{{Body: []byte("cert"), Sig: make([]byte, 64)}}},
		{Type: TypeICE, Call: "c1", Candidate: &Candidate{Candidate: "candidate:1 1 udp 1 127.0.0.1 5000 typ relay", SDPMid: &mid, SDPMLineIndex: &idx}},
		{Type: TypeMediaState, Seq: 8, Call: "c1", Camera: CameraOff},
		{Type: TypeHangup, Seq: 9, Call: "c1"},
		{Type: TypeHangupAck, Re: 9, Call: "c1"},
		{Type: TypeEnded, Call: "c1", Reason: ReasonHangup},
		{Type: TypeError, Re: 4, Code: CodeUnknownCall, Message: "no such call"},
		{Type: TypePing, Seq: 10},
		{Type: TypeMissedAck, ID: 3},
	}
	for _, m := range msgs {
		t.Run(string(m.Type), func(t *testing.T) {
			b, err := Encode(m)
			if err != nil {
				t.Fatal(err)
			}
			got, err := Decode(b)
			if err != nil {
				t.Fatalf("Decode(%s): %v", b, err)
			}
			again, _ := Encode(got)
			if string(again) != string(b) {
				t.Fatalf("round trip changed the message:\n%s\n%s", b, again)
			}
		})
	}
}

// sig64 is a 64-byte signature in base64.
var sig64 = strings.Repeat("A", 86) + "=="

func TestDecodeRejects(t *testing.T) {
	big := `{"v":1,"type":"sdp","call":"c","sdp_type":"offer","sdp":"` + strings.Repeat("a", MaxSDP+1) + `"}`
	tests := []struct {
		name string
		in   string
		code Code
	}{
		{"empty", ``, CodeBadMessage},
		{"array", `[1,2]`, CodeBadMessage},
		{"truncated", `{"v":1,"type":"ping"`, CodeBadMessage},
		{"two objects", `{"v":1,"type":"ping"}{"v":1,"type":"ping"}`, CodeBadMessage},
		{"object then a closing brace", `{"v":1,"type":"ping"}}`, CodeBadMessage},
		{"object then a closing bracket", `{"v":1,"type":"ping"} ]`, CodeBadMessage},
		{"wrong type for seq", `{"v":1,"type":"ping","seq":"one"}`, CodeBadMessage},
		{"negative seq", `{"v":1,"type":"ping","seq":-1}`, CodeBadMessage},
		{"no version", `{"type":"ping"}`, CodeVersion},
		{"future version", `{"v":2,"type":"ping"}`, CodeVersion},
		{"unknown type", `{"v":1,"type":"teleport"}`, CodeUnknownType},
		{"no type", `{"v":1}`, CodeUnknownType},
		{"hello without key", `{"v":1,"type":"hello","number":"+15551230001"}`, CodeBadMessage},
		{"hello short key", `{"v":1,"type":"hello","number":"+15551230001","key":"AAAA"}`, CodeBadMessage},
		{"hello bad base64", `{"v":1,"type":"hello","number":"+15551230001","key":"!!"}`, CodeBadMessage},
		{"hello bad number", `{"v":1,"type":"hello","number":"15551230001x","key":"` + strings.Repeat("A", 43) + `="}`, CodeBadNumber},
		{"dial letters", `{"v":1,"type":"dial","to":"+1555CALLME"}`, CodeBadNumber},
		{"dial 16 digits", `{"v":1,"type":"dial","to":"+1234567890123456"}`, CodeBadNumber},
		{"dial nothing", `{"v":1,"type":"dial"}`, CodeBadMessage},
		{"accept without call", `{"v":1,"type":"accept"}`, CodeBadMessage},
		{"sdp bad type", `{"v":1,"type":"sdp","call":"c","sdp_type":"pranswer","sdp":"v=0"}`, CodeBadMessage},
		{"sdp too big", big, CodeTooLarge},
		{"statement short sig", `{"v":1,"type":"sdp","call":"c","sdp_type":"offer","sdp":"v=0","statement":{"body":"AA==","sig":"AA=="}}`, CodeBadMessage},
		{"statement empty", `{"v":1,"type":"sdp","call":"c","sdp_type":"offer","sdp":"v=0","statement":{"sig":"` + sig64 + `"}}`, CodeTooLarge},
		{"statement too big", `{"v":1,"type":"sdp","call":"c","sdp_type":"offer","sdp":"v=0","statement":{"body":"` + strings.Repeat("A", 4*(MaxSigned/3+1)) + `","sig":"` + sig64 + `"}}`, CodeTooLarge},
		{"chain too long", `{"v":1,"type":"sdp","call":"c","sdp_type":"offer","sdp":"v=0","chain":[` + strings.Repeat(`{"body":"AA==","sig":"`+sig64+`"},`, MaxChain) + `{"body":"AA==","sig":"` + sig64 + `"}]}`, CodeTooLarge},
		{"ice without candidate", `{"v":1,"type":"ice","call":"c"}`, CodeBadMessage},
		{"long call id", `{"v":1,"type":"hangup","call":"` + strings.Repeat("c", MaxToken+1) + `"}`, CodeTooLarge},
		{"too large", `{"v":1,"type":"ping","client":"` + strings.Repeat("x", MaxMessage) + `"}`, CodeTooLarge},
		{"media-state without camera", `{"v":1,"type":"media-state","call":"c"}`, CodeBadMessage},
		{"media-state odd camera", `{"v":1,"type":"media-state","call":"c","camera":"dim"}`, CodeBadMessage},
		{"media-state without call", `{"v":1,"type":"media-state","camera":"off"}`, CodeBadMessage},
		{"missed-ack zero", `{"v":1,"type":"missed-ack","id":0}`, CodeBadMessage},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := Decode([]byte(tt.in))
			var we *Error
			if !errors.As(err, &we) || !errors.Is(err, ErrBadMessage) {
				t.Fatalf("Decode = %+v, %v; want a *Error", m, err)
			}
			if we.Code != tt.code {
				t.Fatalf("code = %s (%s), want %s", we.Code, we.Msg, tt.code)
			}
		})
	}
}

func TestUnknownFieldsIgnored(t *testing.T) {
	m, err := Decode([]byte(`{"v":1,"type":"ping","seq":5,"future":{"x":1}}`))
	if err != nil || m.Seq != 5 {
		t.Fatalf("Decode = %+v, %v", m, err)
	}
}

func TestErrorMessage(t *testing.T) {
	req := &Message{Type: TypeHangup, Seq: 7, Call: "c9"}
	e := ErrorMessage(req, CodeUnknownCall, "no such call")
	b, err := Encode(e)
	if err != nil {
		t.Fatal(err)
	}
	var raw map[string]any
	_ = json.Unmarshal(b, &raw)
	if raw["re"] != float64(7) || raw["call"] != "c9" || raw["code"] != "unknown-call" || raw["type"] != "error" {
		t.Fatalf("error message = %s", b)
	}
}

func TestProofMessageBindsNumberAndNonce(t *testing.T) {
	pub, priv, _ := ed25519.GenerateKey(nil)
	nonce := make([]byte, NonceSize)
	sig := ed25519.Sign(priv, ProofMessage("+15551230001", nonce))
	if !ed25519.Verify(pub, ProofMessage("+15551230001", nonce), sig) {
		t.Fatal("signature does not verify")
	}
	if ed25519.Verify(pub, ProofMessage("+15551230002", nonce), sig) {
		t.Fatal("signature verifies for another number")
	}
	nonce[0] = 1
	if ed25519.Verify(pub, ProofMessage("+15551230001", nonce), sig) {
		t.Fatal("signature verifies for another nonce")
	}
}

// FuzzDecode: no input crashes the decoder; whatever it accepts re-encodes
// and decodes to the same message.
func FuzzDecode(f *testing.F) {
	f.Add([]byte(`{"v":1,"type":"dial","seq":3,"to":"+15551230002"}`))
	f.Add([]byte(`{"v":1,"type":"hello","number":"+15551230001","key":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="}`))
	f.Add([]byte(`{"v":1,"type":"ice","call":"c","candidate":{"candidate":"a","sdpMid":"0","sdpMLineIndex":0}}`))
	f.Add([]byte(`{"v":1,"type":"sdp","call":"c","sdp_type":"offer","sdp":"v=0"}`))
	f.Add([]byte(`{"v":1,"type":"registered","number":"600","session":"s","missed":[{"id":1,"from":"+15551230001","at":"2026-01-01T00:00:00Z"}]}`))
	f.Add([]byte(`{"v":1,"type":"error","code":"x","message":"\u0000"}`))
	f.Add([]byte(`{"v":1,"type":"hello","number":"+15551230001","key":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=","link":"7K3M-Q9ZD-X2AB-PH4T","device":"laptop"}`))
	f.Add([]byte(`{"v":1,"type":"link-cert","key":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=","device":"laptop","at":1800000000,"sig":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=="}`))
	f.Add([]byte(`{"v":1,"type":"device-list","devices":[{"name":"laptop","key":"AA==","linked_at":"2026-01-01T00:00:00Z","this":true}]}`))
	f.Add([]byte(`{"v":1,"type":"registered","number":"+15551230001","session":"s","device":"d","chain":[{"body":"AA==","sig":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=="}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := Decode(data)
		if err != nil {
			if !errors.Is(err, ErrBadMessage) {
				t.Fatalf("error %v is not ErrBadMessage", err)
			}
			return
		}
		b, err := Encode(m)
		if err != nil {
			t.Fatalf("accepted message does not encode: %v", err)
		}
		if _, err := Decode(b); err != nil {
			t.Fatalf("re-encoded message %s does not decode: %v", b, err)
		}
	})
}

func BenchmarkDecode(b *testing.B) {
	msg := []byte(`{"v":1,"type":"ice","call":"c7q2","candidate":{"candidate":"candidate:1 1 udp 2130706431 127.77.0.1 40000 typ relay","sdpMid":"0","sdpMLineIndex":0}}`)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Decode(msg); err != nil {
			b.Fatal(err)
		}
	}
}
