package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/dialtone/dialtone/call/number"
	"github.com/dialtone/dialtone/server"
	"github.com/dialtone/dialtone/server/dnsserver"
	"github.com/dialtone/dialtone/server/sipgw"
	"github.com/dialtone/dialtone/server/store"
	"github.com/dialtone/dialtone/server/switchboard"
)

func init() { subcommands = append(subcommands, newServerCmd) }

type serverFlags struct {
	listen, dns, relay, admin string
	sip, sipTLS               string
	sipDigest                 []string
	sipRoutes, sipTrunkAllow  []string
	sipRate                   float64
	relayPublicIP             string
	tlsCert, tlsKey           string
	pools, dnsAllow           []string
	ports, zone, data         string
	registration, media       string
	leaseTTL, holdDown, ring  time.Duration
	grace                     time.Duration
	recordsKeep               string
	logLevel                  string
	dialRate                  int
	dialLimits                bool
	connBudget                int
	web                       bool
	adminToken                tokenFlags
	dnsRate                   float64
	dnsSlip                   int
	dnsWorkers                int
	configFile                string
}

// tokenFlags are the ways to give the admin token: a flag, a file, or the
// environment (DIALTONE_ADMIN_TOKEN).
type tokenFlags struct{ token, file string }

// adminTokenEnv names the environment variable the admin token may come in.
const adminTokenEnv = "DIALTONE_ADMIN_TOKEN"

func (f *tokenFlags) add(fl interface {
	StringVar(p *string, name, value, usage string)
}) {
	fl.StringVar(&f.token, "admin-token", "", "admin bearer token (visible to ps; prefer --admin-token-file or $"+adminTokenEnv+")")
	fl.StringVar(&f.file, "admin-token-file", "", "file holding the admin bearer token")
}

// get returns the token from the flag, the file or the environment, in
// that order of precedence; the flag and the file together are an error.
func (f *tokenFlags) get() (string, error) {
	switch {
	case f.token != "" && f.file != "":
		return "", fmt.Errorf("--admin-token and --admin-token-file: give one")
	case f.token != "":
		return f.token, nil
	case f.file != "":
		b, err := os.ReadFile(f.file)
		if err != nil {
			return "", fmt.Errorf("reading the admin token: %w", err)
		}
		tok := strings.TrimSpace(string(b))
		if tok == "" {
			return "", fmt.Errorf("the admin token file %s is empty", f.file)
		}
		return tok, nil
	}
	return strings.TrimSpace(os.Getenv(adminTokenEnv)), nil
}

func newServerCmd() *cobra.Command { return newServerCmdFor(&serverFlags{}) }

