package signaling_test

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/gobwas/ws"

	"github.com/dialtone/dialtone/call/wire"
	"github.com/dialtone/dialtone/server/servertest"
)

// TestIdleConnectionsHoldNoGoroutine: a registered client that sends
// nothing costs the server no goroutine (and so no stack); its socket waits
// in the poller. Each still answers at once when it speaks.
func TestIdleConnectionsHoldNoGoroutine(t *testing.T) {
	srv := servertest.New(t, servertest.Options{})
	var cs []*servertest.Client
	for i := range 40 {
		cs = append(cs, servertest.Register(t, srv.Addrs.URL, fmt.Sprintf("+1555020%04d", i)))
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		left := serverConnGoroutines()
		if len(left) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d server goroutines for %d idle clients, the first:\n%s", len(left), len(cs), left[0])
		}
		time.Sleep(10 * time.Millisecond)
	}
	for _, c := range cs {
		c.ExpectReply(c.Send(&wire.Message{Type: wire.TypePing}))
	}
}

// serverConnGoroutines are the server side's goroutines for connections.
func serverConnGoroutines() []string {
	var out []string
	for _, g := range connGoroutines() {
		if !strings.Contains(g, "/server/servertest.(*Client)") {
			out = append(out, g)
		}
	}
	return out
}

// TestFragmentedMessage: a message may come in several frames, with control
// frames between them.
func TestFragmentedMessage(t *testing.T) {
	srv := servertest.New(t, servertest.Options{})
	rc := dialRaw(t, srv.Addrs.URL, nil)
	msg := []byte(`{"v":1,"type":"ping","seq":7}`)
	rc.write(t, ws.OpText, false, msg[:5])
	rc.write(t, ws.OpPing, true, []byte("hi"))
	rc.write(t, ws.OpContinuation, false, msg[5:20])
	rc.write(t, ws.OpContinuation, true, msg[20:])
	if f := rc.read(t); f.Header.OpCode != ws.OpPong || string(f.Payload) != "hi" {
		t.Fatalf("got %v %q, want the pong to the ping", f.Header.OpCode, f.Payload)
	}
	f := rc.read(t)
	m, err := wire.Decode(f.Payload)
	if err != nil || m.Type != wire.TypePong || m.Re != 7 {
		t.Fatalf("got %q (%v), want a pong answering 7", f.Payload, err)
	}
}

// TestBytesWithTheUpgrade: a client may send its first message right
// behind the upgrade request, before it has read the answer.
func TestBytesWithTheUpgrade(t *testing.T) {
	srv := servertest.New(t, servertest.Options{})
	var early bytes.Buffer
	ws.WriteFrame(&early, ws.MaskFrame(ws.NewTextFrame([]byte(`{"v":1,"type":"ping","seq":3}`))))
	rc := dialRaw(t, srv.Addrs.URL, early.Bytes())
	m, err := wire.Decode(rc.read(t).Payload)
	if err != nil || m.Type != wire.TypePong || m.Re != 3 {
		t.Fatalf("got %v (%v), want a pong answering 3", m, err)
	}
}

// TestFramesRefused: frames a client may not send close the connection with
// the code RFC 6455 gives.
func TestFramesRefused(t *testing.T) {
	srv := servertest.New(t, servertest.Options{})
	for _, tc := range []struct {
		name  string
		frame ws.Frame
		mask  bool
		want  ws.StatusCode
	}{
		{"unmasked", ws.NewTextFrame([]byte(`{"v":1,"type":"ping"}`)), false, ws.StatusProtocolError},
		{"reserved bits", ws.Frame{Header: ws.Header{Fin: true, Rsv: 4, OpCode: ws.OpText, Length: 2}, Payload: []byte("{}")}, true, ws.StatusProtocolError},
		{"reserved opcode", ws.Frame{Header: ws.Header{Fin: true, OpCode: 3, Length: 2}, Payload: []byte("{}")}, true, ws.StatusProtocolError},
		{"stray continuation", ws.NewFrame(ws.OpContinuation, true, []byte("{}")), true, ws.StatusProtocolError},
		{"too big", ws.NewTextFrame(bytes.Repeat([]byte("x"), wire.MaxMessage+1)), true, ws.StatusMessageTooBig},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rc := dialRaw(t, srv.Addrs.URL, nil)
			f := tc.frame
			if tc.mask {
				f = ws.MaskFrame(f)
			}
			if err := ws.WriteFrame(rc.nc, f); err != nil {
				t.Fatal(err)
			}
			got := rc.read(t)
			if got.Header.OpCode != ws.OpClose {
				t.Fatalf("got %v, want a close frame", got.Header.OpCode)
			}
			if code, _ := ws.ParseCloseFrameData(got.Payload); code != tc.want {
				t.Fatalf("closed with %d, want %d", code, tc.want)
			}
		})
	}
}

// TestClientClose: a client's close is answered with its code.
func TestClientClose(t *testing.T) {
	srv := servertest.New(t, servertest.Options{})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, _, err := websocket.Dial(ctx, srv.Addrs.URL, &websocket.DialOptions{Subprotocols: []string{wire.Subprotocol}})
	if err != nil {
		t.Fatal(err)
	}
	// Close sends the close frame and waits for the server's.
	if err := c.Close(websocket.StatusGoingAway, "bye"); err != nil && !errors.Is(err, net.ErrClosed) {
		t.Fatalf("close handshake: %v", err)
	}
}

// rawConn is a client that writes and reads frames by hand.
type rawConn struct {
	nc net.Conn
	br *bufio.Reader
}

func dialRaw(t *testing.T, url string, early []byte) *rawConn {
	t.Helper()
	host := strings.TrimSuffix(strings.TrimPrefix(url, "ws://"), wire.Path)
	nc, err := net.DialTimeout("tcp", host, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nc.Close() })
	nc.SetDeadline(time.Now().Add(10 * time.Second))
	req := "GET " + wire.Path + " HTTP/1.1\r\nHost: " + host + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: " + wire.Subprotocol + "\r\n\r\n"
	if _, err := nc.Write(append([]byte(req), early...)); err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(nc)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusSwitchingProtocols || resp.Header.Get("Sec-WebSocket-Accept") != "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=" ||
		resp.Header.Get("Sec-WebSocket-Protocol") != wire.Subprotocol {
		t.Fatalf("upgrade answered %s %v", resp.Status, resp.Header)
	}
	return &rawConn{nc: nc, br: br}
}

func (c *rawConn) write(t *testing.T, op ws.OpCode, fin bool, p []byte) {
	t.Helper()
	if err := ws.WriteFrame(c.nc, ws.MaskFrame(ws.NewFrame(op, fin, p))); err != nil {
		t.Fatal(err)
	}
}

func (c *rawConn) read(t *testing.T) ws.Frame {
	t.Helper()
	h, err := ws.ReadHeader(c.br)
	if err != nil {
		t.Fatalf("reading a frame: %v", err)
	}
	p := make([]byte, h.Length)
	if _, err := io.ReadFull(c.br, p); err != nil {
		t.Fatalf("reading a frame: %v", err)
	}
	return ws.Frame{Header: h, Payload: p}
}
