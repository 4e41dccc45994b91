package media

import (
	"slices"
	"testing"
)

func TestRelayURLs(t *testing.T) {
	tests := []struct{ in, want []string }{
		{[]string{"turn:1.2.3.4:3478?transport=udp", "turn:1.2.3.4:3478?transport=tcp"}, []string{"turn:1.2.3.4:3478?transport=udp"}},
		{[]string{"turn:1.2.3.4:3478"}, []string{"turn:1.2.3.4:3478"}},
		{[]string{"turn:1.2.3.4:3478?transport=tcp"}, []string{"turn:1.2.3.4:3478?transport=tcp"}},
	}
	for _, tt := range tests {
		if got := relayURLs(tt.in); !slices.Equal(got, tt.want) {
			t.Errorf("relayURLs(%v) = %v, want %v", tt.in, got, tt.want)
		}
	}
}
