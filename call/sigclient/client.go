package sigclient

import (
	"context"
	"crypto/ed25519"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"

	"github.com/dialtone/dialtone/call/wire"
)

// Local notices the Client puts on Messages among the server's messages.
// They carry no sn and never come from the server.
const (
	// TypeConnected: a WebSocket is open; registration follows.
	TypeConnected wire.Type = "connected"
	// TypeDisconnected: a registered connection dropped (Message says why);
	// the Client is reconnecting and will resume.
	TypeDisconnected wire.Type = "disconnected"
	// TypeRetrying: an attempt to reach and register with the server
	// failed; Message says why in words (see Reason) and NextAttempt when
	// the Client tries again, after its backoff.
	TypeRetrying wire.Type = "retrying"
	// TypeLinkSigned: this device signed the certificate of a device that
	// came with its link code (LinkCode); Device names it. The server's
	// link-request itself is not delivered.
	TypeLinkSigned wire.Type = "link-signed"
)

// MaxQueued bounds the client messages waiting for a connection.
const MaxQueued = 1024

// Config describes a Client. Zero values take the documented defaults.
type Config struct {
	// URL is the server's signalling endpoint, ws://host:port/v1 or wss://…,
	// or host:port; see ParseURL. A URL without a path gets wire.Path.
	// Required.
	URL string
	// Number is the E.164 number to register. Required.
	Number string
	// Key proves ownership of Number. Required.
	Key ed25519.PrivateKey
	// Invite is a one-time code for a server that registers by invitation.
	Invite string
	// Link is a one-time link code from another device of Number: with it
	// this key joins the number's devices at the first registration.
	Link string
	// Device names this device among the number's; the server picks one
	// if it is empty.
	Device string
	// ClientName goes in hello, for the server's logs; default "dialtone".
	ClientName string
	// MinBackoff and MaxBackoff bound the wait between reconnection
	// attempts, which doubles from min to max with ±25% jitter; defaults
	// 100ms and 5s.
	MinBackoff, MaxBackoff time.Duration
	// Patience is how long Run keeps trying to reach and register with the
	// server, since it started or last registered, before it gives up and
	// returns the last error; 0 means for ever, as a phone does.
	Patience time.Duration
	// DialTimeout bounds connecting and registering; default 10s.
	DialTimeout time.Duration
	// Keepalive overrides the ping interval the server asks for
	// (keepalive_s); 0 takes the server's, or 10s if it names none. A
	// connection that hears nothing for two intervals and a second is
	// presumed dead and replaced.
	Keepalive time.Duration
	// TLS configures wss:// connections; nil uses the system roots.
	TLS *tls.Config
	// Logger; default slog.Default().
	Logger *slog.Logger
}

