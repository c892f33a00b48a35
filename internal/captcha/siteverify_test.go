package captcha

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeProvider is a siteverify endpoint that records what it was sent.
type fakeProvider struct {
	srv    *httptest.Server
	mu     sync.Mutex
	forms  []url.Values
	status int
	body   string
	delay  time.Duration
}

func newFakeProvider(t *testing.T, status int, body string) *fakeProvider {
	f := &fakeProvider{status: status, body: body}
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || r.Header.Get("Content-Type") != "application/x-www-form-urlencoded" {
			t.Errorf("provider got %s with Content-Type %q", r.Method, r.Header.Get("Content-Type"))
		}
		if r.URL.RawQuery != "" {
			t.Errorf("provider got a query string %q; secrets belong in the body", r.URL.RawQuery)
		}
		b, _ := io.ReadAll(r.Body)
		form, err := url.ParseQuery(string(b))
		if err != nil {
			t.Errorf("provider body: %v", err)
		}
		f.mu.Lock()
		f.forms = append(f.forms, form)
		f.mu.Unlock()
		select {
		case <-time.After(f.delay):
		case <-r.Context().Done():
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(f.status)
		io.WriteString(w, f.body)
	}))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeProvider) count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.forms)
}

func newTestSiteverify(t *testing.T, kind, verifyURL string, client *http.Client) (*Siteverify, *fakeSpender) {
	t.Helper()
	sp := newFakeSpender()
	s, err := NewSiteverify(SiteverifyOptions{Kind: kind, SiteKey: "site-key", Secret: "s3cr3t", VerifyURL: verifyURL, Client: client, Spender: sp, UsedKey: testUsedKey, Now: func() time.Time { return testStart }})
	if err != nil {
		t.Fatal(err)
	}
	return s, sp
}

func TestSiteverify(t *testing.T) {
	tests := []struct {
		name   string
		status int
		body   string
		want   error
	}{
		{"success", 200, `{"success":true,"challenge_ts":"2025-03-01T12:00:00Z","hostname":"example.com","error-codes":[]}`, nil},
		{"failure", 200, `{"success":false,"error-codes":["invalid-input-response"]}`, ErrInvalid},
		{"failure without codes", 200, `{"success":false}`, ErrInvalid},
		{"timeout or duplicate", 200, `{"success":false,"error-codes":["timeout-or-duplicate"]}`, ErrExpired},
		{"server error", 500, `{"success":true}`, ErrUnavailable},
		{"bad gateway page", 502, `<html>bad gateway</html>`, ErrUnavailable},
		{"not JSON", 200, `<html>hello</html>`, ErrUnavailable},
		{"empty body", 200, ``, ErrUnavailable},
		{"no verdict", 200, `{"error-codes":[]}`, ErrUnavailable},
		{"success as string", 200, `{"success":"true"}`, ErrUnavailable},
		{"null", 200, `null`, ErrUnavailable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeProvider(t, tt.status, tt.body)
			s, _ := newTestSiteverify(t, "hcaptcha", f.srv.URL, nil)
			err := s.Verify(context.Background(), "user-token", "203.0.113.7")
			wantErr(t, err, tt.want)
			if err != nil && (strings.Contains(err.Error(), "user-token") || strings.Contains(err.Error(), "s3cr3t")) {
				t.Errorf("error reveals the token or secret: %v", err)
			}
			if f.count() != 1 {
				t.Fatalf("provider called %d times, want 1", f.count())
			}
			form := f.forms[0]
			for k, want := range map[string]string{"secret": "s3cr3t", "response": "user-token", "remoteip": "203.0.113.7"} {
				if got := form[k]; len(got) != 1 || got[0] != want {
					t.Errorf("posted %s = %q, want %q", k, got, want)
				}
			}
			if len(form) != 3 {
				t.Errorf("posted fields %v, want secret, response, remoteip", form)
			}
		})
	}
}

func TestSiteverifySingleUse(t *testing.T) {
	f := newFakeProvider(t, 200, `{"success":true}`)
	s, sp := newTestSiteverify(t, "recaptcha", f.srv.URL, nil)
	ctx := context.Background()
	wantErr(t, s.Verify(ctx, "tok", ""), nil)
	wantErr(t, s.Verify(ctx, "tok", "198.51.100.1"), ErrReused)
	if n := f.count(); n != 1 {
		t.Fatalf("provider called %d times, want 1: a reused token must not reach it", n)
	}
	if _, ok := f.forms[0]["remoteip"]; ok {
		t.Errorf("remoteip posted although unknown")
	}
	exp, ok := sp.spent[macHex(testUsedKey, "tok")]
	if !ok || !exp.Equal(testStart.Add(5*time.Minute)) {
		t.Errorf("spent = %v, want HMAC(UsedKey, token) until now+5m", sp.spent)
	}
}

