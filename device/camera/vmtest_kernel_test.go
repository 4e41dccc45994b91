//go:build linux && amd64

package camera

import (
	"archive/tar"
	"bytes"
	"debug/elf"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
)

// The VM test's kernel: Debian's, as linux-image-amd64 names it, with the
// vivid module and the modules it needs. It is fetched once with apt-get and
// kept in the user's cache directory, outside the repository.

// vmKernel is a kernel and the modules to load, in load order.
type vmKernel struct {
	vmlinuz string
	modules []string // paths, dependencies first
}

func vmCacheDir() (string, error) {
	dir, err := os.UserCacheDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(dir, "dialtone", "vmtest"), nil
}

// cachedKernel returns the cached kernel, fetching it if need be. logf tells
// what a first run is doing.
func cachedKernel(cache string, logf func(string, ...any)) (vmKernel, error) {
	dir := filepath.Join(cache, "kernel")
	if k, err := readKernelDir(dir); err == nil {
		return k, nil
	}
	pkg, err := debianKernelPackage()
	if err != nil {
		return vmKernel{}, err
	}
	logf("fetching %s into %s (first run only)", pkg, cache)
	tmp, err := os.MkdirTemp(cache, "fetch-")
	if err != nil {
		return vmKernel{}, err
	}
	defer os.RemoveAll(tmp)
	deb, err := aptDownload(pkg, tmp)
	if err != nil {
		return vmKernel{}, err
	}
	out := filepath.Join(tmp, "kernel")
	if err := extractKernel(deb, out, "vivid"); err != nil {
		return vmKernel{}, fmt.Errorf("extracting %s: %w", filepath.Base(deb), err)
	}
	os.RemoveAll(dir)
	if err := os.Rename(out, dir); err != nil {
		return vmKernel{}, err
	}
	return readKernelDir(dir)
}

func readKernelDir(dir string) (vmKernel, error) {
	order, err := os.ReadFile(filepath.Join(dir, "load-order"))
	if err != nil {
		return vmKernel{}, err
	}
	k := vmKernel{vmlinuz: filepath.Join(dir, "vmlinuz")}
	for _, m := range strings.Fields(string(order)) {
		k.modules = append(k.modules, filepath.Join(dir, m))
	}
	for _, p := range append([]string{k.vmlinuz}, k.modules...) {
		if _, err := os.Stat(p); err != nil {
			return vmKernel{}, err
		}
	}
	return k, nil
}

var dependsRE = regexp.MustCompile(`(?m)^\s*Depends:\s*(linux-image-\S+)`)

// debianKernelPackage is the concrete package linux-image-amd64 points at,
// e.g. linux-image-6.1.0-56-amd64. Stale or missing package lists are
// refreshed once (as root).
func debianKernelPackage() (string, error) {
	if _, err := exec.LookPath("apt-cache"); err != nil {
		return "", fmt.Errorf("apt-cache not found: the VM test takes its kernel from Debian's linux-image-amd64: %w", errNoVM)
	}
	for attempt := 0; ; attempt++ {
		out, _ := exec.Command("apt-cache", "depends", "linux-image-amd64").Output()
		if m := dependsRE.FindSubmatch(out); m != nil {
			return string(m[1]), nil
		}
		if attempt > 0 || os.Geteuid() != 0 {
			return "", fmt.Errorf("apt-cache knows no linux-image-amd64 (run apt-get update): %w", errNoVM)
		}
		exec.Command("apt-get", "update", "-qq").Run()
	}
}

// errNoVM marks what keeps the VM test from running on this machine at all
// (as opposed to a failure of the test).
var errNoVM = errors.New("cannot run the VM here")

func aptDownload(pkg, dir string) (string, error) {
	for attempt := 0; ; attempt++ {
		cmd := exec.Command("apt-get", "download", "-qq", pkg)
		cmd.Dir = dir
		out, err := cmd.CombinedOutput()
		if err == nil {
			debs, _ := filepath.Glob(filepath.Join(dir, pkg+"_*.deb"))
			if len(debs) == 1 {
				return debs[0], nil
			}
			err = fmt.Errorf("no %s_*.deb after download", pkg)
		}
		if attempt > 0 || os.Geteuid() != 0 {
			return "", fmt.Errorf("apt-get download %s: %v: %s", pkg, err, out)
		}
		exec.Command("apt-get", "update", "-qq").Run() // the lists may name a version the mirror dropped
	}
}

