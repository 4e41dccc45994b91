package servertest

import (
	"context"
	"crypto/ed25519"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/dialtone/dialtone/call/wire"
)

// Wait bounds how long a test client waits for a message before it fails
// the test; it is a ceiling for a broken server, not a pacing sleep.
var Wait = 10 * time.Second

// Client is a protocol-level test client: it sends raw wire messages and
// waits for what comes back.
type Client struct {
	t      testing.TB
	URL    string
	Number string
	Key    ed25519.PrivateKey
	ws     *websocket.Conn

	mu      sync.Mutex
	inbox   []*wire.Message
	notify  chan struct{}
	closed  error
	seq     uint64
	lastSN  uint64
	Session string

	// Link and Device go in hello: a link code, and this device's name.
	Link, Device string
}

// NewKey returns a fresh Ed25519 key.
func NewKey() ed25519.PrivateKey {
	_, k, _ := ed25519.GenerateKey(nil)
	return k
}

// Dial connects without registering.
func Dial(t testing.TB, url string) *Client {
	t.Helper()
	c, err := DialErr(url)
	if err != nil {
		t.Fatalf("dialling %s: %v", url, err)
	}
	c.t = t
	t.Cleanup(func() { c.Close() })
	return c
}

// DialErr connects without a test (for load tools).
func DialErr(url string) (*Client, error) { return dialFrom(url, netip.Addr{}) }

// DialFrom connects from the loopback source address src (any 127/8
// address on Linux), so that a test can have clients on different
// addresses.
func DialFrom(t testing.TB, url string, src netip.Addr) *Client {
	t.Helper()
	c, err := dialFrom(url, src)
	if err != nil {
		t.Fatalf("dialling %s from %s: %v", url, src, err)
	}
	c.t = t
	t.Cleanup(func() { c.Close() })
	return c
}

// RegisterFrom is Register from the source address src.
func RegisterFrom(t testing.TB, url, number string, src netip.Addr) *Client {
	t.Helper()
	c := DialFrom(t, url, src)
	c.Number, c.Key = number, NewKey()
	if m := c.Login("", ""); m.Type != wire.TypeRegistered {
		t.Fatalf("registering %s: got %s %s %s", number, m.Type, m.Code, m.Message)
	}
	return c
}

func dialFrom(url string, src netip.Addr) (*Client, error) {
	ctx, cancel := context.WithTimeout(context.Background(), Wait)
	defer cancel()
	opts := &websocket.DialOptions{Subprotocols: []string{wire.Subprotocol}}
	if src.IsValid() {
		d := &net.Dialer{LocalAddr: net.TCPAddrFromAddrPort(netip.AddrPortFrom(src, 0))}
		opts.HTTPClient = &http.Client{Transport: &http.Transport{DialContext: d.DialContext}}
	}
	ws, _, err := websocket.Dial(ctx, url, opts)
	if err != nil {
		return nil, err
	}
	ws.SetReadLimit(wire.MaxMessage)
	c := &Client{URL: url, ws: ws, notify: make(chan struct{}, 1)}
	go c.readLoop()
	return c, nil
}

// Register connects and registers number with a new key.
func Register(t testing.TB, url, number string) *Client {
	t.Helper()
	c := Dial(t, url)
	c.Number, c.Key = number, NewKey()
	if m := c.Login("", ""); m.Type != wire.TypeRegistered {
		t.Fatalf("registering %s: got %s %s %s", number, m.Type, m.Code, m.Message)
	}
	return c
}

// Login runs hello → challenge → proof with c's number and key and returns
// the server's last answer (registered or error).
func (c *Client) Login(invite, resume string) *wire.Message {
	c.t.Helper()
	m, err := c.LoginErr(invite, resume)
	if err != nil {
		c.t.Fatal(err)
	}
	return m
}

// LoginErr is Login without a test.
func (c *Client) LoginErr(invite, resume string) (*wire.Message, error) {
	pub := c.Key.Public().(ed25519.PublicKey)
	hello := &wire.Message{Type: wire.TypeHello, Number: c.Number, Key: pub, Invite: invite, Resume: resume,
		Link: c.Link, Device: c.Device}
	if resume != "" {
		hello.Last = c.LastSN()
	}
	seq := c.SendErr(hello)
	ch, err := c.NextErr(func(m *wire.Message) bool { return m.Re == seq || m.Type == wire.TypeError })
	if err != nil {
		return nil, err
	}
	if ch.Type != wire.TypeChallenge {
		return ch, nil
	}
	seq = c.SendErr(&wire.Message{Type: wire.TypeProof, Sig: ed25519.Sign(c.Key, wire.ProofMessage(c.Number, ch.Nonce))})
	m, err := c.NextErr(func(m *wire.Message) bool { return m.Re == seq || m.Type == wire.TypeError })
	if err == nil && m.Type == wire.TypeRegistered {
		c.Session = m.Session
	}
	return m, err
}

