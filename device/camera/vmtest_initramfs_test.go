//go:build linux && amd64

package camera

import (
	"bufio"
	"compress/gzip"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// cpioWriter writes a "newc" cpio archive, the format the kernel unpacks an
// initramfs from. Device nodes can be written without privileges, which is
// why the archive is made here rather than from a directory tree.
type cpioWriter struct {
	w   io.Writer
	ino int
	err error
}

const (
	cpioDir  = 0o040000
	cpioFile = 0o100000
	cpioChar = 0o020000
)

func (c *cpioWriter) entry(name string, mode int, data []byte, rdevMajor, rdevMinor int) {
	if c.err != nil {
		return
	}
	c.ino++
	hdr := fmt.Sprintf("070701%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x%08x",
		c.ino, mode, 0, 0, 1, 0, len(data), 0, 0, rdevMajor, rdevMinor, len(name)+1, 0)
	c.write([]byte(hdr + name + "\x00"))
	c.pad(len(hdr) + len(name) + 1)
	c.write(data)
	c.pad(len(data))
}

func (c *cpioWriter) write(b []byte) {
	if c.err == nil {
		_, c.err = c.w.Write(b)
	}
}

func (c *cpioWriter) pad(n int) {
	if r := n % 4; r != 0 {
		c.write(make([]byte, 4-r))
	}
}

// writeInitramfs makes a gzipped initramfs holding /init (the static test
// binary), /dev/console, and the kernel modules under /modules with their
// load order in /modules/order.
func writeInitramfs(path, initBin string, k vmKernel) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer f.Close()
	bw := bufio.NewWriter(f)
	zw, _ := gzip.NewWriterLevel(bw, gzip.BestSpeed)
	c := &cpioWriter{w: zw}
	for _, d := range []string{"dev", "proc", "sys", "modules"} {
		c.entry(d, cpioDir|0o755, nil, 0, 0)
	}
	c.entry("dev/console", cpioChar|0o600, nil, 5, 1)
	bin, err := os.ReadFile(initBin)
	if err != nil {
		return err
	}
	c.entry("init", cpioFile|0o755, bin, 0, 0)
	var order []byte
	for _, m := range k.modules {
		b, err := os.ReadFile(m)
		if err != nil {
			return err
		}
		c.entry("modules/"+filepath.Base(m), cpioFile|0o644, b, 0, 0)
		order = append(order, filepath.Base(m)+"\n"...)
	}
	c.entry("modules/order", cpioFile|0o644, order, 0, 0)
	c.entry("TRAILER!!!", 0, nil, 0, 0)
	if c.err != nil {
		return c.err
	}
	if err := zw.Close(); err != nil {
		return err
	}
	if err := bw.Flush(); err != nil {
		return err
	}
	return f.Close()
}
