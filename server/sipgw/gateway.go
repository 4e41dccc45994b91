package sipgw

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"

	"github.com/dialtone/dialtone/call/number"
	"github.com/dialtone/dialtone/server/switchboard"
)

// Gateway is the SIP registrar.
type Gateway struct {
	cfg     Config
	nonces  *nonces
	sources *sources
	regs    bindings
	dummy   string         // password of numbers without credentials; never told
	trunks  []netip.Prefix // where calls from trunks may come from
	stats   counters

	calls         callTable
	client        atomic.Pointer[sipgo.Client] // while serving
	dialogs       *sipgo.DialogServerCache
	clientDialogs *sipgo.DialogClientCache
	contact       sip.Uri // the gateway's own address, for Contact headers

	mu     sync.Mutex
	closed bool
	quit   chan struct{}
	wg     sync.WaitGroup // calls
}

type counters struct {
	registers, challenges, authFailures, notFound atomic.Uint64
	malformed, tooLarge, rateLimited              atomic.Uint64
	callsIn, callsOut, answered, notAcceptable    atomic.Uint64
	trunkIn, trunkOut                             atomic.Uint64
	rtpFromSIP, rtpToSIP, rtpDropped, keyFrames   atomic.Uint64
	transcoded                                    atomic.Uint64
	delayedOffers, delayedFailed                  atomic.Uint64
	rtcpToSIP, rtcpFromSIP                        atomic.Uint64
}

// Stats are the gateway's counters and gauges.
type Stats struct {
	Registrations                                 int // live bindings
	Nonces                                        int // live challenges
	Registers, Challenges, AuthFailures, NotFound uint64
	Malformed, TooLarge, RateLimited              uint64
	// Calls: INVITEs from SIP phones that reached the switchboard, INVITEs
	// to them, calls answered, and offers refused 488 (no Opus, G.711 or
	// VP8).
	CallsIn, CallsOut, Answered, NotAcceptable uint64
	// TrunkIn and TrunkOut: INVITEs from trunks' addresses, and calls sent
	// to trunks by --sip-route.
	TrunkIn, TrunkOut uint64
	// Bridged: live calls with media; RTP packets passed each way, dropped
	// (a stranger's, past the latch window, unknown payload type), and
	// key-frame requests passed on.
	Bridged                                     int
	RTPFromSIP, RTPToSIP, RTPDropped, KeyFrames uint64
	// Transcoded: calls whose SIP side's audio was G.711, transcoded to
	// and from Opus.
	Transcoded uint64
	// DelayedOffers: INVITEs without SDP, offered to in the 200;
	// DelayedFailed: of those, calls ended with a BYE because the ACK
	// had no answer the gateway could use.
	DelayedOffers, DelayedFailed uint64
	// RTCPToSIP: compound reports (SR or RR, SDES) the gateway sent
	// phones; RTCPFromSIP: SRs and RRs it took from them.
	RTCPToSIP, RTCPFromSIP uint64
}