func (c *Config) validate() error {
	switch {
	case c.URL == "":
		return errors.New("sigclient: URL is required")
	case c.Number == "":
		return errors.New("sigclient: Number is required")
	case len(c.Key) != ed25519.PrivateKeySize:
		return errors.New("sigclient: Key must be an Ed25519 private key")
	}
	u, err := ParseURL(c.URL)
	if err != nil {
		return fmt.Errorf("sigclient: %w", err)
	}
	c.URL = u
	if c.ClientName == "" {
		c.ClientName = "dialtone"
	}
	if c.MinBackoff <= 0 {
		c.MinBackoff = 100 * time.Millisecond
	}
	if c.MaxBackoff < c.MinBackoff {
		c.MaxBackoff = max(5*time.Second, c.MinBackoff)
	}
	if c.DialTimeout <= 0 {
		c.DialTimeout = 10 * time.Second
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	return nil
}

// Client is one number's signalling connection, kept alive across drops.
// Send, Request, Messages and Close may be used from any goroutine.
type Client struct {
	cfg  Config
	log  *slog.Logger
	seq  atomic.Uint64
	msgs chan *wire.Message
	in   queue[*wire.Message]
	wake chan struct{} // the send queue grew
	bye  chan struct{} // closed by Close

	mu        sync.Mutex
	outq      [][]byte
	waiters   map[uint64]chan *wire.Message
	pings     map[uint64]bool // keepalive pings whose pongs are ours
	conn      *websocket.Conn
	closed    bool
	started   bool
	cancelRun context.CancelFunc
	done      chan struct{}
	retryAt   time.Time // the next attempt, while the server cannot be reached

	// Owned by Run (and, in turn, the reader it starts).
	token     string
	lastSN    uint64
	keepalive time.Duration
	linked    bool // registered once: the link code is spent

	link   linkOffer         // the link code this device made, under mu
	onLink func(name string) // under mu
}

// New checks cfg and returns a Client; Run connects it.
func New(cfg Config) (*Client, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	return &Client{
		cfg: cfg, log: cfg.Logger.With("number", cfg.Number),
		msgs: make(chan *wire.Message), wake: make(chan struct{}, 1), bye: make(chan struct{}),
		waiters: map[uint64]chan *wire.Message{}, pings: map[uint64]bool{},
		done: make(chan struct{}),
	}, nil
}

// Messages delivers the server's messages, replies included, in order and
// each once, and the local notices TypeConnected and TypeDisconnected. It is
// closed when Run returns.
func (c *Client) Messages() <-chan *wire.Message { return c.msgs }

// NextAttempt is when the Client next tries to reach the server, after a
// failed attempt (TypeRetrying); zero before any failure.
func (c *Client) NextAttempt() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.retryAt
}

// Done is closed when Run has returned.
func (c *Client) Done() <-chan struct{} { return c.done }

// Send queues m for the server, numbering it (m.Seq) if it is not yet, and
// returns the number. While the connection is down, messages wait (up to
// MaxQueued) and go out after the next registration.
func (c *Client) Send(m *wire.Message) (uint64, error) {
	if m.Seq == 0 {
		m.Seq = c.seq.Add(1)
	}
	b, err := wire.Encode(m)
	if err != nil {
		return 0, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return 0, ErrClosed
	}
	if len(c.outq) >= MaxQueued {
		return 0, fmt.Errorf("sending %s: %d messages already wait for the server", m.Type, MaxQueued)
	}
	c.outq = append(c.outq, b)
	select {
	case c.wake <- struct{}{}:
	default:
	}
	return m.Seq, nil
}

// Request sends m and waits for the server's reply to it (re == seq). An
// error reply comes back as the message and a *ServerError. The reply is
// also delivered on Messages, like every other.
func (c *Client) Request(ctx context.Context, m *wire.Message) (*wire.Message, error) {
	if m.Seq == 0 {
		m.Seq = c.seq.Add(1)
	}
	ch := make(chan *wire.Message, 1)
	c.mu.Lock()
	c.waiters[m.Seq] = ch
	c.mu.Unlock()
	defer func() {
		c.mu.Lock()
		delete(c.waiters, m.Seq)
		c.mu.Unlock()
	}()
	if _, err := c.Send(m); err != nil {
		return nil, err
	}
	select {
	case r := <-ch:
		if r.Type == wire.TypeError {
			return r, &ServerError{Code: r.Code, Message: r.Message}
		}
		return r, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-c.done:
		return nil, ErrClosed
	}
}

// Close sends what is queued and then bye to the server (which ends this
// number's calls at once, without a grace period), closes the connection and
// waits for Run to return. It may be called more than once.
func (c *Client) Close() error {
	c.mu.Lock()
	if !c.closed {
		c.closed = true
		close(c.bye)
	}
	connected, cancel, started := c.conn != nil, c.cancelRun, c.started
	c.mu.Unlock()
	if !started {
		return nil
	}
	if !connected {
		cancel() // nobody to say bye to
	}
	t := time.NewTimer(2 * time.Second)
	defer t.Stop()
	select {
	case <-c.done:
	case <-t.C:
		cancel()
		<-c.done
	}
	return nil
}

