package access

import (
	"errors"
	"strings"
	"testing"
)

func TestReturnURLAccepts(t *testing.T) {
	tests := []struct{ rd, want string }{
		{"https://app.example.com/", "https://app.example.com/"},
		{"https://example.com", "https://example.com"},
		{"https://a.b.example.com/x/y?q=1&r=%2F#frag", "https://a.b.example.com/x/y?q=1&r=%2F#frag"},
		{"HTTPS://APP.Example.COM/Path", "https://app.example.com/Path"},
		{"https://app.example.com:8443/", "https://app.example.com:8443/"},
		{"https://app.example.com//evil.com", "https://app.example.com//evil.com"},
		{"https://app.example.com/users/@me", "https://app.example.com/users/@me"},
		{"https://app.example.com#@evil.com", "https://app.example.com#@evil.com"},
		{"https://xn--80ak6aa92e.example.com/", "https://xn--80ak6aa92e.example.com/"},
	}
	for _, tt := range tests {
		got, ok := ReturnURL(tt.rd, "example.com", true)
		if !ok || got != tt.want {
			t.Errorf("ReturnURL(%q) = %q, %v; want %q, true", tt.rd, got, ok, tt.want)
		}
	}
}

func TestReturnURLRefuses(t *testing.T) {
	long := "https://app.example.com/" + strings.Repeat("a", maxReturnURL)
	for _, rd := range []string{
		"",
		long,
		"https://example.com.evil.com/",
		"https://evilexample.com/",
		"https://example.com@evil.com/",
		"https://user@evil.com@app.example.com/",
		"https://user:pass@app.example.com/",
		"https://app.example.com%2f@evil.com/",
		"https://evil.com%23.example.com/",
		"https://evil.com%2eexample.com/",
		"https://app%2eexample.com/",
		"https://evil.com?.example.com",
		"https://evil.com#.example.com",
		"https://evil.com/.example.com",
		"https://evil.com\\.example.com",
		"javascript:alert(1)//app.example.com",
		"JavaScript://app.example.com/%0aalert(1)",
		"data:text/html,app.example.com",
		"//evil.com",
		"//app.example.com/",
		"/dashboard",
		"app.example.com/",
		"https:\\\\evil.com",
		"https:/\\evil.com",
		"https:/app.example.com",
		"https:app.example.com",
		"https:///app.example.com",
		"ftp://app.example.com/",
		"wss://app.example.com/",
		" https://app.example.com/",
		"https://app.example.com/ ",
		"https://app.example.com/\tx",
		"https://app.exa\nmple.com/",
		"https://app.example.com/\r\nSet-Cookie:x",
		"https://app.example.com\x00.evil.com/",
		"https://app.example.com/\x7f",
		"https://app.exаmple.com/",
		"https://аpp.example.com/",
		"https://app.xn--exmple-cua.com/",
		"https://app.example.com./",
		"https://app.example.com..",
		"https://.example.com/",
		"https://app..example.com/",
		"https://-app.example.com/",
		"https://app_x.example.com/",
		"https://app.example.com:/",
		"https://app.example.com:0/",
		"https://app.example.com:65536/",
		"https://app.example.com:+443/",
		"https://app.example.com:443:443/",
		"https://app.example.com:https/",
		"https://[::1]/",
		"https://[::ffff:127.0.0.1]/",
		"https://[fe80::1%25eth0]/",
		"https://127.0.0.1/",
		"https://example.com.127.0.0.1/",
		"https://*.example.com/",
	} {
		if got, ok := ReturnURL(rd, "example.com", true); ok {
			t.Errorf("ReturnURL(%q) accepted as %q", rd, got)
		}
	}
}

func TestReturnURLScheme(t *testing.T) {
	if _, ok := ReturnURL("http://app.example.com/", "example.com", true); ok {
		t.Error("http accepted although the portal is https")
	}
	if got, ok := ReturnURL("HTTP://app.example.com/", "example.com", false); !ok || got != "http://app.example.com/" {
		t.Errorf("http portal: %q, %v", got, ok)
	}
	if got, ok := ReturnURL("https://app.example.com/", "example.com", false); !ok || got != "https://app.example.com/" {
		t.Errorf("https under an http portal: %q, %v", got, ok)
	}
}

func TestReturnURLCookieDomain(t *testing.T) {
	tests := []struct {
		domain string
		ok     bool
	}{
		{"example.com", true},
		{".Example.COM", true},
		{"app.example.com", true},
		{"other.example.com", false},
		{"", false},
		{"com", false},
		{"evil.com", false},
	}
	for _, tt := range tests {
		if _, ok := ReturnURL("https://app.example.com/", tt.domain, true); ok != tt.ok {
			t.Errorf("cookie domain %q: ok = %v, want %v", tt.domain, ok, tt.ok)
		}
	}
}

func TestParseCookieDomain(t *testing.T) {
	ok := map[string]string{
		"example.com":        "example.com",
		".example.com":       "example.com",
		" Example.COM ":      "example.com",
		"login.example.test": "login.example.test",
		"example.co.uk":      "example.co.uk",
		"":                   "",
		"  ":                 "",
	}
	for in, want := range ok {
		got, err := ParseCookieDomain(in)
		if err != nil || got != want {
			t.Errorf("ParseCookieDomain(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []string{
		"com", ".com", "localhost", "co.uk", ".co.uk", "github.io",
		"example.com.", "..example.com", "*.example.com", "example.com:443",
		"https://example.com", "exa mple.com", "exämple.com", "127.0.0.1", "[::1]", "::1", ".",
	} {
		if got, err := ParseCookieDomain(in); !errors.Is(err, ErrBadCookieDomain) {
			t.Errorf("ParseCookieDomain(%q) = %q, %v; want ErrBadCookieDomain", in, got, err)
		}
	}
}

func TestCleanHeader(t *testing.T) {
	for _, v := range []string{"", "GET", "https", "app.example.com:8443", "/path?q=a%00b&x=é"} {
		if err := CleanHeader(v); err != nil {
			t.Errorf("CleanHeader(%q) = %v", v, err)
		}
	}
	for _, v := range []string{"\x00", "/a\x00b", "app.example.com\r\nX: y", "a\tb", "a\nb", "\x1f", "\x7f"} {
		if err := CleanHeader(v); !errors.Is(err, ErrBadHeader) {
			t.Errorf("CleanHeader(%q) = %v, want ErrBadHeader", v, err)
		}
	}
}
