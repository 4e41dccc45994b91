package sipgw

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"

	"github.com/emiago/sipgo"
	"github.com/emiago/sipgo/sip"
	"github.com/icholy/digest"
)

// Secret is a password that does not print: fmt, slog and encoders show
// it redacted, so a route in a log line or an error keeps it to itself.
type Secret string

const redacted = "[redacted]"

func (Secret) String() string                    { return redacted }
func (Secret) GoString() string                  { return `"` + redacted + `"` }
func (Secret) LogValue() slog.Value              { return slog.StringValue(redacted) }
func (Secret) MarshalText() ([]byte, error)      { return []byte(redacted), nil }
func (s Secret) reveal() string                  { return string(s) }
func (a TrunkAuth) set() bool                    { return a.Username != "" }
func (a TrunkAuth) String() string               { return a.Username + ":" + redacted }
func (a TrunkAuth) LogValue() slog.Value         { return slog.StringValue(a.String()) }
func (a TrunkAuth) MarshalText() ([]byte, error) { return []byte(a.String()), nil }

// TrunkAuth is the digest account the server answers a trunk's 401/407
// with (RFC 3261 section 22, MD5 or SHA-256 as the trunk asks).
type TrunkAuth struct {
	Username string
	Password Secret
}

// ParseRouteAuth parses PREFIX=USER:PASSWORD, the credentials of the
// route for PREFIX. Its errors never repeat the password.
func ParseRouteAuth(s string) (prefix string, a TrunkAuth, err error) {
	prefix, cred, ok := strings.Cut(s, "=")
	digits := strings.TrimPrefix(prefix, "+")
	if !ok || !strings.HasPrefix(prefix, "+") || digits == "" || strings.Trim(digits, "0123456789") != "" {
		return "", a, errors.New("want PREFIX=USER:PASSWORD with the prefix of a --sip-route, e.g. +44=account:secret")
	}
	user, pass, ok := strings.Cut(cred, ":")
	if !ok || user == "" || pass == "" {
		return "", a, fmt.Errorf("%s: want PREFIX=USER:PASSWORD, with a user and a password", prefix)
	}
	if strings.ContainsAny(user, "\" \t\r\n") || strings.ContainsAny(pass, "\r\n") {
		return "", a, fmt.Errorf("%s: the user may not hold quotes or spaces, nor the password line breaks", prefix)
	}
	return prefix, TrunkAuth{Username: user, Password: Secret(pass)}, nil
}

// errTrunkAuth ends a call whose trunk refused the server's credentials,
// or asked for some where the route has none.
var errTrunkAuth = errors.New("the trunk refused the call's credentials")

// auth is the digest account for the call's INVITE, if it goes to a trunk
// that has one.
func (c *sipCall) auth() (TrunkAuth, bool) {
	if c.trunk == nil || !c.trunk.Auth.set() {
		return TrunkAuth{}, false
	}
	return c.trunk.Auth, true
}

// answerOptions are the INVITE's options for sipgo's WaitAnswer: with a
// trunk's account, sipgo answers a 401/407 with the digest once. A second
// challenge means the credentials are wrong, unless it says the nonce was
// stale (the password was right; RFC 7616 section 3.3), and ends the call
// rather than trying on.
func (c *sipCall) answerOptions(progress func(*sip.Response) error) sipgo.AnswerOptions {
	a, ok := c.auth()
	if !ok {
		return sipgo.AnswerOptions{OnResponse: progress}
	}
	challenges := 0
	return sipgo.AnswerOptions{Username: a.Username, Password: a.Password.reveal(),
		OnResponse: func(r *sip.Response) error {
			if challenge(r) != "" {
				challenges++
				if challenges > 1 && !staleChallenge(r) {
					return fmt.Errorf("%w: %d %s to the INVITE with them", errTrunkAuth, r.StatusCode, r.Reason)
				}
			}
			return progress(r)
		}}
}

// explainAnswer logs why a trunk's INVITE failed when it was the digest:
// the operator needs to know whether to add credentials or fix them.
func (c *sipCall) explainAnswer(err error) {
	if c.trunk == nil || err == nil {
		return
	}
	_, has := c.auth()
	code := 0
	if r := dialogResponse(err); r != nil {
		code = r.StatusCode
	}
	switch {
	case errors.Is(err, errTrunkAuth), has && (code == sip.StatusUnauthorized || code == sip.StatusProxyAuthRequired || code == sip.StatusForbidden):
		c.log.Warn("the SIP trunk refused the server's credentials for it (sip-route-auth in the server's --config)",
			"route", c.trunk.Prefix, "user", c.trunk.Auth.Username, "status", code, "err", err)
	case !has && (code == sip.StatusUnauthorized || code == sip.StatusProxyAuthRequired):
		c.log.Warn("the SIP trunk asks for digest credentials; give them as sip-route-auth in the server's --config",
			"route", c.trunk.Prefix, "status", code)
	}
}

