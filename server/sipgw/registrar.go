package sipgw

import (
	"context"
	"crypto/md5"
	"crypto/sha256"
	"errors"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/emiago/sipgo/sip"
	"github.com/icholy/digest"

	"github.com/dialtone/dialtone/call/number"
	"github.com/dialtone/dialtone/server/store"
)

// Registration is one SIP device registered for a number.
type Registration struct {
	Number    string    `json:"number"`
	Contact   string    `json:"contact"`
	Source    string    `json:"source"`
	Transport string    `json:"transport"`
	UserAgent string    `json:"user_agent,omitempty"`
	Expires   time.Time `json:"expires"`
}

// bindings is the registrar's table: number → contact URI → registration.
type bindings struct {
	mu sync.Mutex
	m  map[string]map[string]Registration
}

func (b *bindings) list(now time.Time) []Registration {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []Registration
	for n, cs := range b.m {
		for k, r := range cs {
			if !now.Before(r.Expires) {
				delete(cs, k)
				continue
			}
			out = append(out, r)
		}
		if len(cs) == 0 {
			delete(b.m, n)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Number != out[j].Number {
			return out[i].Number < out[j].Number
		}
		return out[i].Contact < out[j].Contact
	})
	return out
}

// of returns n's live bindings, the most recently renewed first.
func (b *bindings) of(n string, now time.Time) []Registration {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []Registration
	for _, r := range b.m[n] {
		if now.Before(r.Expires) {
			out = append(out, r)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Expires.After(out[j].Expires) })
	return out
}

// update applies one REGISTER's changes for n and returns n's live bindings.
func (b *bindings) update(n string, set []Registration, remove []string, removeAll bool, max int, now time.Time) []Registration {
	b.mu.Lock()
	defer b.mu.Unlock()
	cs := b.m[n]
	if cs == nil {
		cs = make(map[string]Registration)
		b.m[n] = cs
	}
	for k, r := range cs {
		if removeAll || !now.Before(r.Expires) {
			delete(cs, k)
		}
	}
	for _, k := range remove {
		delete(cs, k)
	}
	for _, r := range set {
		cs[r.Contact] = r
	}
	for len(cs) > max { // the one expiring first gives way
		var first string
		for k, r := range cs {
			if first == "" || r.Expires.Before(cs[first].Expires) {
				first = k
			}
		}
		delete(cs, first)
	}
	out := make([]Registration, 0, len(cs))
	for _, r := range cs {
		out = append(out, r)
	}
	if len(cs) == 0 {
		delete(b.m, n)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Contact < out[j].Contact })
	return out
}

// onRegister handles REGISTER (RFC 3261 section 10.3).
func (g *Gateway) onRegister(req *sip.Request, tx sip.ServerTransaction) {
	if res := g.precheck(req); res != nil {
		g.respond(tx, res)
		return
	}
	n, err := number.Parse(req.To().Address.User, "")
	if err != nil || n.IsService() {
		g.stats.notFound.Add(1)
		g.respond(tx, sip.NewResponseFromRequest(req, sip.StatusNotFound, "Not Found", nil))
		return
	}
	now := g.cfg.Now()
	if !g.authenticate(req, tx, string(n), now) {
		return
	}
	g.bind(req, string(n), now, tx)
}

// bind records the Contacts of an authenticated REGISTER and answers 200
// with the number's bindings, or 400/423.
func (g *Gateway) bind(req *sip.Request, n string, now time.Time, tx sip.ServerTransaction) {
	def := g.cfg.DefaultExpires
	if h := req.GetHeader("Expires"); h != nil {
		v, err := strconv.ParseUint(strings.TrimSpace(h.Value()), 10, 32)
		if err != nil {
			g.respond(tx, sip.NewResponseFromRequest(req, sip.StatusBadRequest, "Bad Expires", nil))
			return
		}
		def = time.Duration(v) * time.Second
	}
	var (
		set       []Registration
		remove    []string
		removeAll bool
	)
	ua := ""
	if h := req.GetHeader("User-Agent"); h != nil {
		ua = truncate(h.Value(), 80)
	}
	for _, h := range req.GetHeaders("Contact") {
		c, ok := h.(*sip.ContactHeader)
		if !ok {
			g.respond(tx, sip.NewResponseFromRequest(req, sip.StatusBadRequest, "Bad Contact", nil))
			return
		}
		if c.Address.Wildcard {
			if def != 0 || len(req.GetHeaders("Contact")) != 1 {
				g.respond(tx, sip.NewResponseFromRequest(req, sip.StatusBadRequest, "Bad Wildcard", nil))
				return
			}
			removeAll = true
			continue
		}
		exp := def
		if v, ok := c.Params.Get("expires"); ok {
			s, err := strconv.ParseUint(v, 10, 32)
			if err != nil {
				g.respond(tx, sip.NewResponseFromRequest(req, sip.StatusBadRequest, "Bad Expires", nil))
				return
			}
			exp = time.Duration(s) * time.Second
		}
		uri := contactURI(c)
		if exp == 0 {
			remove = append(remove, uri)
			continue
		}
		if exp < g.cfg.MinExpires {
			res := sip.NewResponseFromRequest(req, 423, "Interval Too Brief", nil)
			res.AppendHeader(sip.NewHeader("Min-Expires", strconv.Itoa(int(g.cfg.MinExpires/time.Second))))
			g.respond(tx, res)
			return
		}
		exp = min(exp, g.cfg.MaxExpires)
		set = append(set, Registration{Number: n, Contact: uri, Source: req.Source(), Transport: req.Transport(),
			UserAgent: ua, Expires: now.Add(exp)})
	}
	live := g.regs.update(n, set, remove, removeAll, g.cfg.MaxContacts, now)
	if len(set) > 0 {
		g.stats.registers.Add(1)
		g.cfg.Logger.Info("SIP device registered", "number", n, "source", req.Source(), "contacts", len(live))
	}
	res := sip.NewResponseFromRequest(req, sip.StatusOK, "OK", nil)
	for _, r := range live {
		secs := int(r.Expires.Sub(now).Round(time.Second) / time.Second)
		res.AppendHeader(sip.NewHeader("Contact", "<"+r.Contact+">;expires="+strconv.Itoa(secs)))
	}
	res.AppendHeader(sip.NewHeader("Date", now.UTC().Format(time.RFC1123)))
	g.respond(tx, res)
}

