package sigclient

import (
	"strings"
	"testing"
)

func TestParseURL(t *testing.T) {
	tests := []struct{ in, want, err string }{
		{"ws://127.0.0.1:1/v1", "ws://127.0.0.1:1/v1", ""},
		{"ws://example.org:8080", "ws://example.org:8080/v1", ""},
		{"wss://example.org/", "wss://example.org/v1", ""},
		{"wss://example.org/phone/v1", "wss://example.org/phone/v1", ""},
		{"ws://[::1]:7000", "ws://[::1]:7000/v1", ""},
		{"example.org:7000", "ws://example.org:7000/v1", ""},
		{"127.0.0.1:7000", "ws://127.0.0.1:7000/v1", ""},
		{" [::1]:7000 ", "ws://[::1]:7000/v1", ""},
		{"foo", "", "want ws://host:port/v1"},
		{"", "", "empty"},
		{"foo:bar", "", "want ws://"},
		{"foo:0", "", "want ws://"},
		{"fo_o:80", "", "want ws://"},
		{"http://example.org:7000", "", "write ws://example.org:7000/v1"},
		{"https://example.org", "", "write wss://example.org/v1"},
		{"ftp://example.org", "", "unknown scheme"},
		{"ws://", "", "no valid host"},
		{"ws://a b:1", "", "want ws://"},
		{"ws://example.org:99999/v1", "", "no valid host"},
		{"ws://u:p@example.org/v1", "", "no user"},
	}
	for _, tt := range tests {
		got, err := ParseURL(tt.in)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("ParseURL(%q) = %q, %v; want an error containing %q", tt.in, got, err, tt.err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("ParseURL(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
}
