package web

import (
	"net/netip"
	"testing"

	"gatehouse/internal/captcha"
)

func TestSafeNext(t *testing.T) {
	cases := []struct{ in, want string }{
		{"/dashboard", "/dashboard"},
		{"/account/phone", "/account/phone"},
		{"/account?tab=phone#x", "/account?tab=phone#x"},
		{"/a%20b", "/a%20b"},
		{"", ""},
		{"/", ""},
		{"//evil", ""},
		{"//evil.example/path", ""},
		{"///evil", ""},
		{`/\evil`, ""},
		{`/\/evil`, ""},
		{`/a\b`, ""},
		{"/%2F%2Fevil", ""},
		{"/%2f%2fevil", ""},
		{"/%5Cevil", ""},
		{"/%252F%252Fevil", ""}, // encoded twice
		{"/%25252F%25252Fevil", ""},
		{"%2F%2Fevil", ""},
		{"%2Fdashboard", ""},
		{"https:evil", ""},
		{"https://evil.example", ""},
		{"http:/evil", ""},
		{"javascript:alert(1)", ""},
		{"JavaScript:alert(1)", ""},
		{"/%0d%0aLocation:%20evil", ""},
		{"/\x00", ""},
		{"/a\tb", ""},
		{"/%zz", ""},
		{"dashboard", ""},
		{" /dashboard", ""},
		{"/" + string(make([]byte, 3000)), ""},
	}
	for _, tc := range cases {
		if got := safeNext(tc.in); got != tc.want {
			t.Errorf("safeNext(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestResolveClientIP(t *testing.T) {
	trusted := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("::1/128")}
	cases := []struct {
		name, remote string
		xff          []string
		want         string
	}{
		{"direct", "203.0.113.7:5555", nil, "203.0.113.7"},
		{"forged xff from untrusted peer", "203.0.113.7:5555", []string{"198.51.100.1"}, "203.0.113.7"},
		{"trusted proxy", "10.0.0.2:80", []string{"198.51.100.1"}, "198.51.100.1"},
		{"client forges left of proxy", "10.0.0.2:80", []string{"1.2.3.4, 198.51.100.1"}, "198.51.100.1"},
		{"chain of trusted proxies", "10.0.0.2:80", []string{"198.51.100.1, 10.0.0.5, 10.0.0.9"}, "198.51.100.1"},
		{"several header lines", "10.0.0.2:80", []string{"1.2.3.4", "198.51.100.1, 10.0.0.5"}, "198.51.100.1"},
		{"trusted proxy without xff", "10.0.0.2:80", nil, "10.0.0.2"},
		{"garbage entry", "10.0.0.2:80", []string{"1.2.3.4, not-an-ip"}, "10.0.0.2"},
		{"all trusted", "10.0.0.2:80", []string{"10.0.0.3, 10.0.0.4"}, "10.0.0.3"},
		{"xff with port", "10.0.0.2:80", []string{"198.51.100.1:4711"}, "198.51.100.1"},
		{"ipv6 peer", "[2001:db8::1]:443", []string{"198.51.100.1"}, "2001:db8::1"},
		{"ipv6 trusted", "[::1]:443", []string{"2001:db8::2"}, "2001:db8::2"},
		{"mapped ipv4", "[::ffff:203.0.113.7]:1", nil, "203.0.113.7"},
		{"unparseable peer", "pipe", []string{"198.51.100.1"}, "pipe"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := resolveClientIP(tc.remote, tc.xff, trusted); got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

func TestContentSecurityPolicy(t *testing.T) {
	want := "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
		"frame-ancestors 'none'; base-uri 'none'; form-action 'self'; object-src 'none'"
	pow, _ := captcha.Lookup("pow")
	if got := contentSecurityPolicy(pow); got != want {
		t.Errorf("pow: %q", got)
	}
	for _, kind := range []string{"recaptcha", "hcaptcha", "turnstile"} {
		p, ok := captcha.Lookup(kind)
		if !ok {
			t.Fatalf("no provider %s", kind)
		}
		got := contentSecurityPolicy(p)
		if got == want {
			t.Errorf("%s: no provider origins", kind)
		}
	}
}
