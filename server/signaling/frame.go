package signaling

import (
	"encoding/binary"
	"errors"

	"github.com/gobwas/ws"

	"github.com/dialtone/dialtone/call/wire"
)

// The server reads WebSocket frames out of its own buffer rather than
// through a stream reader, so that a connection between messages holds no
// reader, no buffer and no goroutine (see poll_linux.go). These are the
// RFC 6455 framing rules a server enforces on what a client sends.

// errProtocol is a frame the RFC forbids a client to send; the connection
// is closed with 1002.
var errProtocol = errors.New("websocket protocol violation")

// maxHeader is the longest frame header: 2 bytes, a 64-bit length, a mask.
const maxHeader = 14

// parseHeader reads a client frame's header from the front of b. It returns
// the header and its length, 0 and no error when b does not hold all of the
// header yet, or errProtocol for a frame no client may send: unmasked, with
// reserved bits (no extension is negotiated) or a reserved opcode, or a
// control frame that is fragmented or longer than 125 bytes.
func parseHeader(b []byte) (ws.Header, int, error) {
	var h ws.Header
	if len(b) < 2 {
		return h, 0, nil
	}
	h.Fin = b[0]&0x80 != 0
	h.Rsv = (b[0] >> 4) & 0x7
	h.OpCode = ws.OpCode(b[0] & 0x0f)
	h.Masked = b[1]&0x80 != 0
	n := 2
	switch l := b[1] & 0x7f; l {
	case 126:
		n += 2
	case 127:
		n += 8
	default:
		h.Length = int64(l)
	}
	if h.Masked {
		n += 4
	}
	if len(b) < n {
		return h, 0, nil
	}
	switch b[1] & 0x7f {
	case 126:
		h.Length = int64(binary.BigEndian.Uint16(b[2:4]))
	case 127:
		u := binary.BigEndian.Uint64(b[2:10])
		if u>>63 != 0 {
			return h, 0, errProtocol
		}
		h.Length = int64(u)
	}
	if h.Masked {
		copy(h.Mask[:], b[n-4:n])
	}
	switch {
	case !h.Masked, h.Rsv != 0, h.OpCode.IsReserved():
		return h, 0, errProtocol
	case h.OpCode.IsControl() && (!h.Fin || h.Length > 125):
		return h, 0, errProtocol
	}
	return h, n, nil
}

// appendFrame appends an unmasked server frame holding p.
func appendFrame(b []byte, op ws.OpCode, p []byte) []byte {
	b = append(b, 0x80|byte(op))
	switch l := len(p); {
	case l < 126:
		b = append(b, byte(l))
	case l <= 0xffff:
		b = append(b, 126, byte(l>>8), byte(l))
	default:
		b = append(b, 127)
		b = binary.BigEndian.AppendUint64(b, uint64(l))
	}
	return append(b, p...)
}

// appendMessageFrame appends a text frame holding m's JSON, encoded in
// place: the header is written for the longest length a message may have
// and moved up once the length is known, which costs a copy of a few
// hundred bytes instead of an encoding buffer per message.
func appendMessageFrame(b []byte, m *wire.Message) ([]byte, error) {
	start := len(b)
	b = append(b, 0x80|byte(ws.OpText), 126, 0, 0)
	b, err := wire.AppendEncode(b, m)
	if err != nil {
		return b[:start], err
	}
	l := len(b) - start - 4
	switch {
	case l > 0xffff: // only a message of exactly MaxMessage bytes
		p := append([]byte(nil), b[start+4:]...)
		return appendFrame(b[:start], ws.OpText, p), nil
	case l < 126:
		b[start+1] = byte(l)
		copy(b[start+2:], b[start+4:])
		return b[:len(b)-2], nil
	default:
		b[start+2], b[start+3] = byte(l>>8), byte(l)
		return b, nil
	}
}

// closeBody is a close frame's payload: the code, then a reason cut to the
// 123 bytes a control frame leaves for it.
func closeBody(code ws.StatusCode, reason string) []byte {
	return ws.NewCloseFrameBody(code, truncate(reason))
}
