package wire

import (
	"strings"
	"testing"
)

func TestLinkMessages(t *testing.T) {
	const key = `"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="`
	const sig = `"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=="`
	for _, tc := range []struct {
		name, msg string
		want      Code // "" accepts
	}{
		{"hello with a link", `{"v":1,"type":"hello","number":"+15551230001","key":` + key + `,"link":"7K3M-Q9ZD-X2AB-PH4T","device":"laptop"}`, ""},
		{"device name with a control byte", `{"v":1,"type":"hello","number":"+15551230001","key":` + key + `,"device":"a\u0007"}`, CodeBadMessage},
		{"device name too long", `{"v":1,"type":"hello","number":"+15551230001","key":` + key + `,"device":"` + strings.Repeat("x", MaxDeviceName+1) + `"}`, CodeBadMessage},
		{"device name with a space at the end", `{"v":1,"type":"unlink","device":"laptop "}`, CodeBadMessage},
		{"link too long", `{"v":1,"type":"hello","number":"+15551230001","key":` + key + `,"link":"` + strings.Repeat("x", MaxToken+1) + `"}`, CodeTooLarge},
		{"link-new", `{"v":1,"type":"link-new","seq":1}`, ""},
		{"link-cert", `{"v":1,"type":"link-cert","key":` + key + `,"device":"laptop","at":1800000000,"sig":` + sig + `}`, ""},
		{"link-cert without at", `{"v":1,"type":"link-cert","key":` + key + `,"device":"laptop","sig":` + sig + `}`, CodeBadMessage},
		{"link-cert short sig", `{"v":1,"type":"link-cert","key":` + key + `,"device":"laptop","at":1,"sig":"AA=="}`, CodeBadMessage},
		{"unlink without device", `{"v":1,"type":"unlink"}`, CodeBadMessage},
		{"link-code without ttl", `{"v":1,"type":"link-code","link":"x"}`, CodeBadMessage},
		{"link-request", `{"v":1,"type":"link-request","number":"+15551230001","device":"laptop","key":` + key + `,"at":1}`, ""},
		{"chain with a short sig", `{"v":1,"type":"registered","number":"+15551230001","session":"s","chain":[{"body":"AA==","sig":"AA=="}]}`, CodeBadMessage},
		{"too many devices", `{"v":1,"type":"device-list","devices":[` + strings.Repeat(`{"name":"a","key":"AA=="},`, MaxDevices) + `{"name":"a","key":"AA=="}]}`, CodeTooLarge},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Decode([]byte(tc.msg))
			var got Code
			if e, ok := err.(*Error); ok {
				got = e.Code
			} else if err != nil {
				t.Fatalf("error %v is not an *Error", err)
			}
			if got != tc.want {
				t.Fatalf("got %q (%v), want %q", got, err, tc.want)
			}
		})
	}
	for typ, client := range map[Type]bool{TypeLinkNew: true, TypeLinkCert: true, TypeListDevices: true, TypeUnlink: true,
		TypeLinkCode: false, TypeLinkRequest: false, TypeDeviceList: false, TypeUnlinked: false} {
		if ClientTypes[typ] != client {
			t.Errorf("%s: client type %v, want %v", typ, ClientTypes[typ], client)
		}
	}
}
