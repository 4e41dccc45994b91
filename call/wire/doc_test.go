package wire

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"strings"
	"testing"
)

// These tests hold the package documentation to the code: each checks one
// rule a client in another language needs.

func TestProofLayout(t *testing.T) {
	nonce := bytes.Repeat([]byte{0xab}, NonceSize)
	got := ProofMessage("+15551230001", nonce)
	want := "dialtone/1 registration proof\x00" + "+15551230001" + "\x00" + string(nonce)
	if string(got) != want {
		t.Fatalf("ProofMessage:\n got %s\nwant %s", hex.EncodeToString(got), hex.EncodeToString([]byte(want)))
	}
	if len(got) != 30+12+1+NonceSize {
		t.Fatalf("%d bytes", len(got))
	}
}

func TestBase64IsStandardWithPadding(t *testing.T) {
	key := make([]byte, 32)
	key[0] = 0xfb // encodes with '+' and '/' in the standard alphabet
	key[1] = 0xff
	b, err := Encode(&Message{Type: TypeHello, Number: "+15551230001", Key: key})
	if err != nil {
		t.Fatal(err)
	}
	std := base64.StdEncoding.EncodeToString(key)
	if !strings.Contains(string(b), `"key":"`+std+`"`) || !strings.HasSuffix(std, "=") {
		t.Fatalf("encoded %s; want standard base64 with padding %s", b, std)
	}
	for name, enc := range map[string]*base64.Encoding{"unpadded": base64.RawStdEncoding, "URL alphabet": base64.URLEncoding} {
		msg := `{"v":1,"type":"hello","number":"+15551230001","key":"` + enc.EncodeToString(key) + `"}`
		if _, err := Decode([]byte(msg)); err == nil {
			t.Errorf("%s base64 was accepted: %s", name, msg)
		}
	}
}

func TestSeqZeroGetsNoRe(t *testing.T) {
	b, err := Encode(ErrorMessage(&Message{Type: TypePing}, CodeBadMessage, "x"))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(b), `"re"`) {
		t.Fatalf("a reply to a request without seq carries re: %s", b)
	}
}

func TestOffererAbsentWhenFalse(t *testing.T) {
	b, err := Encode(&Message{Type: TypeAccepted, Call: "c", LocalLease: "a", RemoteLease: "b"})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(b), "offerer") {
		t.Fatalf("offerer false is sent: %s", b)
	}
}

func TestEndOfCandidates(t *testing.T) {
	if _, err := Decode([]byte(`{"v":1,"type":"ice","call":"c","candidate":null}`)); err == nil {
		t.Fatal(`"candidate": null was accepted`)
	}
	m, err := Decode([]byte(`{"v":1,"type":"ice","call":"c","candidate":{"candidate":"","sdpMid":"0"}}`))
	if err != nil || m.Candidate == nil || m.Candidate.Candidate != "" {
		t.Fatalf(`{"candidate": ""}: %+v, %v`, m, err)
	}
}
