package echo

import (
	"slices"
	"testing"

	"github.com/pion/webrtc/v4"

	"github.com/dialtone/dialtone/call/wire"
)

func TestNetworkTypes(t *testing.T) {
	udp4 := []webrtc.NetworkType{webrtc.NetworkTypeUDP4}
	for _, tc := range []struct {
		name string
		urls []string
		want []webrtc.NetworkType
	}{
		{"no relay", nil, udp4},
		{"loopback, udp and tcp", []string{"turn:127.0.0.1:7778?transport=udp", "turn:127.0.0.1:7778?transport=tcp"}, udp4},
		{"IPv6 relay", []string{"turn:[::1]:7778?transport=udp"}, []webrtc.NetworkType{webrtc.NetworkTypeUDP6}},
		{"both families", []string{"turn:[2001:db8::1]:3478?transport=udp", "turn:192.0.2.1:3478?transport=udp"},
			[]webrtc.NetworkType{webrtc.NetworkTypeUDP6}},
		{"a host name", []string{"turn:relay.example.net:3478?transport=udp"}, udp4},
		{"TCP only", []string{"turn:[::1]:3478?transport=tcp"}, []webrtc.NetworkType{webrtc.NetworkTypeUDP6}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := &Echo{}
			var r *wire.Relay
			if tc.urls != nil {
				r = &wire.Relay{URLs: tc.urls}
			}
			if got := e.networkTypes(r); !slices.Equal(got, tc.want) {
				t.Errorf("networkTypes(%v) = %v, want %v", tc.urls, got, tc.want)
			}
		})
	}
}

func TestRelayURL(t *testing.T) {
	for _, tc := range []struct{ urls, want []string }{
		{nil, nil},
		{[]string{"turn:127.0.0.1:1?transport=tcp", "turn:127.0.0.1:1?transport=udp"}, []string{"turn:127.0.0.1:1?transport=udp"}},
		{[]string{"turn:[::1]:1?transport=udp", "turn:127.0.0.1:1?transport=udp"}, []string{"turn:[::1]:1?transport=udp"}},
		{[]string{"turns:relay.example.net:443?transport=tcp"}, []string{"turns:relay.example.net:443?transport=tcp"}},
	} {
		if got := relayURL(tc.urls); !slices.Equal(got, tc.want) {
			t.Errorf("relayURL(%v) = %v, want %v", tc.urls, got, tc.want)
		}
	}
}

func TestConfigValidate(t *testing.T) {
	var c Config
	if err := c.validate(); err != nil {
		t.Fatal(err)
	}
	if c.Code != DefaultCode || c.Name != DefaultName || c.MaxCalls != DefaultMaxCalls ||
		c.MaxDuration != DefaultMaxDuration || c.SetupTimeout != DefaultSetupTimeout || c.Logger == nil {
		t.Errorf("defaults %+v", c)
	}
	for _, bad := range []Config{{MaxCalls: -1}, {MaxDuration: -1}, {SetupTimeout: -1}} {
		if err := bad.validate(); err == nil {
			t.Errorf("%+v validated", bad)
		}
	}
}