// Run connects, registers, and keeps the connection, reconnecting with
// backoff and resuming the session after a drop. It returns nil after
// Close, ctx's error when ctx ends, a *RejectedError when the server refuses
// the registration for good, or the last error once Patience runs out.
func (c *Client) Run(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	c.mu.Lock()
	if c.started {
		c.mu.Unlock()
		return errors.New("sigclient: Run called twice")
	}
	c.started, c.cancelRun = true, cancel
	closed := c.closed
	c.mu.Unlock()

	var pumpDone sync.WaitGroup
	pumpDone.Add(1)
	go func() { defer pumpDone.Done(); c.pump(ctx) }()
	defer func() {
		cancel()
		pumpDone.Wait()
		c.mu.Lock()
		c.closed = true
		c.mu.Unlock()
		close(c.msgs)
		close(c.done)
	}()
	if closed {
		return nil
	}

	backoff := c.cfg.MinBackoff
	lastGood := time.Now()
	for {
		registered, err := c.connect(ctx)
		if c.isClosed() {
			return nil
		}
		if ctx.Err() != nil {
			if c.isClosed() {
				return nil
			}
			return ctx.Err()
		}
		if errors.Is(err, ErrReplaced) {
			c.log.Warn("this device connected again elsewhere; not reconnecting", "err", err)
			return err
		}
		if errors.Is(err, ErrRejected) {
			c.log.Error("registration rejected", "err", err)
			return err
		}
		if registered {
			backoff, lastGood = c.cfg.MinBackoff, time.Now()
			c.log.Warn("signalling connection lost; reconnecting", "err", err)
			c.in.push(&wire.Message{Type: TypeDisconnected, Message: errString(err)})
		}
		if c.cfg.Patience > 0 && time.Since(lastGood) > c.cfg.Patience {
			return fmt.Errorf("reaching the server at %s: %w", c.cfg.URL, err)
		}
		delay := jitter(backoff)
		if !registered {
			c.log.Warn("reaching the server", "url", c.cfg.URL, "err", err, "retry_in", delay)
			c.mu.Lock()
			c.retryAt = time.Now().Add(delay)
			c.mu.Unlock()
			c.in.push(&wire.Message{Type: TypeRetrying, Message: Reason(err)})
		}
		wait := time.NewTimer(delay)
		select {
		case <-wait.C:
		case <-c.bye:
			wait.Stop()
			return nil
		case <-ctx.Done():
			wait.Stop()
			if c.isClosed() {
				return nil
			}
			return ctx.Err()
		}
		backoff = min(2*backoff, c.cfg.MaxBackoff)
	}
}

func (c *Client) isClosed() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.closed
}

// jitter spreads d by ±25%, so clients dropped together do not return
// together.
func jitter(d time.Duration) time.Duration {
	return d*3/4 + time.Duration(rand.Int64N(int64(d)/2+1))
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// connect runs one connection: dial, register, then serve until it drops.
// registered says whether it got as far as registering.
func (c *Client) connect(ctx context.Context) (registered bool, err error) {
	dctx, dcancel := context.WithTimeout(ctx, c.cfg.DialTimeout)
	defer dcancel()
	opts := &websocket.DialOptions{Subprotocols: []string{wire.Subprotocol}}
	if c.cfg.TLS != nil {
		opts.HTTPClient = &http.Client{Transport: &http.Transport{TLSClientConfig: c.cfg.TLS}}
	}
	ws, _, err := websocket.Dial(dctx, c.cfg.URL, opts)
	if err != nil {
		return false, fmt.Errorf("connecting to %s: %w", c.cfg.URL, err)
	}
	defer ws.CloseNow()
	if ws.Subprotocol() != wire.Subprotocol {
		return false, fmt.Errorf("connecting to %s: the server does not speak %s", c.cfg.URL, wire.Subprotocol)
	}
	ws.SetReadLimit(wire.MaxMessage)
	c.in.push(&wire.Message{Type: TypeConnected})
	reg, err := c.register(dctx, ws)
	if err != nil {
		return false, err
	}
	dcancel()

	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return true, ErrClosed
	}
	c.conn = ws
	c.mu.Unlock()
	defer func() {
		c.mu.Lock()
		c.conn = nil
		c.mu.Unlock()
	}()
	c.deliver(reg)

	cctx, ccancel := context.WithCancel(ctx)
	defer ccancel()
	errc := make(chan error, 2)
	go func() { errc <- c.readLoop(cctx, ws) }()
	go func() { errc <- c.writeLoop(cctx, ws) }()
	err = <-errc
	ccancel()
	ws.CloseNow()
	<-errc
	return true, err
}