// extractKernel writes the kernel image and module root with its
// dependencies (from the modules' .modinfo) into dir, and their load order
// into dir/load-order. Only drivers/media is kept from the package; the
// modules a media driver needs all live there.
func extractKernel(deb, dir, root string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	cmd := exec.Command("dpkg-deb", "--fsys-tarfile", deb)
	pipe, err := cmd.StdoutPipe()
	if err != nil {
		return err
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		return err
	}
	mods := map[string][]byte{}
	haveKernel := false
	tr := tar.NewReader(pipe)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			cmd.Wait()
			return err
		}
		name := strings.TrimPrefix(h.Name, "./")
		switch {
		case strings.HasPrefix(name, "boot/vmlinuz-"):
			f, err := os.Create(filepath.Join(dir, "vmlinuz"))
			if err != nil {
				return err
			}
			_, err = io.Copy(f, tr)
			if cerr := f.Close(); err == nil {
				err = cerr
			}
			if err != nil {
				return err
			}
			haveKernel = true
		case strings.Contains(name, "/kernel/drivers/media/") && strings.HasSuffix(name, ".ko"):
			b, err := io.ReadAll(tr)
			if err != nil {
				return err
			}
			mods[modName(filepath.Base(name))] = b
		}
	}
	if err := cmd.Wait(); err != nil {
		return fmt.Errorf("dpkg-deb: %v: %s", err, stderr.Bytes())
	}
	if !haveKernel {
		return errors.New("no boot/vmlinuz-* in the package")
	}
	order, err := loadOrder(mods, root)
	if err != nil {
		return err
	}
	var files []string
	for _, m := range order {
		f := m + ".ko"
		if err := os.WriteFile(filepath.Join(dir, f), mods[m], 0o644); err != nil {
			return err
		}
		files = append(files, f)
	}
	return os.WriteFile(filepath.Join(dir, "load-order"), []byte(strings.Join(files, "\n")+"\n"), 0o644)
}

// modName normalises a module name as the kernel does: '-' and '_' are one.
func modName(file string) string {
	return strings.ReplaceAll(strings.TrimSuffix(file, ".ko"), "-", "_")
}

// loadOrder lists root's dependencies, transitively, before root.
func loadOrder(mods map[string][]byte, root string) ([]string, error) {
	var order []string
	state := map[string]int{} // 1 visiting, 2 done
	var visit func(string) error
	visit = func(m string) error {
		switch state[m] {
		case 1:
			return fmt.Errorf("module dependency cycle at %s", m)
		case 2:
			return nil
		}
		b, ok := mods[m]
		if !ok {
			return fmt.Errorf("module %s not found under drivers/media", m)
		}
		state[m] = 1
		deps, err := modDepends(b)
		if err != nil {
			return fmt.Errorf("module %s: %w", m, err)
		}
		for _, d := range deps {
			if err := visit(d); err != nil {
				return err
			}
		}
		state[m] = 2
		order = append(order, m)
		return nil
	}
	return order, visit(modName(root))
}

// modDepends reads "depends=" from a module's .modinfo section.
func modDepends(ko []byte) ([]string, error) {
	f, err := elf.NewFile(bytes.NewReader(ko))
	if err != nil {
		return nil, err
	}
	s := f.Section(".modinfo")
	if s == nil {
		return nil, errors.New("no .modinfo section")
	}
	data, err := s.Data()
	if err != nil {
		return nil, err
	}
	for kv := range bytes.SplitSeq(data, []byte{0}) {
		if v, ok := bytes.CutPrefix(kv, []byte("depends=")); ok {
			var deps []string
			for d := range strings.SplitSeq(string(v), ",") {
				if d != "" && !slices.Contains(deps, modName(d)) {
					deps = append(deps, modName(d))
				}
			}
			return deps, nil
		}
	}
	return nil, nil
}