// dialogResponse is the final response a sipgo dialog error carries.
func dialogResponse(err error) *sip.Response {
	var p *sipgo.ErrDialogResponse
	if errors.As(err, &p) && p != nil {
		return p.Res
	}
	var v sipgo.ErrDialogResponse
	if errors.As(err, &v) {
		return v.Res
	}
	return nil
}

// challenge returns the header a 401 or 407 challenges with, or "".
func challenge(r *sip.Response) string {
	switch {
	case r.StatusCode == sip.StatusUnauthorized && r.GetHeader("WWW-Authenticate") != nil:
		return "WWW-Authenticate"
	case r.StatusCode == sip.StatusProxyAuthRequired && r.GetHeader("Proxy-Authenticate") != nil:
		return "Proxy-Authenticate"
	}
	return ""
}

func staleChallenge(r *sip.Response) bool {
	h := challenge(r)
	if h == "" {
		return false
	}
	ch, err := digest.ParseChallenge(r.GetHeader(h).Value())
	return err == nil && ch.Stale
}

// copyCredentials puts the INVITE's credentials on req.
func copyCredentials(invite, req *sip.Request) {
	for _, name := range []string{"Authorization", "Proxy-Authorization"} {
		if h := invite.GetHeader(name); h != nil {
			req.AppendHeader(sip.NewHeader(name, h.Value()))
		}
	}
}

// ack sends the ACK for the INVITE's 2xx. RFC 3261 section 13.2.2.4: it
// carries the same credentials as the INVITE, which sipgo's Ack leaves
// out. (The transaction layer builds the ACK of a non-2xx, and a CANCEL
// is never challenged: it cannot be sent again.)
func (c *sipCall) ack(cli *sipgo.DialogClientSession) {
	var err error
	if c.trunk == nil && isTLS(cli.InviteRequest.Transport()) {
		err = ackClient(context.Background(), cli) // trunks are never TLS
	} else if _, ok := c.auth(); !ok {
		err = cli.Ack(context.Background())
	} else {
		target := cli.InviteRequest.Recipient
		if ct := cli.InviteResponse.Contact(); ct != nil {
			target = ct.Address
		}
		// The dialog fills in From, To, Call-ID, the INVITE's CSeq
		// number, Route and Via.
		ack := sip.NewRequest(sip.ACK, *target.Clone())
		copyCredentials(cli.InviteRequest, ack)
		err = cli.WriteAck(context.Background(), ack)
	}
	if err != nil {
		c.log.Debug("sending ACK", "err", err)
	}
}

// byeDialog sends cli's BYE; a trunk that challenges it gets it once more
// with the digest of the trunk's account.
func (c *sipCall) byeDialog(ctx context.Context, cli *sipgo.DialogClientSession) error {
	if c.trunk == nil && isTLS(cli.InviteRequest.Transport()) {
		return byeClient(ctx, cli) // trunks are never TLS
	}
	err := cli.Bye(ctx)
	a, ok := c.auth()
	r := dialogResponse(err)
	if !ok || r == nil || challenge(r) == "" {
		return err
	}
	target := cli.InviteRequest.Recipient
	if ct := cli.InviteResponse.Contact(); ct != nil {
		target = ct.Address
	}
	bye := sip.NewRequest(sip.BYE, *target.Clone())
	if err := digestFor(bye, r, a); err != nil {
		return fmt.Errorf("answering the trunk's challenge to BYE: %w", err)
	}
	return cli.WriteBye(ctx, bye)
}

// digestFor adds to req the digest answering r's challenge.
func digestFor(req *sip.Request, r *sip.Response, a TrunkAuth) error {
	h := challenge(r)
	ch, err := digest.ParseChallenge(r.GetHeader(h).Value())
	if err != nil {
		return err
	}
	ch.Algorithm = strings.ToUpper(ch.Algorithm)
	cred, err := digest.Digest(ch, digest.Options{Method: string(req.Method), URI: req.Recipient.Addr(),
		Username: a.Username, Password: a.Password.reveal()})
	if err != nil {
		return err
	}
	name := "Authorization"
	if h == "Proxy-Authenticate" {
		name = "Proxy-Authorization"
	}
	req.AppendHeader(sip.NewHeader(name, cred.String()))
	return nil
}
