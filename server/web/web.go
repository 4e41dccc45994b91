// Package web serves the browser phone: a page of plain HTML, CSS and
// JavaScript, embedded in the binary, that registers a number and makes and
// takes calls through the same signalling endpoint (call/wire) and relay as
// every other phone. The page is served on the signalling listener, so its
// WebSocket is same-origin and the signalling server's origin check stays
// strict.
//
// It is not a client library: the server trusts the page no more than any
// other client, and everything the page does goes through /v1.
package web

import (
	"bytes"
	"embed"
	"errors"
	"io/fs"
	"net/http"
	"path"
	"strings"
	"time"
)

//go:embed static
var static embed.FS

// Policy is the Content-Security-Policy every response carries: only the
// page's own scripts, styles and media, no inline script, no framing, and
// network only to its own origin (which covers its ws:// or wss:// endpoint).
const Policy = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"media-src 'self' blob:; connect-src 'self'; manifest-src 'self'; base-uri 'none'; form-action 'none'; " +
	"frame-ancestors 'none'"

// Config describes a Handler.
type Config struct {
	// Files are extra files to serve beside the page's own, by name (the
	// ringtone, which lives in package assets). Names must not start with /.
	Files map[string][]byte
	// ModTime is what Last-Modified says; default the time New ran.
	ModTime time.Time
}

func (c *Config) validate() error {
	for name := range c.Files {
		if name == "" || strings.HasPrefix(name, "/") || strings.Contains(name, "..") {
			return errors.New("web: an extra file needs a plain relative name")
		}
	}
	if c.ModTime.IsZero() {
		c.ModTime = time.Now()
	}
	return nil
}

// Handler serves the page at / and its files beneath it.
type Handler struct {
	cfg   Config
	files fs.FS
}

// New returns a Handler.
func New(cfg Config) (*Handler, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	sub, err := fs.Sub(static, "static")
	if err != nil {
		return nil, err
	}
	return &Handler{cfg: cfg, files: sub}, nil
}

// ServeHTTP serves GET and HEAD for the page's files, with strict headers.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	hd := w.Header()
	strict(hd)
	hd.Set("Cache-Control", "no-cache")
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		hd.Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	name := strings.TrimPrefix(path.Clean("/"+r.URL.Path), "/")
	if name == "" {
		name = "index.html"
	}
	b, ok := h.cfg.Files[name]
	if !ok {
		var err error
		if b, err = fs.ReadFile(h.files, name); err != nil {
			http.NotFound(w, r)
			return
		}
	}
	if ct := contentType(name); ct != "" {
		hd.Set("Content-Type", ct)
	}
	http.ServeContent(w, r, name, h.cfg.ModTime, bytes.NewReader(b))
}

// strict sets the headers every answer of the page's carries.
func strict(hd http.Header) {
	hd.Set("Content-Security-Policy", Policy)
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("X-Frame-Options", "DENY")
	hd.Set("Referrer-Policy", "no-referrer")
	hd.Set("Cross-Origin-Opener-Policy", "same-origin")
	hd.Set("Cross-Origin-Resource-Policy", "same-origin")
	hd.Set("Permissions-Policy", "camera=(self), microphone=(self), autoplay=(self), geolocation=()")
}

// contentType is set from the name, so that nosniff never meets a guess.
func contentType(name string) string {
	switch path.Ext(name) {
	case ".html":
		return "text/html; charset=utf-8"
	case ".js":
		return "text/javascript; charset=utf-8"
	case ".css":
		return "text/css; charset=utf-8"
	case ".wav":
		return "audio/wav"
	case ".svg":
		return "image/svg+xml"
	case ".json", ".webmanifest":
		return "application/json"
	}
	return "application/octet-stream"
}