// register runs hello → challenge → proof → registered on a fresh
// connection, resuming the session if there is one.
func (c *Client) register(ctx context.Context, ws *websocket.Conn) (*wire.Message, error) {
	hello := &wire.Message{Type: wire.TypeHello, Seq: c.seq.Add(1), Number: c.cfg.Number,
		Key: c.cfg.Key.Public().(ed25519.PublicKey), Invite: c.cfg.Invite, Client: c.cfg.ClientName, Device: c.cfg.Device}
	if !c.linked {
		hello.Link = c.cfg.Link
	}
	if c.token != "" {
		hello.Resume, hello.Last = c.token, c.lastSN
	}
	if err := writeMsg(ctx, ws, hello); err != nil {
		return nil, fmt.Errorf("registering: %w", err)
	}
	ch, err := readMsg(ctx, ws)
	if err != nil {
		return nil, fmt.Errorf("registering: %w", err)
	}
	if ch.Type != wire.TypeChallenge {
		return nil, registrationError(ch)
	}
	sig := ed25519.Sign(c.cfg.Key, wire.ProofMessage(c.cfg.Number, ch.Nonce))
	if err := writeMsg(ctx, ws, &wire.Message{Type: wire.TypeProof, Seq: c.seq.Add(1), Sig: sig}); err != nil {
		return nil, fmt.Errorf("registering: %w", err)
	}
	reg, err := readMsg(ctx, ws)
	if err != nil {
		return nil, fmt.Errorf("registering: %w", err)
	}
	if reg.Type != wire.TypeRegistered {
		return nil, registrationError(reg)
	}
	if !reg.Resumed {
		// A new session numbers its messages from 1 again.
		c.lastSN = 0
	}
	c.token = reg.Session
	c.linked = true
	c.keepalive = c.cfg.Keepalive
	if c.keepalive <= 0 {
		c.keepalive = time.Duration(reg.KeepaliveS) * time.Second
	}
	if c.keepalive <= 0 {
		c.keepalive = 10 * time.Second
	}
	c.log.Info("registered", "resumed", reg.Resumed, "calls", len(reg.Calls))
	return reg, nil
}

func registrationError(m *wire.Message) error {
	if m.Type != wire.TypeError {
		return fmt.Errorf("registering: the server answered %s", m.Type)
	}
	se := ServerError{Code: m.Code, Message: m.Message}
	if fatalCodes[m.Code] {
		return &RejectedError{se}
	}
	return fmt.Errorf("registering: %w", &se)
}

func writeMsg(ctx context.Context, ws *websocket.Conn, m *wire.Message) error {
	b, err := wire.Encode(m)
	if err != nil {
		return err
	}
	return ws.Write(ctx, websocket.MessageText, b)
}

func readMsg(ctx context.Context, ws *websocket.Conn) (*wire.Message, error) {
	for {
		typ, data, err := ws.Read(ctx)
		if err != nil {
			return nil, err
		}
		if typ != websocket.MessageText {
			continue
		}
		return wire.Decode(data)
	}
}
