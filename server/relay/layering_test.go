package relay

import (
	"os/exec"
	"strings"
	"testing"
)

// TestLayering keeps the relay on the server's side: it must not import the
// client's call engine or devices, nor pion/webrtc (tests may, to act as
// peers).
func TestLayering(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", ".").Output()
	if err != nil {
		t.Skipf("go list: %v", err)
	}
	forbidden := []string{
		"github.com/dialtone/dialtone/call/session",
		"github.com/dialtone/dialtone/call/media",
		"github.com/dialtone/dialtone/call/sigclient",
		"github.com/dialtone/dialtone/device",
		"github.com/pion/webrtc",
	}
	for _, dep := range strings.Fields(string(out)) {
		for _, f := range forbidden {
			if dep == f || strings.HasPrefix(dep, f+"/") {
				t.Errorf("server/relay imports %s", dep)
			}
		}
	}
}
