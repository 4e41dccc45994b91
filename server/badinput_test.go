package server_test

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/dialtone/dialtone/call/wire"
	"github.com/dialtone/dialtone/server"
	"github.com/dialtone/dialtone/server/servertest"
)

func TestBadInputGetsErrors(t *testing.T) {
	srv := servertest.New(t, servertest.Options{})
	c := servertest.Register(t, srv.Addrs.URL, alice)
	cases := []struct {
		name string
		raw  string
		code wire.Code
	}{
		{"not json", `hello there`, wire.CodeBadMessage},
		{"truncated", `{"v":1,"type":"dial","seq":5,"to":"+1555`, wire.CodeBadMessage},
		{"wrong type", `{"v":1,"type":"dial","seq":6,"to":15550100002}`, wire.CodeBadMessage},
		{"unknown message", `{"v":1,"type":"teleport","seq":7}`, wire.CodeUnknownType},
		{"server message from a client", `{"v":1,"type":"accepted","seq":8,"call":"x","local_lease":"a","remote_lease":"b"}`, wire.CodeUnknownType},
		{"old version", `{"v":0,"type":"ping","seq":9}`, wire.CodeVersion},
		{"letters in a number", `{"v":1,"type":"dial","seq":10,"to":"+1555CALLME1"}`, wire.CodeBadNumber},
		{"a call that is not yours", `{"v":1,"type":"hangup","seq":11,"call":"nosuchcall"}`, wire.CodeUnknownCall},
		{"hello twice", `{"v":1,"type":"hello","seq":12,"number":"+15550100001","key":"` + strings.Repeat("A", 43) + `="}`, wire.CodeWrongState},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if err := c.SendRaw([]byte(tc.raw)); err != nil {
				t.Fatal(err)
			}
			m := c.Expect(wire.TypeError, "")
			if m.Code != tc.code {
				t.Fatalf("got %s (%s), want %s", m.Code, m.Message, tc.code)
			}
		})
	}
	// The connection is still good for real work.
	seq := c.Send(&wire.Message{Type: wire.TypePing})
	if m := c.ExpectReply(seq); m.Type != wire.TypePong {
		t.Fatalf("after bad input: %s", m.Type)
	}
	if got := srv.Switchboard().Stats().Registrations; got != 1 {
		t.Fatalf("registrations = %d", got)
	}
}

func TestBadInputClosesConnection(t *testing.T) {
	srv := servertest.New(t, servertest.Options{})
	t.Run("binary frame", func(t *testing.T) {
		c := servertest.Register(t, srv.Addrs.URL, alice)
		_ = c.SendBinary([]byte{0, 1, 2})
		if err := c.WaitClosed(); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("too large", func(t *testing.T) {
		c := servertest.Register(t, srv.Addrs.URL, bob)
		_ = c.SendRaw(bytes.Repeat([]byte("x"), wire.MaxMessage+1))
		if err := c.WaitClosed(); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("too many bad messages", func(t *testing.T) {
		c := servertest.Dial(t, srv.Addrs.URL)
		for range 100 {
			if c.SendRaw([]byte("{")) != nil {
				break
			}
		}
		if err := c.WaitClosed(); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("no subprotocol", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), servertest.Wait)
		defer cancel()
		ws, _, err := websocket.Dial(ctx, srv.Addrs.URL, nil)
		if err != nil {
			return // refused at the handshake: fine
		}
		defer ws.CloseNow()
		if _, _, err := ws.Read(ctx); websocket.CloseStatus(err) != websocket.StatusPolicyViolation {
			t.Fatalf("read = %v, want a policy-violation close", err)
		}
	})
}

func TestRateLimit(t *testing.T) {
	srv := servertest.New(t, servertest.Options{})
	c := servertest.Register(t, srv.Addrs.URL, alice)
	other := servertest.Register(t, srv.Addrs.URL, bob)
	// A burst far past the limit is answered with rate-limited errors …
	for range 1000 {
		if c.SendRaw([]byte(`{"v":1,"type":"ping"}`)) != nil {
			break
		}
	}
	if m := c.Expect(wire.TypeError, ""); m.Code != wire.CodeRateLimited {
		t.Fatalf("got %s", m.Code)
	}
	// … and the flooder is cut off, while its neighbour is served as before.
	if err := c.WaitClosed(); err != nil {
		t.Fatal(err)
	}
	seq := other.Send(&wire.Message{Type: wire.TypePing})
	if m := other.ExpectReply(seq); m.Type != wire.TypePong {
		t.Fatalf("neighbour got %s", m.Type)
	}
}

func TestConnectionLimits(t *testing.T) {
	cfg := servertest.Config(t, servertest.Options{})
	srv := servertest.Start(t, cfg)
	t.Run("handshake timeout", func(t *testing.T) {
		// A server whose handshake timeout is short closes a silent client.
		short := servertest.Start(t, withSignaling(servertest.Config(t, servertest.Options{}), 200*time.Millisecond, 0))
		c := servertest.Dial(t, short.Addrs.URL)
		if err := c.WaitClosed(); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("registered within the handshake timeout", func(t *testing.T) {
		// A client that registered and then keeps quiet until its first
		// keepalive is not held to the handshake deadline: its idle clock
		// runs from its last message.
		const handshake = 300 * time.Millisecond
		short := servertest.Start(t, withSignaling(servertest.Config(t, servertest.Options{}), handshake, 0))
		c := servertest.Register(t, short.Addrs.URL, alice)
		// The deadline under test passing, not a wait for an event.
		time.Sleep(2 * handshake)
		seq := c.Send(&wire.Message{Type: wire.TypePing})
		if m, err := c.NextErr(func(m *wire.Message) bool { return m.Re == seq || m.Type == wire.TypeError }); err != nil || m.Type != wire.TypePong {
			t.Fatalf("a registered client's ping after the handshake deadline: %v %v", describeMsg(m), err)
		}
	})
	t.Run("per address", func(t *testing.T) {
		limited := servertest.Start(t, withSignaling(servertest.Config(t, servertest.Options{}), 0, 3))
		var open []*servertest.Client
		for range 3 {
			open = append(open, servertest.Dial(t, limited.Addrs.URL))
		}
		if _, err := servertest.DialErr(limited.Addrs.URL); err == nil {
			t.Fatal("a fourth connection from one address was accepted")
		}
		open[0].Close()
		// A slot frees once the server notices the close.
		deadline := time.Now().Add(servertest.Wait)
		for {
			c, err := servertest.DialErr(limited.Addrs.URL)
			if err == nil {
				c.Close()
				break
			}
			if time.Now().After(deadline) {
				t.Fatal("the freed slot never came back")
			}
			time.Sleep(10 * time.Millisecond) // polling the server for the slot, bounded by deadline
		}
	})
	_ = srv
}

func withSignaling(cfg server.Config, handshake time.Duration, perIP int) server.Config {
	cfg.HandshakeTimeout = handshake
	cfg.MaxConnsPerIP = perIP
	return cfg
}

func describeMsg(m *wire.Message) string {
	if m == nil {
		return "nothing"
	}
	return string(m.Type) + " " + m.Message
}
