package web

import (
	"encoding/json"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/dialtone/dialtone/call/number"
	"github.com/dialtone/dialtone/call/wire"
)

func ask(t *testing.T, f http.Handler, target string, hdr map[string]string) (*httptest.ResponseRecorder, wire.Formatted) {
	t.Helper()
	r := httptest.NewRequest(http.MethodGet, target, nil)
	r.RemoteAddr = "192.0.2.7:4000"
	for k, v := range hdr {
		r.Header.Set(k, v)
	}
	w := httptest.NewRecorder()
	f.ServeHTTP(w, r)
	var got wire.Formatted
	if w.Code == http.StatusOK {
		if err := json.Unmarshal(w.Body.Bytes(), &got); err != nil {
			t.Fatalf("%s: %v in %q", target, err, w.Body)
		}
	}
	return w, got
}

// TestFormatAnswers: the formatter says what call/number says: the
// display form, whether the number is one, and why not.
func TestFormatAnswers(t *testing.T) {
	f := NewFormatter(FormatConfig{})
	for _, tc := range []struct{ in, region string }{
		{"+15550100042", ""}, {"+15550100042", "US"}, {"5550100042", "US"}, {"+442079460000", ""},
		{"02079460000", "GB"}, {"+4930123456", ""}, {"+33142685300", ""}, {"600", ""},
		{"+1555", ""}, {"+1555010004299", ""}, {"+1 000 000 0000", ""}, {"abc", ""}, {"", ""},
	} {
		t.Run(tc.in+"/"+tc.region, func(t *testing.T) {
			w, got := ask(t, f, "/v1/format?"+url.Values{"n": {tc.in}, "region": {tc.region}}.Encode(), nil)
			if w.Code != http.StatusOK {
				t.Fatalf("status %d", w.Code)
			}
			if ct := w.Header().Get("Content-Type"); ct != "application/json" {
				t.Errorf("Content-Type %q", ct)
			}
			want := wire.Formatted{Display: number.Typed(tc.in, tc.region)}
			if n, err := number.Parse(tc.in, tc.region); err != nil {
				want.Reason = number.Reason(err)
			} else {
				want.OK, want.Number, want.Service, want.Region = true, n.String(), n.IsService(), number.Region(n)
			}
			if got != want {
				t.Errorf("got %+v, want %+v", got, want)
			}
		})
	}
}

// TestFormatRefuses: bad requests, other sites' pages, and floods are
// refused before any parsing.
func TestFormatRefuses(t *testing.T) {
	f := NewFormatter(FormatConfig{})
	for _, tc := range []struct {
		name, target string
		hdr          map[string]string
		want         int
	}{
		{"long query", "/v1/format?n=" + strings.Repeat("1", MaxFormatQuery), nil, http.StatusRequestURITooLong},
		{"bad region", "/v1/format?n=600&region=USA", nil, http.StatusBadRequest},
		{"region not letters", "/v1/format?n=600&region=1%00", nil, http.StatusBadRequest},
		{"bad escape", "/v1/format?n=%zz", nil, http.StatusBadRequest},
		{"foreign origin", "/v1/format?n=600", map[string]string{"Origin": "http://evil.example"}, http.StatusForbidden},
		{"cross-site fetch", "/v1/format?n=600", map[string]string{"Sec-Fetch-Site": "cross-site"}, http.StatusForbidden},
		{"same-site fetch", "/v1/format?n=600", map[string]string{"Sec-Fetch-Site": "same-site"}, http.StatusForbidden},
		{"same origin", "/v1/format?n=600", map[string]string{"Origin": "http://example.com", "Sec-Fetch-Site": "same-origin"}, http.StatusOK},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if w, _ := ask(t, f, tc.target, tc.hdr); w.Code != tc.want {
				t.Errorf("status %d, want %d: %s", w.Code, tc.want, w.Body)
			}
		})
	}
	r := httptest.NewRequest(http.MethodPost, "/v1/format?n=600", nil)
	w := httptest.NewRecorder()
	f.ServeHTTP(w, r)
	if w.Code != http.StatusMethodNotAllowed {
		t.Errorf("POST: %d", w.Code)
	}
}

