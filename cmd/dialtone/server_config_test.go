package main

import (
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/dialtone/dialtone/server"
)

const testTrunkPassword = "s3cr:et-pass"

func TestServerConfigFile(t *testing.T) {
	for _, tc := range []struct {
		name, file string
		mode       os.FileMode
		args       []string
		check      func(t *testing.T, cfg server.Config)
		err        string // in the error; "" for none
	}{
		{name: "flags from the file", mode: 0o644, file: `# a comment
sip = "127.0.0.1:5060"
sip-route = "+44=sip:192.0.2.7;transport=tcp"
sip-route = "+1=sip:192.0.2.8"
web = false
dns-rate = 2.5
dial-rate = 30 # a minute
`, check: func(t *testing.T, cfg server.Config) {
			routes := cfg.SIPRoutes
			if cfg.SIP != "127.0.0.1:5060" || cfg.Web || cfg.DNSRate != 2.5 || cfg.DialLimits.SourcePerMinute != 30 || len(routes) != 2 ||
				routes[0].Transport() != "TCP" || routes[1].Prefix != "+1" {
				t.Errorf("config %+v", cfg)
			}
		}},
		{name: "DNS workers", mode: 0o644, file: "dns-workers = 3\n", check: func(t *testing.T, cfg server.Config) {
			if cfg.DNSWorkers != 3 {
				t.Errorf("dns-workers = 3 gives DNSWorkers %d", cfg.DNSWorkers)
			}
		}},
		{name: "the command line wins", mode: 0o600, file: "sip = \"127.0.0.1:5060\"\nsip-route = \"+44=sip:192.0.2.7\"\n",
			args: []string{"--sip", "127.0.0.1:5070", "--sip-route", "+33=sip:192.0.2.9"},
			check: func(t *testing.T, cfg server.Config) {
				routes := cfg.SIPRoutes
				if cfg.SIP != "127.0.0.1:5070" || len(routes) != 1 || routes[0].Prefix != "+33" {
					t.Errorf("sip %q routes %v", cfg.SIP, routes)
				}
			}},
		{name: "trunk credentials", mode: 0o600, file: "sip = \"127.0.0.1:0\"\nsip-route = \"+44=sip:192.0.2.7\"\nsip-route = \"+1=sip:192.0.2.8\"\n" +
			`sip-route-auth = "+44=acct:` + testTrunkPassword + `"` + "\n",
			check: func(t *testing.T, cfg server.Config) {
				routes := cfg.SIPRoutes
				if routes[0].Auth.Username != "acct" || string(routes[0].Auth.Password) != testTrunkPassword || routes[1].Auth.Username != "" {
					t.Errorf("routes %v", routes)
				}
				// The password does not print, however the route is shown.
				var b strings.Builder
				slog.New(slog.NewTextHandler(&b, nil)).Info("route", "route", routes[0], "auth", routes[0].Auth)
				for _, s := range []string{fmt.Sprintf("%v %+v %#v %s", routes[0], routes[0], routes[0], routes[0].Auth), b.String()} {
					if strings.Contains(s, testTrunkPassword) {
						t.Errorf("the password shows in %q", s)
					}
				}
			}},
		{name: "a password readable by others", mode: 0o640, file: "sip = \"127.0.0.1:0\"\nsip-route = \"+44=sip:192.0.2.7\"\nsip-route-auth = \"+44=acct:" + testTrunkPassword + "\"\n",
			err: "chmod 600"},
		{name: "an admin token readable by others", mode: 0o604, file: "admin-token = \"tok\"\n", err: "holds a password (admin-token"},
		{name: "credentials for no route", mode: 0o600, file: "sip = \"127.0.0.1:0\"\nsip-route = \"+44=sip:192.0.2.7\"\nsip-route-auth = \"+4=acct:" + testTrunkPassword + "\"\n",
			err: "no --sip-route (sip-route) has the prefix +4"},
		{name: "credentials without a password", mode: 0o600, file: "sip-route-auth = \"+44=acct\"\n", err: "want PREFIX=USER:PASSWORD"},
		{name: "a bad password line", mode: 0o600, file: "sip-route-auth = +44=acct:" + testTrunkPassword + "\n", err: "want a quoted string"},
		{name: "an unknown key", mode: 0o600, file: "sipp = \"127.0.0.1:0\"\n", err: `line 1: unknown key "sipp"`},
		{name: "config in the config", mode: 0o600, file: "config = \"other.toml\"\n", err: `unknown key "config"`},
		{name: "a bad value", mode: 0o600, file: "dial-rate = \"many\"\n", err: "line 1: "},
		{name: "a table", mode: 0o600, file: "[server]\n", err: "line 1: want key = value"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "server.toml")
			if err := os.WriteFile(path, []byte(tc.file), 0o600); err != nil {
				t.Fatal(err)
			}
			if err := os.Chmod(path, tc.mode); err != nil {
				t.Fatal(err)
			}
			cfg, err := loadServerFlags(append(tc.args, "--config", path))
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("error %v, want one saying %q", err, tc.err)
				}
				if strings.Contains(err.Error(), testTrunkPassword) {
					t.Fatalf("the error shows the password: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			tc.check(t, cfg)
		})
	}
}

// loadServerFlags parses args as dialtone server's command line and
// loads its config as the command does before running.
func loadServerFlags(args []string) (server.Config, error) {
	f := &serverFlags{}
	cmd := newServerCmdFor(f)
	if err := cmd.ParseFlags(args); err != nil {
		return server.Config{}, err
	}
	return f.load(cmd.Flags())
}

// TestServerExampleConfig keeps the annotated server example loadable with
// every key uncommented (and its password's mode as the example asks).
func TestServerExampleConfig(t *testing.T) {
	data, err := os.ReadFile("../../assets/dialtone-server.example.toml")
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	for l := range strings.Lines(string(data)) {
		if m := regexp.MustCompile(`^# ([a-z-]+ = ("[^"]*"|[0-9]+|true|false))$`).FindStringSubmatch(strings.TrimSpace(l)); m != nil {
			lines = append(lines, m[1])
		}
	}
	path := filepath.Join(t.TempDir(), "server.toml")
	if err := os.WriteFile(path, []byte(strings.Join(lines, "\n")+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := loadServerFlags([]string{"--config", path})
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.SIPRoutes) != 2 || cfg.SIPRoutes[0].Auth.Username != "account-1234" || len(cfg.Pools) != 2 || cfg.SIP == "" {
		t.Errorf("the example loads as %+v", cfg)
	}
}
