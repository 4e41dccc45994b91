package identity

import (
	"bytes"
	"crypto/ed25519"
	"slices"
	"strings"
	"testing"
)

const sdpTwo = "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n" +
	"a=fingerprint:sha-256 ab:cd:EF:01\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\n" +
	"a=fingerprint:SHA-256 AB:CD:EF:01\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\na=fingerprint:sha-1 00:11\r\n"

func testStatement(t testing.TB) (Statement, ed25519.PrivateKey) {
	pub, priv, err := ed25519.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	return Statement{Call: "c7q", Caller: "+12025550101", Callee: "+12025550102", Role: RoleOffer,
		Fingerprints: []string{"sha-256 AB:CD:EF:01"}, Key: pub}, priv
}

func TestStatementRoundTripAndTamper(t *testing.T) {
	s, priv := testStatement(t)
	sig, err := SignStatement(s, priv)
	if err != nil {
		t.Fatal(err)
	}
	if err := VerifyStatement(s, sig); err != nil {
		t.Fatalf("honest statement: %v", err)
	}
	back, err := ParseStatement(s.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(back.Bytes(), s.Bytes()) {
		t.Fatal("parse did not give back the same statement")
	}
	other, _, _ := ed25519.GenerateKey(nil)
	for name, change := range map[string]func(*Statement){
		"call":        func(s *Statement) { s.Call = "c7r" },
		"caller":      func(s *Statement) { s.Caller = "+12025550103" },
		"callee":      func(s *Statement) { s.Callee = "+12025550103" },
		"role":        func(s *Statement) { s.Role = RoleAnswer },
		"fingerprint": func(s *Statement) { s.Fingerprints = []string{"sha-256 AB:CD:EF:02"} },
		"key":         func(s *Statement) { s.Key = other },
	} {
		bad := s
		bad.Fingerprints = slices.Clone(s.Fingerprints)
		change(&bad)
		if VerifyStatement(bad, sig) == nil {
			t.Errorf("changed %s still verifies", name)
		}
	}
	_, otherPriv, _ := ed25519.GenerateKey(nil)
	if _, err := SignStatement(s, otherPriv); err == nil {
		t.Error("signed with a key that is not the statement's")
	}
}

func TestStatementFieldsAreUnambiguous(t *testing.T) {
	s, _ := testStatement(t)
	a, b := s, s
	a.Caller, a.Callee = "+1202555010", "1+12025550102"
	if bytes.Equal(a.Bytes(), b.Bytes()) {
		t.Fatal("two statements share one canonical form")
	}
}

func TestStatementCheck(t *testing.T) {
	s, _ := testStatement(t)
	for name, change := range map[string]func(*Statement){
		"no call":          func(s *Statement) { s.Call = "" },
		"long call":        func(s *Statement) { s.Call = strings.Repeat("x", 129) },
		"no caller":        func(s *Statement) { s.Caller = "" },
		"role":             func(s *Statement) { s.Role = "pranswer" },
		"no fingerprint":   func(s *Statement) { s.Fingerprints = nil },
		"too many":         func(s *Statement) { s.Fingerprints = []string{"a 00", "b 00", "c 00", "d 00", "e 00"} },
		"not normal":       func(s *Statement) { s.Fingerprints = []string{"SHA-256 ab:cd"} },
		"unsorted":         func(s *Statement) { s.Fingerprints = []string{"sha-256 01", "sha-1 00"} },
		"twice":            func(s *Statement) { s.Fingerprints = []string{"sha-1 00", "sha-1 00"} },
		"short key":        func(s *Statement) { s.Key = s.Key[:31] },
		"fingerprint junk": func(s *Statement) { s.Fingerprints = []string{"sha-256 GG:00"} },
	} {
		bad := s
		change(&bad)
		if bad.Check() == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestFingerprints(t *testing.T) {
	got, err := Fingerprints(sdpTwo)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"sha-1 00:11", "sha-256 AB:CD:EF:01"}
	if !slices.Equal(got, want) {
		t.Fatalf("got %q, want %q", got, want)
	}
	for name, sdp := range map[string]string{
		"none":      "v=0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\n",
		"no hex":    "a=fingerprint:sha-256\r\n",
		"odd hex":   "a=fingerprint:sha-256 AB:C\r\n",
		"bad sep":   "a=fingerprint:sha-256 AB-CD\r\n",
		"bad alg":   "a=fingerprint:sha/256 AB:CD\r\n",
		"too many":  "a=fingerprint:a 00\r\na=fingerprint:b 00\r\na=fingerprint:c 00\r\na=fingerprint:d 00\r\na=fingerprint:e 00\r\n",
		"long hash": "a=fingerprint:sha-256 " + strings.Repeat("AB:", 70) + "AB\r\n",
	} {
		if _, err := Fingerprints(sdp); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func FuzzParseStatement(f *testing.F) {
	s, _ := testStatement(f)
	f.Add(s.Bytes())
	s.Fingerprints = []string{"sha-1 00:11", "sha-256 AB:CD:EF:01"}
	f.Add(s.Bytes())
	f.Add([]byte{})
	f.Add([]byte{0xff, 0xff})
	f.Add(append([]byte{0, 25}, statementContext...))
	f.Fuzz(func(t *testing.T, p []byte) {
		s, err := ParseStatement(p)
		if err != nil {
			return
		}
		if !bytes.Equal(s.Bytes(), p) {
			t.Fatalf("accepted bytes that are not the canonical form of what they parse to")
		}
		if err := s.Check(); err != nil {
			t.Fatalf("accepted a statement that does not check: %v", err)
		}
	})
}

// FuzzFingerprints: whatever SDP comes, what Fingerprints returns is what
// a Statement takes.
func FuzzFingerprints(f *testing.F) {
	f.Add(sdpTwo)
	f.Add("a=fingerprint:sha-256 AB\r\n")
	f.Add("a=fingerprint: \r\n")
	f.Fuzz(func(t *testing.T, sdp string) {
		fps, err := Fingerprints(sdp)
		if err != nil {
			return
		}
		s, _ := testStatement(t)
		s.Fingerprints = fps
		if err := s.Check(); err != nil {
			t.Fatalf("Fingerprints gave %q, which a statement refuses: %v", fps, err)
		}
	})
}

func BenchmarkSafetyCode(b *testing.B) {
	ka, _, _ := ed25519.GenerateKey(nil)
	kb, _, _ := ed25519.GenerateKey(nil)
	for b.Loop() {
		SafetyCode(Party{Number: "+12025550101", Key: ka}, Party{Number: "+12025550102", Key: kb})
	}
}

func BenchmarkSignVerifyStatement(b *testing.B) {
	s, priv := testStatement(b)
	for b.Loop() {
		sig, _ := SignStatement(s, priv)
		if err := VerifyStatement(s, sig); err != nil {
			b.Fatal(err)
		}
	}
}
