package lease

import (
	"go/build"
	"strings"
	"testing"
)

// The pool is a leaf: the DNS server, the relay and the signalling all
// import it, so it imports only the standard library.
func TestImportsOnlyStandardLibrary(t *testing.T) {
	pkg, err := build.ImportDir(".", 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, imp := range pkg.Imports {
		if first, _, _ := strings.Cut(imp, "/"); strings.Contains(first, ".") {
			t.Errorf("imports %s; package lease uses only the standard library", imp)
		}
	}
}