// New builds a gateway.
func New(cfg Config) (*Gateway, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	r := cfg.Rand
	if r == nil {
		r = rand.Reader
	}
	d := make([]byte, 16)
	if _, err := io.ReadFull(r, d); err != nil {
		return nil, fmt.Errorf("sipgw: seeding: %w", err)
	}
	ns, err := newNonces(cfg.MaxNonces, cfg.NonceTTL, r)
	if err != nil {
		return nil, fmt.Errorf("sipgw: %w", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	trunks, err := trunkPrefixes(ctx, cfg.LookupHost, cfg.Routes, cfg.TrunkAllow)
	if err != nil {
		return nil, fmt.Errorf("sipgw: %w", err)
	}
	return &Gateway{
		trunks:  trunks,
		cfg:     cfg,
		nonces:  ns,
		sources: newSources(cfg.Rate, cfg.Burst, cfg.MaxSources),
		regs:    bindings{m: make(map[string]map[string]Registration)},
		dummy:   hex.EncodeToString(d),
		quit:    make(chan struct{}),
	}, nil
}

// Serve answers SIP on pc (UDP) and ln (TCP), either of which may be nil,
// and on Config.TLSListener, until ctx ends; it closes them.
func (g *Gateway) Serve(ctx context.Context, pc net.PacketConn, ln net.Listener) error {
	stackLog := slog.New(quiet{g.cfg.Logger.Handler()})
	parser := sip.NewParser()
	parser.MaxMessageLength = g.cfg.MaxMessage
	ua, err := sipgo.NewUA(
		sipgo.WithUserAgent(g.cfg.Hostname),
		sipgo.WithUserAgentHostname(g.cfg.Hostname),
		sipgo.WithUserAgentParser(parser),
		sipgo.WithUserAgentTransportLayerOptions(sip.WithTransportLayerReadFilter(g.readFilter(pc, sip.NewParser())),
			sip.WithTransportLayerLogger(stackLog)),
		sipgo.WithUserAgentTransactionLayerOptions(sip.WithTransactionLayerLogger(stackLog)),
	)
	if err != nil {
		return fmt.Errorf("starting the SIP stack: %w", err)
	}
	srv, err := sipgo.NewServer(ua, sipgo.WithServerLogger(stackLog))
	if err != nil {
		ua.Close()
		return fmt.Errorf("starting the SIP server: %w", err)
	}
	g.contact = g.contactURI(pc, ln)
	client, err := sipgo.NewClient(ua, g.clientOptions(stackLog)...)
	if err != nil {
		ua.Close()
		return fmt.Errorf("starting the SIP client: %w", err)
	}
	contact := sip.ContactHeader{Address: g.contact}
	g.dialogs = sipgo.NewDialogServerCache(client, contact)
	g.clientDialogs = sipgo.NewDialogClientCache(client, contact)
	g.client.Store(client)
	srv.OnRegister(g.onRegister)
	srv.OnOptions(g.onOptions)
	srv.OnInvite(g.onInvite)
	srv.OnAck(g.onAck)
	srv.OnBye(g.onBye)
	srv.OnCancel(g.onCancel)
	srv.OnInfo(g.onInfo)
	srv.OnNoRoute(g.onOther)

	var wg sync.WaitGroup
	errs := make(chan error, 3)
	serve := func(f func() error) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := f(); err != nil && ctx.Err() == nil && !errors.Is(err, net.ErrClosed) {
				errs <- err
			}
		}()
	}
	if pc != nil {
		serve(func() error { return srv.ServeUDP(pc) })
	}
	if ln != nil {
		serve(func() error { return srv.ServeTCP(ln) })
	}
	if tl := g.cfg.TLSListener; tl != nil {
		serve(func() error { return srv.ServeTLS(tl) })
	}
	var runErr error
	select {
	case <-ctx.Done():
	case runErr = <-errs:
	}
	g.client.Store(nil)
	g.mu.Lock()
	g.closed = true
	g.mu.Unlock()
	close(g.quit)
	g.wg.Wait() // calls hang up while the stack still runs
	if pc != nil {
		pc.Close()
	}
	if ln != nil {
		ln.Close()
	}
	if g.cfg.TLSListener != nil {
		g.cfg.TLSListener.Close()
	}
	client.Close()
	ua.Close()
	wg.Wait()
	if runErr != nil {
		return fmt.Errorf("serving SIP: %w", runErr)
	}
	return nil
}

// readFilter runs on every read before parsing: the per-source rate for
// both transports, and for UDP the size, header and shape checks, answering
// a bad request itself since the stack would drop it silently.
func (g *Gateway) readFilter(pc net.PacketConn, p *sip.Parser) sip.TransportReadFilter {
	return func(info sip.TransportReadProps, data []byte) ([]byte, error) {
		n := 1 // a datagram is one message
		if info.Transport != "UDP" {
			// The stack parses every message of a read.
			n = messages(data)
		}
		if !g.sources.allow(addrOf(info.RemoteAddr), n, g.cfg.Now()) {
			g.stats.rateLimited.Add(1)
			if info.Transport != "UDP" {
				// A stream cannot drop a read and stay framed.
				return nil, errors.New("rate limit exceeded")
			}
			return nil, nil
		}
		if info.Transport != "UDP" || pc == nil {
			return data, nil
		}
		prob, res := inspect(p, data, g.cfg.MaxMessage, g.cfg.MaxHeaders)
		switch prob {
		case fine, keepAlive:
			return data, nil
		case tooLarge:
			g.stats.tooLarge.Add(1)
		default:
			g.stats.malformed.Add(1)
		}
		if res != nil {
			if _, err := pc.WriteTo(res, info.RemoteAddr); err != nil {
				g.cfg.Logger.Debug("answering a bad SIP request", "err", err)
			}
		}
		return nil, nil
	}
}

// precheck applies the bounds the UDP filter applies to messages that came
// over a stream, returning the error response or nil.
func (g *Gateway) precheck(req *sip.Request) *sip.Response {
	if len(req.Headers()) > g.cfg.MaxHeaders {
		g.stats.malformed.Add(1)
		return sip.NewResponseFromRequest(req, sip.StatusBadRequest, "Too Many Headers", nil)
	}
	if req.To() == nil || req.From() == nil || req.CallID() == nil {
		g.stats.malformed.Add(1)
		return sip.NewResponseFromRequest(req, sip.StatusBadRequest, "Bad Request", nil)
	}
	return nil
}

func (g *Gateway) respond(tx sip.ServerTransaction, res *sip.Response) {
	if err := tx.Respond(res); err != nil {
		g.cfg.Logger.Debug("sending a SIP response", "err", err)
	}
}

func (g *Gateway) onOptions(req *sip.Request, tx sip.ServerTransaction) {
	res := sip.NewResponseFromRequest(req, sip.StatusOK, "OK", nil)
	res.AppendHeader(sip.NewHeader("Allow", allow))
	g.respond(tx, res)
}

