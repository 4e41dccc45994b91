package main

import (
	"os/exec"
	"strings"
	"testing"
)

const mod = "github.com/dialtone/dialtone"

// leafAllowed lists what a leaf package may import beyond the standard library.
var leafAllowed = map[string][]string{
	mod + "/call/number": {"github.com/nyaruka/phonenumbers", "google.golang.org/protobuf", "golang.org/x/"},
}

// cgoAllowed lists the only packages that may contain cgo.
var cgoAllowed = []string{mod + "/device/audio", mod + "/call/media/vp8", mod + "/call/media/opus"}

type pkgInfo struct {
	path   string
	deps   []string
	hasCgo bool
}

func listPackages(t *testing.T) []pkgInfo {
	t.Helper()
	cmd := exec.Command("go", "list", "-f", "{{.ImportPath}}|{{join .Deps \" \"}}|{{len .CgoFiles}}", "./...")
	cmd.Dir = "../.."
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	var pkgs []pkgInfo
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		parts := strings.SplitN(line, "|", 3)
		if len(parts) != 3 {
			continue
		}
		pkgs = append(pkgs, pkgInfo{path: parts[0], deps: strings.Fields(parts[1]), hasCgo: parts[2] != "0"})
	}
	return pkgs
}

func isStd(p string) bool { return !strings.Contains(strings.SplitN(p, "/", 2)[0], ".") }

func under(p, root string) bool { return p == root || strings.HasPrefix(p, root+"/") }

func hasPrefixAny(p string, prefixes []string) bool {
	for _, x := range prefixes {
		if strings.HasPrefix(p, x) {
			return true
		}
	}
	return false
}

// forbids reports whether importing dep breaks a rule: a rule ending in
// "/" forbids every path with that prefix, any other forbids that package
// and its subpackages.
func forbids(rule, dep string) bool {
	if strings.HasSuffix(rule, "/") {
		return strings.HasPrefix(dep, rule)
	}
	return under(dep, rule)
}

// TestLayering fails when a package imports what STYLE.md §2 says it must not.
func TestLayering(t *testing.T) {
	leaves := map[string]bool{mod + "/device": true, mod + "/call": true, mod + "/call/number": true, mod + "/call/wire": true, mod + "/call/identity": true}
	rules := []struct {
		tree      string
		forbidden []string
	}{
		{mod + "/server", []string{mod + "/call/session", mod + "/call/media", mod + "/call/sigclient", mod + "/device", mod + "/tui"}},
		{mod + "/tui", []string{"github.com/pion/", mod + "/device/camera", mod + "/device/audio", mod + "/call/media", mod + "/server"}},
		{mod + "/device", []string{mod + "/call/", mod + "/server", mod + "/tui"}},
		{mod + "/call", []string{mod + "/server", mod + "/tui"}},
	}
	pkgs := listPackages(t)
	if len(pkgs) < 10 {
		t.Fatalf("go list found only %d packages; the test is not looking at the tree", len(pkgs))
	}
	for _, p := range pkgs {
		if leaves[p.path] {
			for _, d := range p.deps {
				if under(d, mod) || !isStd(d) && !hasPrefixAny(d, leafAllowed[p.path]) {
					t.Errorf("leaf %s imports %s; leaves import only the standard library", p.path, d)
				}
			}
		}
		for _, r := range rules {
			if !under(p.path, r.tree) {
				continue
			}
			for _, d := range p.deps {
				for _, f := range r.forbidden {
					if forbids(f, d) {
						t.Errorf("%s imports %s, which it must not", p.path, d)
					}
				}
			}
		}
		if p.hasCgo && !hasPrefixAny(p.path, cgoAllowed) {
			t.Errorf("%s uses cgo; cgo is confined to %v", p.path, cgoAllowed)
		}
	}
}