func newServerCmdFor(f *serverFlags) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "server",
		Short: "Run the dialtone server: registration, signalling, leases, number DNS, media relay",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := f.load(cmd.Flags())
			if err != nil {
				return err
			}
			logger, err := newLogger(os.Stderr, f.logLevel)
			if err != nil {
				return err
			}
			cfg.Logger = logger
			cfg.Echo = echoFactory
			cfg.SIPOpus = sipOpus()
			return runServer(cmd, cfg)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.configFile, "config", "", "config file: key = value lines, the keys these flags' names, and sip-route-auth = \"PREFIX=USER:PASSWORD\" for a trunk's digest (flags given here win)")
	fl.StringVar(&f.listen, "listen", server.DefaultListen, "signalling WebSocket address (host:port)")
	fl.StringVar(&f.tlsCert, "tls-cert", "", "TLS certificate (PEM) for wss:// and SIP over TLS")
	fl.StringVar(&f.tlsKey, "tls-key", "", "TLS private key (PEM) for wss:// and SIP over TLS")
	fl.StringVar(&f.dns, "dns", server.DefaultDNS, "number DNS address, UDP and TCP (empty: off)")
	fl.StringVar(&f.relay, "relay", server.DefaultRelay, "media relay (TURN) address (empty: off, needs --media auto)")
	fl.StringVar(&f.relayPublicIP, "relay-public-ip", "", "address the relay advertises when it listens on 0.0.0.0 or ::")
	fl.StringVar(&f.sip, "sip", "", "SIP registrar address, UDP and TCP (empty: off)")
	fl.StringVar(&f.sipTLS, "sip-tls", "", "SIP over TLS address with the --tls-cert certificate (default with --tls-cert: the --sip address, port + 1; \"off\": none)")
	fl.StringSliceVar(&f.sipDigest, "sip-digest", []string{"SHA-256", "MD5"}, "SIP digest algorithms offered, in order (MD5 first for clients that take the first offered, e.g. baresip 1.0)")
	fl.StringArrayVar(&f.sipRoutes, "sip-route", nil, "PREFIX=sip:HOST[:PORT][;transport=tcp]: calls to numbers this server does not hold go to that SIP trunk, longest prefix first (repeatable)")
	fl.Float64Var(&f.sipRate, "sip-rate", 20, "SIP messages a second one source address may send, burst twice that (raise it for a trunk)")
	fl.StringArrayVar(&f.sipTrunkAllow, "sip-trunk-allow", nil, "prefix trunk calls may come from without a digest, besides the --sip-route hosts; no wider than /8 (IPv6 /32) (repeatable)")
	fl.StringVar(&f.admin, "admin", server.DefaultAdmin, "admin HTTP address: /metrics, /api, pprof (beyond loopback only with a token; empty: off)")
	f.adminToken.add(fl)
	fl.StringArrayVar(&f.pools, "pool", []string{server.DefaultPool}, "prefix leases come from (repeatable, IPv4 or IPv6)")
	fl.StringVar(&f.ports, "ports", "40000-49999", "leased port range LO-HI")
	fl.StringVar(&f.zone, "zone", "dialtone.internal.", "DNS zone numbers are answered under")
	fl.StringVar(&f.data, "data", defaultDataDir("server"), "data directory (SQLite store)")
	fl.StringVar(&f.registration, "registration", "open", "who may register a new number: open or invite")
	fl.StringVar(&f.media, "media", "relay", "media path: relay (all media through leases) or auto (direct when possible)")
	fl.DurationVar(&f.leaseTTL, "lease-ttl", 30*time.Second, "lease life without renewal")
	fl.DurationVar(&f.holdDown, "hold-down", 10*time.Second, "how long a released address rests before reuse")
	fl.DurationVar(&f.ring, "ring-timeout", 30*time.Second, "how long a call rings before no-answer")
	fl.DurationVar(&f.grace, "grace", 10*time.Second, "how long a dropped client's calls wait for it to reconnect")
	fl.StringVar(&f.recordsKeep, "records-keep", "90d", "how long call records are kept, e.g. 90d or 720h (0: for ever)")
	fl.StringArrayVar(&f.dnsAllow, "dns-allow", []string{"127.0.0.0/8", "::1/128"}, "prefix allowed to query the DNS (repeatable)")
	fl.IntVar(&f.dialRate, "dial-rate", 60, "dials a minute one source address may make")
	fl.BoolVar(&f.dialLimits, "dial-limits", true, "limit ringing calls and dials per caller and address (false: for load tests)")
	fl.IntVar(&f.connBudget, "conn-budget", 0, "TCP connections all listeners may hold together (0: three quarters of the open-file limit; negative: no bound)")
	fl.Float64Var(&f.dnsRate, "dns-rate", dnsserver.DefaultRate, "UDP DNS responses per second per source /24 (IPv6 /56), burst as many; 0: no limit")
	fl.IntVar(&f.dnsSlip, "dns-slip", dnsserver.DefaultSlip, "over --dns-rate, every Nth response is sent truncated (the client retries over TCP), the rest dropped; 0: drop all")
	fl.IntVar(&f.dnsWorkers, "dns-workers", 0, "UDP read loops for the number DNS, each on its own socket (0: one per two CPUs, at least one; "+
		"fewer loops batch more queries per system call, so a small machine answers more per CPU-second with one; many cores under a flood may want more)")
	fl.StringVar(&f.logLevel, "log-level", "info", "debug, info, warn or error")
	fl.BoolVar(&f.web, "web", true, "serve the browser phone at / on the signalling address (--web=false: off)")
	cmd.AddCommand(newAdminListCmd("leases", "/api/leases"), newAdminListCmd("numbers", "/api/numbers"),
		newAdminListCmd("calls", "/api/calls"), newInviteCmd(), newSIPPasswordCmd(), newServerUnlinkCmd())
	return cmd
}

