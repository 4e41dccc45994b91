package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/spf13/pflag"

	"github.com/dialtone/dialtone/server"
	"github.com/dialtone/dialtone/server/sipgw"
)

// The server's config file (dialtone server --config FILE) is the phone's
// flat TOML: key = value, # comments. Its keys are the server's long flag
// names, a repeatable flag's key repeated; a flag on the command line wins
// over the file's value for it. sip-route-auth is the one key with no flag:
// trunk passwords stay out of argv, where ps shows them.
// assets/dialtone-server.example.toml documents it.
const routeAuthKey = "sip-route-auth"

// secretKeys are the keys that make a config file hold a secret, which
// must then be readable by its owner alone.
var secretKeys = map[string]bool{routeAuthKey: true, "admin-token": true}

// routeAuth is one sip-route-auth line: the credentials for a route.
type routeAuth struct {
	prefix string
	auth   sipgw.TrunkAuth
}

type configLine struct {
	n          int
	key, value string
}

// load applies the config file to the flags not on the command line and
// makes the server's config of them.
func (f *serverFlags) load(fl *pflag.FlagSet) (server.Config, error) {
	auths, err := applyServerConfig(fl, f.configFile)
	if err != nil {
		return server.Config{}, err
	}
	cfg, err := f.config()
	if err != nil {
		return cfg, err
	}
	cfg.SIPRoutes, err = withRouteAuth(cfg.SIPRoutes, auths)
	return cfg, err
}

// applyServerConfig reads path into the flags that were not given on the
// command line and returns the trunks' credentials it holds.
func applyServerConfig(fl *pflag.FlagSet, path string) ([]routeAuth, error) {
	if path == "" {
		return nil, nil
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("reading the config file: %w", err)
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("reading the config file: %w", err)
	}
	if info.Size() > maxConfigSize {
		return nil, fmt.Errorf("config file %s is larger than %d bytes", path, maxConfigSize)
	}
	data := make([]byte, info.Size())
	if _, err := f.ReadAt(data, 0); err != nil && info.Size() > 0 {
		return nil, fmt.Errorf("reading the config file: %w", err)
	}
	lines, err := parseServerConfig(data)
	if err != nil {
		return nil, fmt.Errorf("config file %s: %w", path, err)
	}
	for _, l := range lines {
		if secretKeys[l.key] && info.Mode().Perm()&0o077 != 0 {
			return nil, fmt.Errorf("config file %s holds a password (%s, line %d) and others may read it (mode %04o): chmod 600 %s",
				path, l.key, l.n, info.Mode().Perm(), path)
		}
	}
	onCommandLine := map[string]bool{}
	fl.Visit(func(f *pflag.Flag) { onCommandLine[f.Name] = true })
	var auths []routeAuth
	for _, l := range lines {
		switch {
		case l.key == routeAuthKey:
			prefix, a, err := sipgw.ParseRouteAuth(l.value)
			if err != nil {
				return nil, fmt.Errorf("config file %s: line %d: %s: %w", path, l.n, l.key, err)
			}
			auths = append(auths, routeAuth{prefix, a})
			continue
		case l.key == "config" || l.key == "help" || fl.Lookup(l.key) == nil:
			return nil, fmt.Errorf("config file %s: line %d: unknown key %q (the keys are dialtone server's flags, without --)", path, l.n, l.key)
		case onCommandLine[l.key]:
			continue
		}
		if err := fl.Set(l.key, l.value); err != nil {
			// pflag's message repeats the value; a secret's must not show.
			if secretKeys[l.key] {
				return nil, fmt.Errorf("config file %s: line %d: %s is not valid", path, l.n, l.key)
			}
			return nil, fmt.Errorf("config file %s: line %d: %w", path, l.n, err)
		}
	}
	return auths, nil
}

// parseServerConfig reads the flat TOML: the phone's strings and integers,
// and also booleans and decimals, which some of the server's flags take.
func parseServerConfig(data []byte) ([]configLine, error) {
	var out []configLine
	sc := bufio.NewScanner(bytes.NewReader(data))
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			return nil, fmt.Errorf("line %d: want key = value", n)
		}
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		if k == "" || strings.ContainsAny(k, " \t\"[]") {
			return nil, fmt.Errorf("line %d: want a bare key (tables are not read)", n)
		}
		val, err := serverValue(v)
		if err != nil {
			if secretKeys[k] {
				err = errors.New("want a quoted string")
			}
			return nil, fmt.Errorf("line %d: %s: %w", n, k, err)
		}
		out = append(out, configLine{n: n, key: k, value: val})
	}
	return out, sc.Err()
}

func serverValue(v string) (string, error) {
	if strings.HasPrefix(v, `"`) {
		return tomlValue(v)
	}
	if i := strings.IndexByte(v, '#'); i >= 0 {
		v = strings.TrimSpace(v[:i])
	}
	if v == "true" || v == "false" {
		return v, nil
	}
	if _, err := strconv.ParseFloat(v, 64); err == nil && strings.Trim(v, "+-0123456789.") == "" {
		return v, nil
	}
	return "", fmt.Errorf("%q is neither a quoted string, a number nor true or false", v)
}

// withRouteAuth gives each route the credentials for its prefix.
func withRouteAuth(routes []sipgw.Route, auths []routeAuth) ([]sipgw.Route, error) {
	for _, a := range auths {
		found := false
		for i := range routes {
			if routes[i].Prefix == a.prefix {
				routes[i].Auth, found = a.auth, true
			}
		}
		if !found {
			return nil, fmt.Errorf("%s %s: no --sip-route (sip-route) has the prefix %s", routeAuthKey, a.prefix, a.prefix)
		}
	}
	return routes, nil
}
