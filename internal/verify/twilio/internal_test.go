package twilio

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"
)

// seedURI is the binding.uri of Twilio's TOTP quickstart.
const seedURI = "otpauth://totp/test-issuer:John%E2%80%99s%20Account%20Name?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=test-issuer&algorithm=SHA1&digits=6&period=30"

func TestRewriteURI(t *testing.T) {
	const secret = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
	cases := []struct {
		name, raw, secret, issuer, account string
		want                               string
		wantErr                            bool
	}{
		{
			name: "seed", raw: seedURI, secret: secret, issuer: "Gatehouse", account: "alice@example.com",
			want: "otpauth://totp/Gatehouse:alice@example.com?secret=" + secret +
				"&issuer=Gatehouse&algorithm=SHA1&digits=6&period=30",
		},
		{
			name: "spaces and colons escaped", raw: seedURI, secret: secret, issuer: "My Portal", account: "a:b c@x.org",
			want: "otpauth://totp/My%20Portal:a%3Ab%20c@x.org?secret=" + secret +
				"&issuer=My%20Portal&algorithm=SHA1&digits=6&period=30",
		},
		{
			name: "secret only in uri", raw: seedURI, issuer: "G", account: "a@b.c",
			want: "otpauth://totp/G:a@b.c?secret=" + secret + "&issuer=G&algorithm=SHA1&digits=6&period=30",
		},
		{
			name: "defaults for missing parameters", raw: "otpauth://totp/x?secret=" + secret, issuer: "G", account: "a@b.c",
			want: "otpauth://totp/G:a@b.c?secret=" + secret + "&issuer=G&algorithm=SHA1&digits=6&period=30",
		},
		{name: "secrets differ", raw: seedURI, secret: "JBSWY3DPEHPK3PXP", issuer: "G", account: "a", wantErr: true},
		{name: "not otpauth", raw: "https://example.com/?secret=" + secret, issuer: "G", account: "a", wantErr: true},
		{name: "hotp", raw: "otpauth://hotp/x?secret=" + secret, issuer: "G", account: "a", wantErr: true},
		{name: "no secret", raw: "otpauth://totp/x?issuer=y", issuer: "G", account: "a", wantErr: true},
		{name: "bad algorithm", raw: "otpauth://totp/x?secret=" + secret + "&algorithm=MD5%26x", issuer: "G", account: "a", wantErr: true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, gotSecret, err := rewriteURI(tc.raw, tc.secret, tc.issuer, tc.account)
			if tc.wantErr {
				if err == nil {
					t.Fatalf("rewriteURI = %q, want an error", got)
				}
				return
			}
			if err != nil || got != tc.want || gotSecret != secret {
				t.Fatalf("rewriteURI = %q, %q, %v\nwant %q", got, gotSecret, err, tc.want)
			}
		})
	}
}

// roundTripFunc adapts a function to http.RoundTripper.
type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func TestCallRewritesToBaseURL(t *testing.T) {
	var got *http.Request
	c, err := New(Options{
		AccountSID: "AC0123456789abcdef0123456789abcdef", AuthToken: "tok",
		ServiceSID: "VA0123456789abcdef0123456789abcdef",
		BaseURL:    "http://proxy.internal:8080/twilio/",
		Log:        slog.New(slog.DiscardHandler),
		HTTPClient: &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
			got = r
			return &http.Response{StatusCode: 204, Body: io.NopCloser(strings.NewReader("")), Request: r}, nil
		})},
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cl := &call{ctx: ctx, base: c}
	req, _ := http.NewRequest(http.MethodDelete, "https://verify.twilio.com/v2/Services/VA1/Entities/e/Factors/YF1", nil)
	if _, err := cl.RoundTrip(req); err != nil {
		t.Fatal(err)
	}
	if got.URL.String() != "http://proxy.internal:8080/twilio/v2/Services/VA1/Entities/e/Factors/YF1" || got.Host != "" {
		t.Fatalf("sent to %s (Host %q)", got.URL, got.Host)
	}
	if got.Context() != ctx {
		t.Fatal("request does not carry the call's context")
	}
	if req.URL.Host != "verify.twilio.com" {
		t.Fatal("the original request was modified")
	}
	if cl.status != 204 {
		t.Fatalf("status = %d", cl.status)
	}

	other, _ := http.NewRequest(http.MethodGet, "https://lookups.twilio.com/v2/PhoneNumbers/x", nil)
	if _, err := cl.RoundTrip(other); err == nil {
		t.Fatal("a request to another Twilio host was sent")
	}
}

func TestNewDefaults(t *testing.T) {
	c, err := New(Options{
		AccountSID: "AC0123456789abcdef0123456789abcdef", AuthToken: "tok",
		ServiceSID: "VA0123456789abcdef0123456789abcdef",
	})
	if err != nil {
		t.Fatal(err)
	}
	if c.base.String() != DefaultBaseURL || c.timeout != DefaultTimeout || c.issuer != DefaultIssuer || c.log == nil {
		t.Fatalf("defaults: base %s, timeout %v, issuer %q", c.base, c.timeout, c.issuer)
	}
	if c.timeout != 5*time.Second {
		t.Fatal("default timeout is not 5s")
	}
}

func TestMaskPhone(t *testing.T) {
	if got := maskPhone("+15005550006"); got != "+*********06" {
		t.Fatalf("maskPhone = %q", got)
	}
	if got := maskPhone("+1"); got != "**" {
		t.Fatalf("maskPhone short = %q", got)
	}
}
