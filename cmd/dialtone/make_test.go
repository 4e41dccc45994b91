package main

import (
	"os/exec"
	"strings"
	"testing"
)

// TestMakeRun: make run passes ARGS to the phone, and says what a build
// is doing before it does it (a first build takes minutes). make -n only
// prints the recipes.
func TestMakeRun(t *testing.T) {
	if _, err := exec.LookPath("make"); err != nil {
		t.Skip("make is not installed")
	}
	out, err := exec.Command("make", "-n", "-C", "../..", "run", "ARGS=--server ws://127.0.0.1:7700/v1 --config /tmp/b/config.toml").CombinedOutput()
	if err != nil {
		t.Fatalf("make -n run: %v\n%s", err, out)
	}
	s := string(out)
	build := strings.Index(s, "building bin/dialtone (the first build")
	run := strings.Index(s, "./bin/dialtone --server ws://127.0.0.1:7700/v1 --config /tmp/b/config.toml")
	if build < 0 || run < build {
		t.Errorf("make run does not announce the build, then run the phone with ARGS:\n%s", s)
	}
}
