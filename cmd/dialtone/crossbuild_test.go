package main

import (
	"os"
	"os/exec"
	"testing"
)

// TestCrossBuild: the server, the call engine and the phone build for
// other systems, with their Linux-only fast paths (recvmmsg, SO_REUSEPORT
// groups, Pdeathsig, TIOCGWINSZ) behind build tags. Cross builds have no C
// compiler, so cgo is off: the PortAudio, libvpx and libopus packages
// build their stubs. cmd/dialtone-load is a Linux load tool (rlimits,
// rusage) and is left out of the Windows build.
func TestCrossBuild(t *testing.T) {
	if testing.Short() {
		t.Skip("cross builds compile every dependency once more per system")
	}
	cases := []struct {
		goos, goarch string
		pkgs         []string
	}{
		{"windows", "amd64", []string{"./server/...", "./call/...", "./tui/...", "./device/...", "./cmd/dialtone"}},
		{"darwin", "arm64", []string{"./..."}},
	}
	for _, c := range cases {
		t.Run(c.goos+"/"+c.goarch, func(t *testing.T) {
			cmd := exec.Command("go", append([]string{"build"}, c.pkgs...)...)
			cmd.Dir = "../.."
			cmd.Env = append(os.Environ(), "GOOS="+c.goos, "GOARCH="+c.goarch, "CGO_ENABLED=0")
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Errorf("GOOS=%s GOARCH=%s go build %v: %v\n%s", c.goos, c.goarch, c.pkgs, err, out)
			}
		})
	}
}