// TestFormatRateLimit: one source gets its burst, then 429 until its
// bucket refills; another source is unaffected; the table of sources is
// bounded and forgets idle ones.
func TestFormatRateLimit(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	f := NewFormatter(FormatConfig{Rate: 2, Burst: 3, MaxSources: 2, Now: func() time.Time { return now }})
	get := func(addr string) int {
		r := httptest.NewRequest(http.MethodGet, "/v1/format?n=600", nil)
		r.RemoteAddr = addr
		w := httptest.NewRecorder()
		f.ServeHTTP(w, r)
		if w.Code == http.StatusTooManyRequests && w.Header().Get("Retry-After") == "" {
			t.Error("429 without Retry-After")
		}
		return w.Code
	}
	for i := range 3 {
		if c := get("192.0.2.1:1"); c != 200 {
			t.Fatalf("request %d: %d", i, c)
		}
	}
	if c := get("192.0.2.1:2"); c != http.StatusTooManyRequests {
		t.Fatalf("over the burst: %d", c)
	}
	if c := get("192.0.2.2:1"); c != 200 {
		t.Fatalf("another source: %d", c)
	}
	if c := get("192.0.2.3:1"); c != http.StatusTooManyRequests {
		t.Fatalf("a third source with the table full of busy ones: %d", c)
	}
	now = now.Add(idleAfter + time.Second)
	if c := get("192.0.2.3:1"); c != 200 {
		t.Fatalf("a third source once the others are idle: %d", c)
	}
	if c := get("192.0.2.1:1"); c != 200 {
		t.Fatalf("the first source, refilled: %d", c)
	}
}

// FuzzFormat: no query crashes the formatter, every answer is bounded
// JSON, and what it accepts is call/number's canonical form.
func FuzzFormat(f *testing.F) {
	for _, s := range []string{"n=%2B15550100042", "n=600&region=US", "n=5550100042&region=us", "n=abc", "n=%ff%fe", "region=", "n=%2B1+(555)+010-0042"} {
		f.Add(s)
	}
	h := NewFormatter(FormatConfig{Rate: 1e9, Burst: 1 << 30})
	f.Fuzz(func(t *testing.T, q string) {
		r := httptest.NewRequest(http.MethodGet, "/v1/format", nil)
		r.URL.RawQuery = q
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code != http.StatusOK {
			return
		}
		if w.Body.Len() > 4*MaxFormatQuery+256 {
			t.Fatalf("answer of %d bytes", w.Body.Len())
		}
		var got wire.Formatted
		if err := json.Unmarshal(w.Body.Bytes(), &got); err != nil {
			t.Fatalf("answer %q: %v", w.Body, err)
		}
		if got.OK {
			if _, err := number.Canonical(got.Number); err != nil {
				t.Fatalf("accepted %q: %v", got.Number, err)
			}
		} else if got.Reason == "" {
			t.Fatal("refused without a reason")
		}
	})
}

// outside is a URL with a host in it (the page's own WebSocket URL is
// built from location.host).
var outside = regexp.MustCompile(`(?i)((https?|wss?|ftp):)?//[a-z0-9-]+(\.[a-z0-9-]+)+`)

// TestPageIsSelfContained: no file of the page names another origin (no
// CDN, no outside fonts), so it works on a machine without internet; the
// CSP would refuse such a load anyway.
func TestPageIsSelfContained(t *testing.T) {
	names, err := fs.Glob(static, "static/*")
	if err != nil || len(names) < 5 {
		t.Fatalf("the page's files: %v, %v", names, err)
	}
	for _, name := range names {
		b, err := fs.ReadFile(static, name)
		if err != nil {
			t.Fatal(err)
		}
		if u := outside.FindString(string(b)); u != "" {
			t.Errorf("%s names %q", name, u)
		}
		for _, bad := range []string{"@import", "url(", "@font-face"} {
			if strings.Contains(string(b), bad) {
				t.Errorf("%s contains %q", name, bad)
			}
		}
	}
}