func (c *Client) readLoop() {
	for {
		_, data, err := c.ws.Read(context.Background())
		c.mu.Lock()
		if err != nil {
			c.closed = err
			c.mu.Unlock()
			c.wake()
			return
		}
		m, derr := wire.Decode(data)
		if derr != nil {
			m = &wire.Message{Type: "undecodable", Message: derr.Error() + ": " + string(data)}
		}
		c.inbox = append(c.inbox, m)
		c.lastSN = max(c.lastSN, m.SN)
		c.mu.Unlock()
		c.wake()
	}
}

func (c *Client) wake() {
	select {
	case c.notify <- struct{}{}:
	default:
	}
}

// Send sends m with the next sequence number and returns it.
func (c *Client) Send(m *wire.Message) uint64 {
	c.t.Helper()
	return c.SendErr(m)
}

// SendErr sends m; write errors show up as a closed connection later.
func (c *Client) SendErr(m *wire.Message) uint64 {
	c.mu.Lock()
	c.seq++
	if m.Seq == 0 {
		m.Seq = c.seq
	}
	c.mu.Unlock()
	b, err := wire.Encode(m)
	if err != nil {
		panic(err)
	}
	_ = c.SendRaw(b)
	return m.Seq
}

// SendRaw writes bytes as one text message.
func (c *Client) SendRaw(b []byte) error {
	ctx, cancel := context.WithTimeout(context.Background(), Wait)
	defer cancel()
	return c.ws.Write(ctx, websocket.MessageText, b)
}

// SendBinary writes bytes as one binary message.
func (c *Client) SendBinary(b []byte) error {
	ctx, cancel := context.WithTimeout(context.Background(), Wait)
	defer cancel()
	return c.ws.Write(ctx, websocket.MessageBinary, b)
}

// Next waits for the first queued-or-arriving message that match accepts,
// removes it from the inbox and returns it.
func (c *Client) Next(match func(*wire.Message) bool) *wire.Message {
	c.t.Helper()
	m, err := c.NextErr(match)
	if err != nil {
		c.t.Fatalf("%s: %v", c.Number, err)
	}
	return m
}

// NextErr is Next without a test.
func (c *Client) NextErr(match func(*wire.Message) bool) (*wire.Message, error) {
	deadline := time.NewTimer(Wait)
	defer deadline.Stop()
	for {
		c.mu.Lock()
		for i, m := range c.inbox {
			if match(m) {
				c.inbox = append(c.inbox[:i:i], c.inbox[i+1:]...)
				c.mu.Unlock()
				return m, nil
			}
		}
		closed := c.closed
		pending := describe(c.inbox)
		c.mu.Unlock()
		if closed != nil {
			return nil, fmt.Errorf("connection closed (%w) while waiting; unmatched: %s", closed, pending)
		}
		select {
		case <-c.notify:
		case <-deadline.C:
			return nil, fmt.Errorf("nothing matched within %v; unmatched: %s", Wait, pending)
		}
	}
}

// Expect waits for a message of type typ (about call, when call is set).
func (c *Client) Expect(typ wire.Type, call wire.CallID) *wire.Message {
	c.t.Helper()
	return c.Next(func(m *wire.Message) bool { return m.Type == typ && (call == "" || m.Call == call) })
}

// ExpectErr is Expect without a test.
func (c *Client) ExpectErr(typ wire.Type, call wire.CallID) (*wire.Message, error) {
	return c.NextErr(func(m *wire.Message) bool { return m.Type == typ && (call == "" || m.Call == call) })
}

// ExpectReply waits for the answer to request seq.
func (c *Client) ExpectReply(seq uint64) *wire.Message {
	c.t.Helper()
	return c.Next(func(m *wire.Message) bool { return m.Re == seq })
}

// WaitClosed waits until the server closes the connection.
func (c *Client) WaitClosed() error {
	_, err := c.NextErr(func(*wire.Message) bool { return false })
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed == nil {
		return fmt.Errorf("still open: %v", err)
	}
	return nil
}

// Drain returns and clears the messages not yet consumed.
func (c *Client) Drain() []*wire.Message {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := c.inbox
	c.inbox = nil
	return out
}

// LastSN is the highest session sequence number received.
func (c *Client) LastSN() uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.lastSN
}

// SetLastSN carries a dropped client's position over to its new connection.
func (c *Client) SetLastSN(sn uint64) {
	c.mu.Lock()
	c.lastSN = sn
	c.mu.Unlock()
}

// Close drops the connection without a goodbye, as a crash would.
func (c *Client) Close() { c.ws.CloseNow() }

func describe(ms []*wire.Message) string {
	if len(ms) == 0 {
		return "none"
	}
	s := ""
	for _, m := range ms {
		s += fmt.Sprintf("[%s call=%s re=%d code=%s reason=%s] ", m.Type, m.Call, m.Re, m.Code, m.Reason)
	}
	return s
}
