package wire

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"
	"time"
)

// weird holds the characters encoding/json escapes or replaces.
const weird = "a\"b\\c<d>e&f\x00\x01\b\f\n\r\t\x1f\u2028\u2029\xff\xc3é😀/"

// fill sets every field of v, recursively, to a value that is not its
// zero, so a test sees each one encoded.
func fill(v reflect.Value) {
	switch v.Kind() {
	case reflect.String:
		v.SetString(weird)
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Int, reflect.Int64:
		v.SetInt(-7)
	case reflect.Uint64, reflect.Uint16:
		v.SetUint(7)
	case reflect.Pointer:
		p := reflect.New(v.Type().Elem())
		fill(p.Elem())
		v.Set(p)
	case reflect.Slice:
		if v.Type().Elem().Kind() == reflect.Uint8 {
			v.SetBytes([]byte{0, 1, 2, 0xfe, 0xff})
			return
		}
		s := reflect.MakeSlice(v.Type(), 2, 2)
		fill(s.Index(0))
		fill(s.Index(1))
		v.Set(s)
	case reflect.Struct:
		if v.Type() == reflect.TypeFor[time.Time]() {
			v.Set(reflect.ValueOf(time.Date(2026, 12, 2, 6, 30, 0, 123456789, time.FixedZone("x", 3600))))
			return
		}
		for i := range v.NumField() {
			fill(v.Field(i))
		}
	default:
		panic("fill: no sample for " + v.Type().String())
	}
}

func checkSame(t *testing.T, m *Message) {
	t.Helper()
	got, err := AppendEncode([]byte("prefix"), m)
	if err != nil {
		t.Fatalf("AppendEncode: %v", err)
	}
	want, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, append([]byte("prefix"), want...)) {
		t.Fatalf("AppendEncode differs from encoding/json:\n got %s\nwant prefix%s", got, want)
	}
}

// TestAppendEncodeMatchesEncodingJSON holds the encoder to encoding/json
// byte for byte: every field of Message alone, all of them at once, and the
// messages of a call.
func TestAppendEncodeMatchesEncodingJSON(t *testing.T) {
	typ := reflect.TypeFor[Message]()
	for i := range typ.NumField() {
		f := typ.Field(i)
		t.Run(f.Name, func(t *testing.T) {
			m := &Message{Type: TypeRinging}
			fill(reflect.ValueOf(m).Elem().Field(i))
			checkSame(t, m)
		})
	}
	t.Run("every field", func(t *testing.T) {
		var m Message
		fill(reflect.ValueOf(&m).Elem())
		checkSame(t, &m)
	})
	t.Run("empty", func(t *testing.T) { checkSame(t, &Message{}) })
	t.Run("relay without urls", func(t *testing.T) {
		checkSame(t, &Message{Type: TypeAccepted, Relay: &Relay{}})
	})
	t.Run("relay with empty urls", func(t *testing.T) {
		checkSame(t, &Message{Type: TypeAccepted, Relay: &Relay{URLs: []string{}}})
	})
	for _, m := range callMessages() {
		t.Run(string(m.Type), func(t *testing.T) { checkSame(t, m) })
	}
}

func callMessages() []*Message {
	return []*Message{
		{Type: TypeDial, Seq: 3, To: "+15551230002"},
		{Type: TypeRinging, Re: 3, SN: 4, Call: "018f2a7c-c1", Peer: "+15551230002"},
		{Type: TypeIncoming, SN: 9, Call: "018f2a7c-c1", From: "+15551230001", Waiting: true},
		{Type: TypeAccepted, SN: 5, Call: "018f2a7c-c1", Peer: "+15551230002", LocalLease: "127.77.0.1:40000", RemoteLease: "127.77.0.2:40000",
			Relay: &Relay{URLs: []string{"turn:127.0.0.1:3478?transport=udp", "turn:127.0.0.1:3478?transport=tcp"}, Username: "1764657000:+15551230001:018f2a7c-c1",
				Credential: "q2x+/Yh8=", Expires: time.Unix(1700000600, 0).UTC()},
			Media: MediaRelay, Offerer: true},
		{Type: TypeHangupAck, Re: 9, SN: 6, Call: "018f2a7c-c1"},
		{Type: TypeEnded, SN: 10, Call: "018f2a7c-c1", Reason: ReasonHangup},
		{Type: TypePong, Re: 11},
	}
}

func TestAppendEncodeRefusesWhatEncodingJSONRefuses(t *testing.T) {
	m := &Message{Type: TypeAccepted, Relay: &Relay{Expires: time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)}}
	if _, err := json.Marshal(m); err == nil {
		t.Fatal("encoding/json took a year past 9999")
	}
	if b, err := AppendEncode([]byte("x"), m); err == nil || string(b) != "x" {
		t.Fatalf("AppendEncode = %q, %v; want the input back and an error", b, err)
	}
	if _, err := Encode(&Message{Type: TypeSDP, SDP: string(make([]byte, MaxMessage))}); err == nil {
		t.Fatal("Encode took a message over MaxMessage")
	}
}

func FuzzAppendEncode(f *testing.F) {
	f.Add("+15551230001", "turn:127.0.0.1:3478", []byte{1, 2}, uint64(1), int64(-1), true)
	f.Add(weird, "\xed\xa0\x80", []byte(nil), uint64(1<<63), int64(1<<62), false)
	f.Fuzz(func(t *testing.T, s1, s2 string, b []byte, n uint64, i int64, flag bool) {
		m := &Message{Type: Type(s1), Seq: n, Re: n >> 1, Call: CallID(s2), Number: s1, Key: b, Nonce: b,
			GraceS: int(i), ID: i, From: s2, Waiting: flag, Offerer: !flag, SDP: s1 + s2, Message: s2, At: i}
		if flag {
			m.Relay = &Relay{URLs: []string{s1, s2}, Username: s2, Credential: s1, Expires: time.Unix(0, i%(1<<60)).UTC()}
			m.Missed = []Missed{{ID: i, From: s1, Call: CallID(s2)}}
			m.Candidate = &Candidate{Candidate: s1, UsernameFragment: &s2}
		}
		got, err := AppendEncode(nil, m)
		want, werr := json.Marshal(m)
		if wantErr := werr != nil || len(want) > MaxMessage; (err != nil) != wantErr {
			t.Fatalf("AppendEncode error %v, encoding/json error %v, %d bytes", err, werr, len(want))
		}
		if err == nil && !bytes.Equal(got, want) {
			t.Fatalf("differs:\n got %s\nwant %s", got, want)
		}
	})
}

func BenchmarkEncode(b *testing.B) {
	for _, m := range callMessages() {
		b.Run(string(m.Type)+"/append", func(b *testing.B) {
			b.ReportAllocs()
			var buf []byte
			for b.Loop() {
				buf, _ = AppendEncode(buf[:0], m)
			}
		})
		b.Run(string(m.Type)+"/encoding-json", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				_, _ = json.Marshal(m)
			}
		})
	}
}