const allow = "REGISTER, OPTIONS, INVITE, ACK, BYE, CANCEL, INFO"

// onInvite authenticates the caller as one of our numbers, looks the
// callee up, and bridges the call to it through the switchboard.
func (g *Gateway) onInvite(req *sip.Request, tx sip.ServerTransaction) {
	if res := g.precheck(req); res != nil {
		g.respond(tx, res)
		return
	}
	if g.inDialog(req, tx) {
		return
	}
	from, err := number.Parse(req.From().Address.User, "")
	if err != nil || from.IsService() {
		// Only our numbers' devices and trunks may call, and a caller
		// must have a number.
		g.respond(tx, sip.NewResponseFromRequest(req, sip.StatusForbidden, "Forbidden", nil))
		return
	}
	via := switchboard.ViaSIP
	if g.fromTrunk(req) {
		// A trunk's call needs no digest; the callee must be ours, so
		// that no call runs between two foreign parties.
		via = switchboard.ViaTrunk
		g.stats.trunkIn.Add(1)
	} else if !g.authenticate(req, tx, string(from), g.cfg.Now()) {
		return
	}
	to, err := number.Parse(req.Recipient.User, "")
	if err != nil || !g.known(string(to)) {
		g.stats.notFound.Add(1)
		g.respond(tx, sip.NewResponseFromRequest(req, sip.StatusNotFound, "Not Found", nil))
		return
	}
	if g.cfg.Switchboard == nil {
		g.respond(tx, sip.NewResponseFromRequest(req, sip.StatusTemporarilyUnavailable, "No Calls Here", nil))
		return
	}
	g.mu.Lock()
	if g.closed {
		g.mu.Unlock()
		g.respond(tx, sip.NewResponseFromRequest(req, sip.StatusServiceUnavailable, "Shutting Down", nil))
		return
	}
	g.wg.Add(1)
	g.mu.Unlock()
	defer g.wg.Done()
	g.inboundCall(req, tx, string(from), string(to), via)
}

func (g *Gateway) onOther(req *sip.Request, tx sip.ServerTransaction) {
	if req.IsAck() {
		return
	}
	res := sip.NewResponseFromRequest(req, sip.StatusMethodNotAllowed, "Method Not Allowed", nil)
	res.AppendHeader(sip.NewHeader("Allow", allow))
	g.respond(tx, res)
}

// known reports whether n is one of the server's numbers.
func (g *Gateway) known(n string) bool {
	if g.cfg.Directory != nil && g.cfg.Directory.Known(n) {
		return true
	}
	for _, r := range g.Registrations() {
		if r.Number == n {
			return true
		}
	}
	return false
}

// Registrations returns the live registrations, by number and contact.
func (g *Gateway) Registrations() []Registration { return g.regs.list(g.cfg.Now()) }

// Stats returns the gateway's counters.
func (g *Gateway) Stats() Stats {
	return Stats{
		Registrations: len(g.Registrations()), Nonces: g.nonces.len(),
		Registers: g.stats.registers.Load(), Challenges: g.stats.challenges.Load(),
		AuthFailures: g.stats.authFailures.Load(), NotFound: g.stats.notFound.Load(),
		Malformed: g.stats.malformed.Load(), TooLarge: g.stats.tooLarge.Load(), RateLimited: g.stats.rateLimited.Load(),
		CallsIn: g.stats.callsIn.Load(), CallsOut: g.stats.callsOut.Load(), Answered: g.stats.answered.Load(),
		NotAcceptable: g.stats.notAcceptable.Load(), TrunkIn: g.stats.trunkIn.Load(), TrunkOut: g.stats.trunkOut.Load(), Bridged: g.calls.bridged(),
		RTPFromSIP: g.stats.rtpFromSIP.Load(), RTPToSIP: g.stats.rtpToSIP.Load(), RTPDropped: g.stats.rtpDropped.Load(), Transcoded: g.stats.transcoded.Load(),
		KeyFrames: g.stats.keyFrames.Load(), DelayedOffers: g.stats.delayedOffers.Load(), DelayedFailed: g.stats.delayedFailed.Load(),
		RTCPToSIP: g.stats.rtcpToSIP.Load(), RTCPFromSIP: g.stats.rtcpFromSIP.Load(),
	}
}

// clientOptions: requests the gateway sends (to phones and trunks) ask for
// rport (RFC 3581), so that answers come back to the port they were sent
// from even across a NAT, and name the listener's address in Via's sent-by
// when it listens on one address; on a wildcard listener the transport
// names the sending socket's.
func (g *Gateway) clientOptions(log *slog.Logger) []sipgo.ClientOption {
	opts := []sipgo.ClientOption{sipgo.WithClientLogger(log), sipgo.WithClientNAT()}
	if a, err := netip.ParseAddr(g.contact.Host); err == nil && !a.IsUnspecified() {
		opts = append(opts, sipgo.WithClientHostname(g.contact.Host))
	}
	return opts
}
