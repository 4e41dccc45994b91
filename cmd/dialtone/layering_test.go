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

// TestLayering fails when a package imports what STYLE.md §2 says it must not.
func TestLayering(t *testing.T) {
	leaves := []string{mod + "/device", mod + "/call", mod + "/call/number", mod + "/call/wire"}
	rules := []struct {
		pkgRoot   string
		forbidden []string
	}{
		{mod + "/server", []string{mod + "/call/session", mod + "/call/media", mod + "/call/sigclient", mod + "/device", mod + "/tui"}},
		{mod + "/tui", []string{"github.com/pion/", mod + "/device/camera", mod + "/device/audio", mod + "/call/media", mod + "/server"}},
		{mod + "/device", []string{mod + "/call/", mod + "/server", mod + "/tui"}},
		{mod + "/call", []string{mod + "/server", mod + "/tui"}},
	}
	for _, p := range listPackages(t) {
		for _, leaf := range leaves {
			if p.path != leaf {
				continue
			}
			for _, d := range p.deps {
				if !isStd(d) && !under(d, mod) && !hasPrefixAny(d, leafAllowed[leaf]) {
					t.Errorf("leaf %s imports %s; leaves import only the standard library", leaf, d)
				}
				if under(d, mod) {
					t.Errorf("leaf %s imports %s from this module", leaf, d)
				}
			}
		}
		for _, r := range rules {
			if !under(p.path, r.pkgRoot) {
				continue
			}
			for _, d := range p.deps {
				for _, f := range r.forbidden {
					if strings.HasSuffix(f, "/") && strings.HasPrefix(d, f) || !strings.HasSuffix(f, "/") && under(d, f) && !(r.pkgRoot == mod+"/device" && under(p.path, f)) {
						// device/… may import device itself; the rule is about the other trees.
						if f == mod+"/device" && under(p.path, mod+"/device") {
							continue
						}
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
