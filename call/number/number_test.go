package number

import (
	"errors"
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	tests := []struct {
		in, region string
		want       Number
		wantErr    bool
	}{
		{"+1 555 123 4567", "", "+15551234567", false},
		{"+1 (555) 123-4567", "GB", "+15551234567", false},
		{"(555) 123-4567", "US", "+15551234567", false},
		{"020 7946 0000", "GB", "+442079460000", false},
		{"  +44 20 7946 0000 ", "", "+442079460000", false},
		{"600", "", "600", false},
		{"600", "US", "600", false},
		{"12", "", "12", false},
		{"1", "", "", true},
		{"555 123 4567", "", "", true}, // no region, no +
		{"", "US", "", true},
		{"   ", "US", "", true},
		{"+999 123 456", "", "", true}, // unknown country code
		{"+1 555", "", "", true},       // too short
		{"+1 555 123 4567 ext. 12", "", "", true},
		{"hello", "US", "", true},
		{strings.Repeat("1", MaxInput+1), "US", "", true},
		{"+4915123456789", "", "+4915123456789", false},
	}
	for _, tt := range tests {
		t.Run(tt.in+"/"+tt.region, func(t *testing.T) {
			got, err := Parse(tt.in, tt.region)
			if tt.wantErr {
				if !errors.Is(err, ErrInvalid) {
					t.Fatalf("Parse(%q) = %q, %v; want ErrInvalid", tt.in, got, err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("Parse(%q, %q) = %q, %v; want %q", tt.in, tt.region, got, err, tt.want)
			}
		})
	}
}

// TestReasons: a refused number says why, in words a person can act on.
func TestReasons(t *testing.T) {
	for _, tt := range []struct{ in, region, want string }{
		{"+1 555", "", "too short for a +1 number"},
		{"+1 555 010 00421", "", "too long for a +1 number"},
		{"+1 000 000 0000", "", "does not fit the +1 numbering plan"},
		{"+1 123 456 7890", "", "does not fit the +1 numbering plan"},
		{"+999 123 456", "", "no known country code"},
		{"202 555 0100", "", "no country code: start with +"},
		{"", "US", "nothing typed"},
		{"+1 555 010 0042 ext 9", "", "extension"},
	} {
		t.Run(tt.in, func(t *testing.T) {
			n, err := Parse(tt.in, tt.region)
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("Parse(%q) = %q, %v; want ErrInvalid", tt.in, n, err)
			}
			if got := Reason(err); !strings.Contains(got, tt.want) {
				t.Errorf("Reason = %q, want it to say %q", got, tt.want)
			}
		})
	}
	// Fictional 555 numbers, which the README and the tests use, still work.
	for _, ok := range []string{"+1 555 010 0042", "+1 555 123 0001", "+1 202 555 0100", "+44 20 7946 0000", "+800 1234 5678"} {
		if _, err := Parse(ok, ""); err != nil {
			t.Errorf("Parse(%q): %v", ok, err)
		}
	}
}

func TestRegion(t *testing.T) {
	for n, want := range map[Number]string{
		"+15550100042": "US", "+12025550100": "US", "+442079460000": "GB", "+4930123456": "DE",
		"+14165550100": "CA", "600": "", "+80012345678": "", "": "",
	} {
		if got := Region(n); got != want {
			t.Errorf("Region(%q) = %q, want %q", n, got, want)
		}
	}
}

func TestCanonical(t *testing.T) {
	for _, ok := range []string{"+15551234567", "600", "+442079460000"} {
		if n, err := Canonical(ok); err != nil || string(n) != ok {
			t.Errorf("Canonical(%q) = %q, %v", ok, n, err)
		}
	}
	for _, bad := range []string{"", "+1 555 123 4567", "15551234567x", "+", "1", "1234567", "+999123456", "+1555", "+1555123456789012", "(555)1234567"} {
		if n, err := Canonical(bad); !errors.Is(err, ErrInvalid) {
			t.Errorf("Canonical(%q) = %q, %v; want ErrInvalid", bad, n, err)
		}
	}
}

func TestNames(t *testing.T) {
	n := Number("+15551234567")
	if n.Digits() != "15551234567" || n.IsService() {
		t.Fatalf("digits %q service %v", n.Digits(), n.IsService())
	}
	if got, want := n.ENUM(), "7.6.5.4.3.2.1.5.5.5.1.e164.arpa."; got != want {
		t.Fatalf("ENUM = %q, want %q", got, want)
	}
	s := Number("600")
	if !s.IsService() || s.ENUM() != "" || s.Digits() != "600" {
		t.Fatalf("service code: %v %q %q", s.IsService(), s.ENUM(), s.Digits())
	}
	for _, d := range []string{"15551234567", "600"} {
		back, err := FromDigits(d)
		if err != nil || back.Digits() != d {
			t.Fatalf("FromDigits(%q) = %q, %v", d, back, err)
		}
	}
	if back, _ := FromDigits("15551234567"); back != n {
		t.Fatalf("FromDigits round trip = %q", back)
	}
	for _, bad := range []string{"", "12a", "1234567890123456"} {
		if _, err := FromDigits(bad); !errors.Is(err, ErrInvalid) {
			t.Errorf("FromDigits(%q) err = %v", bad, err)
		}
	}
}

func TestFormat(t *testing.T) {
	tests := []struct {
		n      Number
		region string
		want   string
	}{
		{"+442079460000", "", "+44 20 7946 0000"},
		{"+442079460000", "GB", "020 7946 0000"},
		{"+12025550143", "GB", "+1 202-555-0143"},
		{"600", "US", "600"},
		// Fictional numbers are the region's too, and read as its own.
		{"+15550100042", "US", "(555) 010-0042"},
		{"+15550100042", "GB", "+1 555-010-0042"},
	}
	for _, tt := range tests {
		if got := Format(tt.n, tt.region); got != tt.want {
			t.Errorf("Format(%q, %q) = %q, want %q", tt.n, tt.region, got, tt.want)
		}
	}
}

// TestTyped: a number is shown formatted once it is possible, and as typed
// before then (and when it is too long, or not a number at all).
func TestTyped(t *testing.T) {
	for _, tt := range []struct{ in, region string }{
		{"+15550100042", ""}, {"+15550100042", "US"}, {"5550100042", "US"}, {"+1555", ""},
		{"+442079460000", ""}, {"02079460000", "GB"}, {"600", ""}, {"+1 555 010 0042 9", ""}, {"abc", ""}, {"", "US"},
	} {
		want := tt.in
		if n, err := Parse(tt.in, tt.region); err == nil && !n.IsService() {
			want = Format(n, tt.region)
		}
		if got := Typed(tt.in, tt.region); got != want {
			t.Errorf("Typed(%q, %q) = %q, want %q", tt.in, tt.region, got, want)
		}
	}
	if got := Typed("5550100042", "US"); got != "(555) 010-0042" {
		t.Errorf("a national number reads %q", got)
	}
	if got := Typed("+1555", ""); got != "+1555" {
		t.Errorf("a half-typed number reads %q, want it as typed", got)
	}
}

// FuzzParse checks that no input crashes the parser and that whatever it
// accepts is canonical and stable.
func FuzzParse(f *testing.F) {
	for _, s := range []string{"+15551234567", "(555) 123-4567", "600", "+44 20 7946 0000", "", "++1", "+1 555 ext 9", "\x00\xff"} {
		f.Add(s, "US")
		f.Add(s, "")
	}
	f.Fuzz(func(t *testing.T, s, region string) {
		if len(region) > 3 {
			region = region[:3]
		}
		n, err := Parse(s, region)
		if err != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("Parse(%q) error %v is not ErrInvalid", s, err)
			}
			return
		}
		c, err := Canonical(string(n))
		if err != nil || c != n {
			t.Fatalf("Parse(%q) = %q, which is not canonical: %v", s, n, err)
		}
		if back, err := FromDigits(n.Digits()); err != nil || back != n {
			t.Fatalf("digits of %q do not round-trip: %q %v", n, back, err)
		}
	})
}