func TestSiteverifyNoProviderCall(t *testing.T) {
	tests := []struct {
		name  string
		token string
		spErr error
		want  error
	}{
		{"empty", "", nil, ErrMissing},
		{"too long", strings.Repeat("a", 20000), nil, ErrInvalid},
		{"store down", "tok", errors.New("disk full"), ErrUnavailable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeProvider(t, 200, `{"success":true}`)
			s, sp := newTestSiteverify(t, "turnstile", f.srv.URL, nil)
			sp.err = tt.spErr
			wantErr(t, s.Verify(context.Background(), tt.token, ""), tt.want)
			if f.count() != 0 {
				t.Errorf("provider was called")
			}
		})
	}
}

func TestSiteverifyNetwork(t *testing.T) {
	t.Run("connection refused", func(t *testing.T) {
		f := newFakeProvider(t, 200, `{"success":true}`)
		f.srv.Close()
		s, _ := newTestSiteverify(t, "turnstile", f.srv.URL, nil)
		wantErr(t, s.Verify(context.Background(), "tok", ""), ErrUnavailable)
	})
	t.Run("client timeout", func(t *testing.T) {
		f := newFakeProvider(t, 200, `{"success":true}`)
		f.delay = 5 * time.Second
		s, _ := newTestSiteverify(t, "turnstile", f.srv.URL, &http.Client{Timeout: 50 * time.Millisecond})
		start := time.Now()
		wantErr(t, s.Verify(context.Background(), "tok", ""), ErrUnavailable)
		if d := time.Since(start); d > 2*time.Second {
			t.Errorf("Verify took %v despite a 50ms timeout", d)
		}
	})
	t.Run("request context", func(t *testing.T) {
		f := newFakeProvider(t, 200, `{"success":true}`)
		f.delay = 5 * time.Second
		s, _ := newTestSiteverify(t, "turnstile", f.srv.URL, nil)
		ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
		defer cancel()
		start := time.Now()
		err := s.Verify(ctx, "tok", "")
		wantErr(t, err, ErrUnavailable)
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("err = %v, want the context's deadline wrapped", err)
		}
		if d := time.Since(start); d > 2*time.Second {
			t.Errorf("Verify took %v despite a 50ms deadline", d)
		}
	})
}

func TestNewSiteverifyOptions(t *testing.T) {
	for kind, want := range map[string]string{
		"recaptcha": "https://www.google.com/recaptcha/api/siteverify",
		"hcaptcha":  "https://api.hcaptcha.com/siteverify",
		"turnstile": "https://challenges.cloudflare.com/turnstile/v0/siteverify",
	} {
		s, _ := newTestSiteverify(t, kind, "", nil)
		if s.verifyURL != want || s.Kind() != kind || s.SiteKey() != "site-key" {
			t.Errorf("%s: url %q kind %q sitekey %q", kind, s.verifyURL, s.Kind(), s.SiteKey())
		}
		if s.client == nil || s.client.Timeout != 10*time.Second {
			t.Errorf("%s: default client %+v, want a 10s timeout", kind, s.client)
		}
	}
	ok := SiteverifyOptions{Kind: "turnstile", SiteKey: "k", Secret: "0x-very-secret", Spender: newFakeSpender(), UsedKey: testUsedKey}
	tests := []struct {
		name   string
		mutate func(*SiteverifyOptions)
	}{
		{"unknown kind", func(o *SiteverifyOptions) { o.Kind = "pow" }},
		{"no kind", func(o *SiteverifyOptions) { o.Kind = "" }},
		{"no site key", func(o *SiteverifyOptions) { o.SiteKey = "" }},
		{"no secret", func(o *SiteverifyOptions) { o.Secret = "" }},
		{"no spender", func(o *SiteverifyOptions) { o.Spender = nil }},
		{"short used key", func(o *SiteverifyOptions) { o.UsedKey = []byte("x") }},
		{"relative url", func(o *SiteverifyOptions) { o.VerifyURL = "/siteverify" }},
	}
	for _, tt := range tests {
		o := ok
		tt.mutate(&o)
		_, err := NewSiteverify(o)
		if err == nil {
			t.Errorf("%s: NewSiteverify succeeded", tt.name)
		} else if strings.Contains(err.Error(), "0x-very-secret") {
			t.Errorf("%s: error may reveal the secret: %v", tt.name, err)
		}
	}
	if _, err := NewSiteverify(ok); err != nil {
		t.Errorf("valid options: %v", err)
	}
}

// Captcha is satisfied by both kinds.
var (
	_ Captcha = (*PoW)(nil)
	_ Captcha = (*Siteverify)(nil)
)
