package sipgw

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strings"

	"github.com/emiago/sipgo/sip"

	"github.com/dialtone/dialtone/server/store"
)

// Route sends calls to numbers the server does not hold to a SIP trunk:
// a dialled number starting with Prefix goes to Trunk.
type Route struct {
	Prefix string  // E.164 digits with their "+", e.g. "+44"
	Trunk  sip.Uri // sip:HOST[:PORT][;transport=tcp], no user
	// Auth answers the trunk's digest challenges; zero: none.
	Auth TrunkAuth
}

// Transport is the route's SIP transport: "TCP" or "UDP".
func (r Route) Transport() string {
	if t, ok := r.Trunk.UriParams.Get("transport"); ok && strings.EqualFold(t, "tcp") {
		return "TCP"
	}
	return "UDP"
}

// ParseRoute parses PREFIX=sip:HOST[:PORT][;transport=tcp].
func ParseRoute(s string) (Route, error) {
	prefix, uri, ok := strings.Cut(s, "=")
	if !ok {
		return Route{}, fmt.Errorf("route %q: want PREFIX=sip:HOST[:PORT][;transport=tcp]", s)
	}
	digits := strings.TrimPrefix(prefix, "+")
	if !strings.HasPrefix(prefix, "+") || digits == "" || strings.Trim(digits, "0123456789") != "" {
		return Route{}, fmt.Errorf("route %q: prefix %q: want + and digits, e.g. +44", s, prefix)
	}
	var u sip.Uri
	if err := sip.ParseUri(uri, &u); err != nil {
		return Route{}, fmt.Errorf("route %q: %w", s, err)
	}
	if u.Scheme != "sip" || u.Host == "" || u.User != "" {
		return Route{}, fmt.Errorf("route %q: want sip:HOST[:PORT], without a user", s)
	}
	if u.UriParams == nil {
		u.UriParams = sip.NewParams()
	}
	if t, ok := u.UriParams.Get("transport"); ok && !strings.EqualFold(t, "tcp") && !strings.EqualFold(t, "udp") {
		return Route{}, fmt.Errorf("route %q: transport %q: want udp or tcp", s, t)
	}
	if u.Port == 0 {
		u.Port = 5060
	}
	return Route{Prefix: prefix, Trunk: u}, nil
}

// matchRoute returns the route with the longest prefix of n.
func matchRoute(routes []Route, n string) (Route, bool) {
	best, found := Route{}, false
	for _, r := range routes {
		if strings.HasPrefix(n, r.Prefix) && (!found || len(r.Prefix) > len(best.Prefix)) {
			best, found = r, true
		}
	}
	return best, found
}

// trunkPrefixes resolves the routes' hosts into the prefixes trunk calls
// may come from, adding extra.
func trunkPrefixes(ctx context.Context, lookup func(context.Context, string) ([]netip.Addr, error), routes []Route, extra []netip.Prefix) ([]netip.Prefix, error) {
	out := append([]netip.Prefix(nil), extra...)
	for _, r := range routes {
		host := strings.TrimSuffix(strings.TrimPrefix(r.Trunk.Host, "["), "]")
		if a, err := netip.ParseAddr(host); err == nil {
			out = append(out, netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()))
			continue
		}
		addrs, err := lookup(ctx, host)
		if err != nil {
			return nil, fmt.Errorf("resolving trunk %s: %w", r.Trunk.Host, err)
		}
		for _, a := range addrs {
			out = append(out, netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()))
		}
	}
	return out, nil
}

func lookupHost(ctx context.Context, host string) ([]netip.Addr, error) {
	return net.DefaultResolver.LookupNetIP(ctx, "ip", host)
}

// fromTrunk reports whether a request's source is one of the trunks'.
func (g *Gateway) fromTrunk(req *sip.Request) bool {
	ap, err := netip.ParseAddrPort(req.Source())
	if err != nil {
		return false
	}
	for _, p := range g.trunks {
		if p.Contains(ap.Addr().Unmap()) {
			return true
		}
	}
	return false
}

// Routes reports whether a call to n, which has no dialtone session and
// is not registered on the switchboard, goes to a trunk: a route matches
// and n is not one of our SIP-only numbers. It runs under the
// switchboard's lock.
func (g *Gateway) Routes(n string) bool {
	if g.cfg.Switchboard == nil || g.client.Load() == nil {
		return false
	}
	if _, ok := matchRoute(g.cfg.Routes, n); !ok {
		return false
	}
	_, err := g.cfg.Credentials.SIPCredential(context.Background(), n)
	return errors.Is(err, store.ErrNotFound)
}