func (f *serverFlags) config() (server.Config, error) {
	cfg := server.Config{Listen: f.listen, TLSCert: f.tlsCert, TLSKey: f.tlsKey, DNS: f.dns, Relay: f.relay, Admin: f.admin, SIP: f.sip, SIPDigest: f.sipDigest,
		Zone: f.zone, DataDir: f.data, Registration: f.registration, Media: f.media,
		LeaseTTL: f.leaseTTL, HoldDown: f.holdDown, RingTimeout: f.ring, Grace: f.grace, Web: f.web,
		DialLimits: switchboard.DialLimits{Off: !f.dialLimits, SourcePerMinute: f.dialRate},
		DNSRate:    f.dnsRate, DNSSlip: f.dnsSlip, DNSWorkers: f.dnsWorkers, ConnBudget: f.connBudget, SIPRate: f.sipRate}
	if f.dialRate <= 0 {
		return cfg, fmt.Errorf("--dial-rate %d: want at least 1 (--dial-limits=false turns the limits off)", f.dialRate)
	}
	// On the command line 0 means off; in Config, 0 means the default.
	if f.dnsRate <= 0 {
		cfg.DNSRate = -1
	}
	if f.dnsSlip <= 0 {
		cfg.DNSSlip = -1
	}
	var err error
	if cfg.AdminToken, err = f.adminToken.get(); err != nil {
		return cfg, err
	}
	if cfg.Pools, err = parsePrefixes("--pool", f.pools); err != nil {
		return cfg, err
	}
	if cfg.DNSAllow, err = parsePrefixes("--dns-allow", f.dnsAllow); err != nil {
		return cfg, err
	}
	if cfg.SIPTrunkAllow, err = parsePrefixes("--sip-trunk-allow", f.sipTrunkAllow); err != nil {
		return cfg, err
	}
	for _, r := range f.sipRoutes {
		route, err := sipgw.ParseRoute(r)
		if err != nil {
			return cfg, fmt.Errorf("--sip-route: %w", err)
		}
		cfg.SIPRoutes = append(cfg.SIPRoutes, route)
	}
	if cfg.SIPTLS, err = sipTLSAddr(f.sip, f.sipTLS, f.tlsCert != ""); err != nil {
		return cfg, err
	}
	if (len(cfg.SIPRoutes) > 0 || len(cfg.SIPTrunkAllow) > 0) && f.sip == "" {
		return cfg, errors.New("--sip-route and --sip-trunk-allow need --sip")
	}
	if cfg.PortLo, cfg.PortHi, err = parsePorts(f.ports); err != nil {
		return cfg, err
	}
	if cfg.RecordsKeep, err = parseDays(f.recordsKeep); err != nil {
		return cfg, fmt.Errorf("--records-keep %q: %w", f.recordsKeep, err)
	}
	if f.relayPublicIP != "" {
		if cfg.RelayPublicIP, err = netip.ParseAddr(f.relayPublicIP); err != nil {
			return cfg, fmt.Errorf("--relay-public-ip %q: %w", f.relayPublicIP, err)
		}
	}
	return cfg, nil
}

func parsePrefixes(flag string, ss []string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, s := range ss {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return nil, fmt.Errorf("%s %q: %w", flag, s, err)
		}
		out = append(out, p)
	}
	return out, nil
}

// parseDays reads a duration that may be given in days ("90d"), as
// retention periods are, or in anything time.ParseDuration takes.
func parseDays(s string) (time.Duration, error) {
	if d, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.ParseUint(d, 10, 16)
		if err != nil {
			return 0, errors.New("want a whole number of days, such as 90d")
		}
		return time.Duration(n) * 24 * time.Hour, nil
	}
	v, err := time.ParseDuration(s)
	if err != nil || v < 0 {
		return 0, errors.New("want a duration such as 90d or 720h, or 0 for ever")
	}
	return v, nil
}

func parsePorts(s string) (lo, hi uint16, err error) {
	a, b, ok := strings.Cut(s, "-")
	if !ok {
		return 0, 0, fmt.Errorf("--ports %q: want LO-HI", s)
	}
	l, err1 := strconv.ParseUint(a, 10, 16)
	h, err2 := strconv.ParseUint(b, 10, 16)
	if err1 != nil || err2 != nil || l == 0 || l > h {
		return 0, 0, fmt.Errorf("--ports %q: want LO-HI with 1 <= LO <= HI <= 65535", s)
	}
	return uint16(l), uint16(h), nil
}

func runServer(cmd *cobra.Command, cfg server.Config) error {
	ctx := cmd.Context()
	srv, err := server.New(ctx, cfg)
	if err != nil {
		return err
	}
	a := srv.Addrs()
	out := cmd.OutOrStdout()
	fmt.Fprintf(out, "signalling %s\n", a.URL)
	if a.Web != "" {
		fmt.Fprintf(out, "browser phone %s\n", a.Web)
	}
	if a.DNS != "" {
		fmt.Fprintf(out, "dns udp+tcp %s\n", a.DNS)
	}
	if a.Relay != "" {
		fmt.Fprintf(out, "relay turn udp+tcp %s\n", a.Relay)
	}
	if a.SIP != "" {
		fmt.Fprintf(out, "sip udp+tcp %s\n", a.SIP)
	}
	if a.SIPTLS != "" {
		fmt.Fprintf(out, "sip-tls tls %s\n", a.SIPTLS)
	}
	if a.Admin != "" {
		fmt.Fprintf(out, "admin http://%s/metrics\n", a.Admin)
	}
	return srv.Run(ctx)
}

func newLogger(w io.Writer, level string) (*slog.Logger, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("--log-level %q: want debug, info, warn or error", level)
	}
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: l})), nil
}