// contactURI is the binding's key: the Contact's URI as written.
func contactURI(c *sip.ContactHeader) string { return c.Address.String() }

// secret returns the number's HA1 per algorithm. A number without SIP
// credentials gets a random secret, so that it is refused exactly like a
// wrong password and a prober learns nothing about which numbers have one.
func (g *Gateway) secret(n string) secret {
	c, err := g.cfg.Credentials.SIPCredential(context.Background(), n)
	if err != nil {
		if !errors.Is(err, store.ErrNotFound) {
			g.cfg.Logger.Warn("reading SIP credential", "number", n, "err", err)
		}
		c = store.SIPCredential{HA1MD5: store.HA1(md5.New(), n, g.cfg.Realm, g.dummy),
			HA1SHA256: store.HA1(sha256.New(), n, g.cfg.Realm, g.dummy)}
	} else if c.Realm != g.cfg.Realm {
		g.cfg.Logger.Warn("SIP credential is for another realm; create a new password", "number", n, "realm", c.Realm)
		return func(string) string { return "" }
	}
	return func(alg string) string {
		if !slices.Contains(g.cfg.Algorithms, alg) {
			return ""
		}
		switch alg {
		case "MD5":
			return c.HA1MD5
		case "SHA-256":
			return c.HA1SHA256
		}
		return ""
	}
}

// challenge answers 401 (407) with a fresh nonce per algorithm.
// authenticate checks req's digest credentials for number n, answering the
// challenge or the refusal itself when they do not pass. REGISTER is
// challenged with 401/WWW-Authenticate, other requests with
// 407/Proxy-Authenticate (RFC 3261 section 22.3).
func (g *Gateway) authenticate(req *sip.Request, tx sip.ServerTransaction, n string, now time.Time) bool {
	name := "Proxy-Authorization"
	if req.Method == sip.REGISTER {
		name = "Authorization"
	}
	auth := req.GetHeader(name)
	if auth == nil {
		g.challenge(req, tx, false)
		return false
	}
	cred, err := digest.ParseCredentials(auth.Value())
	if err != nil {
		g.challenge(req, tx, false)
		return false
	}
	switch check(cred, string(req.Method), n, g.cfg.Realm, g.secret(n), g.nonces, now) {
	case verdictChallenge:
		g.challenge(req, tx, false)
		return false
	case verdictStale:
		g.challenge(req, tx, true)
		return false
	case verdictForbidden:
		g.stats.authFailures.Add(1)
		g.cfg.Logger.Info("SIP request refused", "method", string(req.Method), "number", n, "source", req.Source())
		g.respond(tx, sip.NewResponseFromRequest(req, sip.StatusForbidden, "Forbidden", nil))
		return false
	}
	return true
}

func (g *Gateway) challenge(req *sip.Request, tx sip.ServerTransaction, stale bool) {
	n, err := g.nonces.issue(g.cfg.Now())
	if err != nil {
		res := sip.NewResponseFromRequest(req, sip.StatusServiceUnavailable, "Service Unavailable", nil)
		res.AppendHeader(sip.NewHeader("Retry-After", "30"))
		g.respond(tx, res)
		return
	}
	g.stats.challenges.Add(1)
	code, reason, header := sip.StatusUnauthorized, "Unauthorized", "WWW-Authenticate"
	if !(req.Method == sip.REGISTER) {
		code, reason, header = sip.StatusProxyAuthRequired, "Proxy Authentication Required", "Proxy-Authenticate"
	}
	res := sip.NewResponseFromRequest(req, code, reason, nil)
	for _, c := range challenges(g.cfg.Algorithms, g.cfg.Realm, n, stale) {
		res.AppendHeader(sip.NewHeader(header, c))
	}
	g.respond(tx, res)
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}
