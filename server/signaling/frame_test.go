package signaling

import (
	"bytes"
	"testing"

	"github.com/gobwas/ws"

	"github.com/dialtone/dialtone/call/wire"
)

// FuzzParseHeader: whatever a client sends, the header parser neither
// panics nor claims more bytes than it has, and what it accepts is what a
// masking client encoder writes.
func FuzzParseHeader(f *testing.F) {
	for _, fr := range []ws.Frame{
		ws.MaskFrame(ws.NewTextFrame([]byte(`{"v":1,"type":"ping"}`))),
		ws.MaskFrame(ws.NewTextFrame(bytes.Repeat([]byte("x"), 300))),
		ws.MaskFrame(ws.NewTextFrame(bytes.Repeat([]byte("x"), 70000))),
		ws.MaskFrame(ws.NewPingFrame([]byte("hi"))),
		ws.MaskFrame(ws.NewCloseFrame(ws.NewCloseFrameBody(ws.StatusNormalClosure, "bye"))),
		ws.NewTextFrame([]byte("unmasked")),
	} {
		var b bytes.Buffer
		ws.WriteFrame(&b, fr)
		f.Add(b.Bytes()[:min(b.Len(), 64)])
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		h, n, err := parseHeader(b)
		if err != nil || n == 0 {
			return
		}
		if n > len(b) || n > maxHeader {
			t.Fatalf("header of %d bytes out of %d", n, len(b))
		}
		if !h.Masked || h.Rsv != 0 || h.Length < 0 {
			t.Fatalf("accepted %+v", h)
		}
		var enc bytes.Buffer
		if err := ws.WriteHeader(&enc, h); err != nil {
			t.Fatalf("re-encoding %+v: %v", h, err)
		}
		// The shortest encoding is the canonical one; a client may use a
		// longer length field, so compare what it means.
		back, m, err := parseHeader(enc.Bytes())
		if err != nil || m != enc.Len() || back != h {
			t.Fatalf("%+v re-read as %+v (%d bytes, %v)", h, back, m, err)
		}
	})
}

func TestAppendFrameReadsBack(t *testing.T) {
	for _, n := range []int{0, 1, 125, 126, 65535, 65536, 70000} {
		p := bytes.Repeat([]byte("a"), n)
		b := appendFrame(nil, ws.OpText, p)
		f, err := ws.ReadFrame(bytes.NewReader(b))
		if err != nil || !f.Header.Fin || f.Header.OpCode != ws.OpText || !bytes.Equal(f.Payload, p) {
			t.Fatalf("%d bytes: read back %+v, %v", n, f.Header, err)
		}
	}
}

// TestMessageFrameMatchesEncodeThenFrame: a message encoded in place is the
// frame of its encoding, at every length the header changes at, and after
// what the buffer already held.
func TestMessageFrameMatchesEncodeThenFrame(t *testing.T) {
	bare, err := wire.Encode(&wire.Message{Type: wire.TypeError, Code: wire.CodeBadMessage})
	if err != nil {
		t.Fatal(err)
	}
	overhead := len(bare) + len(`,"message":""`)
	for _, n := range []int{0, 1, 125, 126, 127, 0xffff, 0x10000} {
		size := max(n-overhead, 0)
		m := &wire.Message{Type: wire.TypeError, Code: wire.CodeBadMessage, Message: string(bytes.Repeat([]byte("m"), size))}
		payload, err := wire.Encode(m)
		if n > 0 && len(payload) != n && n >= overhead {
			t.Fatalf("built a %d-byte message, want %d", len(payload), n)
		}
		if err != nil {
			t.Fatal(err)
		}
		got, err := appendMessageFrame([]byte("held"), m)
		if err != nil {
			t.Fatal(err)
		}
		want := appendFrame([]byte("held"), ws.OpText, payload)
		if !bytes.Equal(got, want) {
			t.Fatalf("%d bytes: in place %q…, framed %q…", len(payload), got[:min(len(got), 12)], want[:min(len(want), 12)])
		}
	}
	long := &wire.Message{Type: wire.TypeError, Code: wire.CodeBadMessage, Message: string(bytes.Repeat([]byte("m"), wire.MaxMessage))}
	if got, err := appendMessageFrame([]byte("held"), long); err == nil || string(got) != "held" {
		t.Fatalf("a message over the limit: %q, %v", got[:min(len(got), 8)], err)
	}
}