// defaultDataDir is where a role keeps its state unless told otherwise.
func defaultDataDir(role string) string {
	if d, err := os.UserConfigDir(); err == nil {
		return d + "/dialtone/" + role
	}
	return ".dialtone-" + role
}

// newAdminListCmd prints one admin API list as a table (or JSON).
func newAdminListCmd(name, path string) *cobra.Command {
	var admin string
	var asJSON bool
	var tf tokenFlags
	cmd := &cobra.Command{
		Use:   name,
		Short: "Print the running server's " + name,
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			token, err := tf.get()
			if err != nil {
				return err
			}
			req, err := http.NewRequestWithContext(cmd.Context(), http.MethodGet, "http://"+admin+path, nil)
			if err != nil {
				return fmt.Errorf("asking the server at %s: %w", admin, err)
			}
			if token != "" {
				req.Header.Set("Authorization", "Bearer "+token)
			}
			client := &http.Client{Timeout: 5 * time.Second}
			resp, err := client.Do(req)
			if err != nil {
				return fmt.Errorf("asking the server at %s: %w", admin, err)
			}
			defer resp.Body.Close()
			if resp.StatusCode == http.StatusUnauthorized {
				return fmt.Errorf("asking the server at %s: %s (give the admin token: --admin-token-file or $%s)", admin, resp.Status, adminTokenEnv)
			}
			if resp.StatusCode != http.StatusOK {
				return fmt.Errorf("asking the server at %s: %s", admin, resp.Status)
			}
			body, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
			if err != nil {
				return err
			}
			if asJSON {
				_, err = cmd.OutOrStdout().Write(body)
				return err
			}
			return printTable(cmd.OutOrStdout(), body)
		},
	}
	cmd.Flags().StringVar(&admin, "admin", server.DefaultAdmin, "the server's admin address")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON instead of a table")
	tf.add(cmd.Flags())
	return cmd
}

// printTable prints a JSON array of flat objects as aligned columns, in the
// order the fields first appear.
func printTable(w io.Writer, body []byte) error {
	var rows []map[string]any
	if err := json.Unmarshal(body, &rows); err != nil {
		return fmt.Errorf("reading the server's answer: %w", err)
	}
	if len(rows) == 0 {
		fmt.Fprintln(w, "(none)")
		return nil
	}
	cols := fieldOrder(body)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, strings.ToUpper(strings.Join(cols, "\t")))
	for _, r := range rows {
		vals := make([]string, len(cols))
		for i, c := range cols {
			if v, ok := r[c]; ok && v != nil {
				vals[i] = fmt.Sprint(v)
			}
		}
		fmt.Fprintln(tw, strings.Join(vals, "\t"))
	}
	return tw.Flush()
}

func fieldOrder(body []byte) []string {
	dec := json.NewDecoder(strings.NewReader(string(body)))
	var cols []string
	seen := map[string]bool{}
	depth := 0
	expectKey := false
	for {
		tok, err := dec.Token()
		if err != nil {
			return cols
		}
		switch t := tok.(type) {
		case json.Delim:
			if t == '{' || t == '[' {
				depth++
			} else {
				depth--
			}
			expectKey = t == '{' && depth == 2
		case string:
			if depth == 2 && expectKey && !seen[t] {
				seen[t] = true
				cols = append(cols, t)
			}
			if depth == 2 {
				expectKey = !expectKey
			}
		default:
			if depth == 2 {
				expectKey = true
			}
		}
	}
}

// subscriberNumber parses an operator command's NUMBER argument: an E.164
// number, not a service code, with the parser's reason when it is neither.
func subscriberNumber(arg string) (number.Number, error) {
	n, err := number.Parse(arg, "")
	if err != nil {
		return "", fmt.Errorf("%w (write it in E.164, with + and the country code)", err)
	}
	if n.IsService() {
		return "", fmt.Errorf("%q is a service code, not a subscriber's number", arg)
	}
	return n, nil
}

func newInviteCmd() *cobra.Command {
	var data string
	var ttl time.Duration
	cmd := &cobra.Command{
		Use:   "invite NUMBER",
		Short: "Print a one-time code that lets NUMBER register (for --registration invite)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			n, err := subscriberNumber(args[0])
			if err != nil {
				return err
			}
			st, err := store.Open(cmd.Context(), data)
			if err != nil {
				return err
			}
			defer st.Close()
			code, err := st.CreateInvite(cmd.Context(), string(n), ttl)
			if err != nil {
				return fmt.Errorf("creating the invite: %w", err)
			}
			fmt.Fprintln(cmd.OutOrStdout(), code)
			return nil
		},
	}
	cmd.Flags().StringVar(&data, "data", defaultDataDir("server"), "the server's data directory")
	cmd.Flags().DurationVar(&ttl, "ttl", 7*24*time.Hour, "how long the code stays valid")
	return cmd
}
