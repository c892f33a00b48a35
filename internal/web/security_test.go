package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"

	"net/http/httptest"

	"gatehouse/internal/web"
)

const strictCSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'; object-src 'none'"

func checkHeaders(t *testing.T, r resp, https bool) {
	t.Helper()
	for k, want := range map[string]string{
		"Content-Security-Policy": strictCSP,
		"X-Content-Type-Options":  "nosniff",
		"Referrer-Policy":         "same-origin",
		"X-Frame-Options":         "DENY",
	} {
		if got := r.header.Get(k); got != want {
			t.Errorf("%s = %q, want %q", k, got, want)
		}
	}
	if hsts := r.header.Get("Strict-Transport-Security"); (hsts != "") != https {
		t.Errorf("Strict-Transport-Security = %q on https=%v", hsts, https)
	}
}

var (
	scriptTag   = regexp.MustCompile(`(?is)<script\b([^>]*)>(.*?)</script>`)
	inlineStyle = regexp.MustCompile(`(?i)<style\b|\sstyle\s*=|\son[a-z]+\s*=|javascript:`)
)

// inlineCode returns the first inline script, inline style, style
// attribute or event handler attribute of a page: the CSP forbids them.
func inlineCode(body string) string {
	for _, m := range scriptTag.FindAllStringSubmatch(body, -1) {
		if !strings.Contains(m[1], "src=") || strings.TrimSpace(m[2]) != "" {
			return m[0]
		}
	}
	return inlineStyle.FindString(body)
}

func TestSecurityHeadersAndNoInlineCode(t *testing.T) {
	h := newHarness(t)
	c := h.member("ada@example.com")
	expect(t, c.post("/account/phone", url.Values{"phone": {phoneB}}), http.StatusSeeOther, "/account/phone/verify")
	anon := h.client()
	pages := map[string]*client{
		"/login": anon, "/register": anon, "/nope": anon,
		"/dashboard": c, "/account": c, "/account/phone": c, "/account/phone/verify": c,
	}
	for p, cl := range pages {
		r := cl.get(p)
		checkHeaders(t, r, false)
		if cc := r.header.Values("Cache-Control"); len(cc) != 1 || cc[0] != "no-store" {
			t.Errorf("%s: Cache-Control %q", p, cc)
		}
		if m := inlineCode(r.body); m != "" {
			t.Errorf("%s: inline code %q", p, m)
		}
		if !strings.Contains(r.body, `<script src="/static/js/app.js?v=`) {
			t.Errorf("%s: app.js missing", p)
		}
	}
	// Redirects carry the headers too.
	checkHeaders(t, anon.get("/dashboard"), false)
	r := anon.get("/healthz")
	checkHeaders(t, r, false)
	if r.header.Get("Cache-Control") != "no-store" {
		t.Errorf("healthz Cache-Control = %q", r.header.Get("Cache-Control"))
	}
}

func TestMFAPagesHaveNoInlineCode(t *testing.T) {
	h := newHarness(t)
	h.client().register("ada@example.com", phoneA, phoneAE164)
	c := h.client()
	expect(t, c.passwordStep("ada@example.com", testPassword, ""), http.StatusSeeOther, "/login/mfa")
	r := c.get("/login/mfa")
	checkHeaders(t, r, false)
	if m := inlineCode(r.body); m != "" {
		t.Errorf("/login/mfa: inline code %q", m)
	}
	expect(t, c.post("/login/mfa/sms", nil), http.StatusSeeOther, "/login/mfa/code")
	if m := inlineCode(c.get("/login/mfa/code").body); m != "" {
		t.Errorf("/login/mfa/code: inline code %q", m)
	}
}

func TestStaticAssets(t *testing.T) {
	h := newHarness(t)
	body := h.client().get("/login").body
	m := regexp.MustCompile(`/static/css/app\.css\?v=[0-9a-f]+`).FindString(body)
	if m == "" {
		t.Fatal("no versioned stylesheet link")
	}
	r := h.client().get(m)
	expect(t, r, http.StatusOK, "")
	if cc := r.header.Get("Cache-Control"); !strings.Contains(cc, "max-age=31536000") {
		t.Errorf("versioned asset Cache-Control = %q", cc)
	}
	if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "text/css") {
		t.Errorf("Content-Type = %q", ct)
	}
	r = h.client().get("/static/css/app.css")
	if cc := r.header.Get("Cache-Control"); strings.Contains(cc, "max-age=31536000") {
		t.Errorf("unversioned asset cached for a year: %q", cc)
	}
	expect(t, h.client().get("/static/js/app.js"), http.StatusOK, "")
	expect(t, h.client().get("/static/nope.js"), http.StatusNotFound, "")
	if r := h.client().get("/static/../web.go"); r.status == http.StatusOK {
		t.Error("a path outside static/ was served")
	}
}

func TestCookieFlags(t *testing.T) {
	for _, base := range []string{"", "https://gatehouse.example"} {
		t.Run("base="+base, func(t *testing.T) {
			h := newHarness(t, func(s *setup) {
				s.web = func(o *web.Options) {
					if base != "" {
						o.BaseURL, _ = url.Parse(base)
					}
				}
			})
			c := h.client()
			// A registration step sets the session cookie.
			req, _ := http.NewRequest(http.MethodPost, h.srv.URL+"/register", strings.NewReader(url.Values{
				"first_name": {"Ada"}, "last_name": {"L"}, "email": {"ada2@example.com"}, "captcha": {c.captcha()},
			}.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			res, err := http.DefaultTransport.RoundTrip(req)
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			var sc string
			for _, v := range res.Header.Values("Set-Cookie") {
				if strings.HasPrefix(v, web.SessionCookie+"=") {
					sc = v
				}
			}
			if sc == "" {
				t.Fatalf("no session cookie in %q", res.Header.Values("Set-Cookie"))
			}
			for _, want := range []string{"HttpOnly", "SameSite=Lax", "Path=/"} {
				if !strings.Contains(sc, want) {
					t.Errorf("cookie %q lacks %s", sc, want)
				}
			}
			if secure := strings.Contains(sc, "Secure"); secure != (base != "") {
				t.Errorf("cookie %q: Secure=%v with base %q", sc, secure, base)
			}
			if hsts := res.Header.Get("Strict-Transport-Security"); (hsts != "") != (base != "") {
				t.Errorf("HSTS = %q with base %q", hsts, base)
			}
		})
	}
}

func TestBodyLimit(t *testing.T) {
	h := newHarness(t)
	c := h.client()
	big := "email=" + strings.Repeat("a", 65<<10)
	req, _ := http.NewRequest(http.MethodPost, h.srv.URL+"/login", strings.NewReader(big))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	r := c.do(req)
	expect(t, r, http.StatusRequestEntityTooLarge, "")
	checkHeaders(t, r, false)

	// Without a Content-Length the limit holds while reading.
	req, _ = http.NewRequest(http.MethodPost, h.srv.URL+"/register", io.MultiReader(strings.NewReader(big)))
	req.ContentLength = -1
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	expect(t, c.do(req), http.StatusRequestEntityTooLarge, "")

	// Just under the limit is parsed (and refused for what it says).
	ok := "email=" + strings.Repeat("a", 60<<10)
	req, _ = http.NewRequest(http.MethodPost, h.srv.URL+"/login", strings.NewReader(ok))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	expect(t, c.do(req), http.StatusUnprocessableEntity, "")
}

func TestBadForms(t *testing.T) {
	h := newHarness(t)
	c := h.client()
	post := func(path, ctype, body string) resp {
		req, _ := http.NewRequest(http.MethodPost, h.srv.URL+path, strings.NewReader(body))
		if ctype != "" {
			req.Header.Set("Content-Type", ctype)
		}
		return c.do(req)
	}
	form := "application/x-www-form-urlencoded"
	cases := []struct{ name, path, ctype, body, want string }{
		{"repeated email", "/login", form, "email=a%40example.com&email=b%40example.com&password=x", "sent more than once"},
		{"repeated captcha", "/register", form, "first_name=A&last_name=B&email=a%40b.co&captcha=x&captcha=y", "sent more than once"},
		{"json", "/login", "application/json", `{"email":"a@example.com"}`, "application/x-www-form-urlencoded"},
		{"no type", "/login", "", "email=a", "application/x-www-form-urlencoded"},
		{"multipart", "/register", "multipart/form-data; boundary=x", "--x--", "application/x-www-form-urlencoded"},
		{"bad type", "/login", "text/plain; charset", "email=a", "application/x-www-form-urlencoded"},
		{"bad escape", "/login", form, "email=%zz&password=x", "could not be read"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := post(tc.path, tc.ctype, tc.body)
			if r.status != http.StatusBadRequest && r.status != http.StatusUnprocessableEntity {
				t.Fatalf("status %d", r.status)
			}
			contains(t, r.body, tc.want)
		})
	}
	// Strange but well-formed input is a 422, never a 500.
	for _, v := range []url.Values{
		{"email": {"\x00\xff"}, "password": {"\xff\xfe"}, "captcha": {"\x00"}},
		{"email": {strings.Repeat("a", 5000) + "@example.com"}, "password": {strings.Repeat("p", 5000)}, "captcha": {strings.Repeat("Q", 5000)}},
	} {
		r := c.post("/login", v)
		if r.status != http.StatusUnprocessableEntity && r.status != http.StatusUnauthorized {
			t.Errorf("status %d", r.status)
		}
	}
	r := c.post("/register", url.Values{"first_name": {"A\x00"}, "last_name": {"\u202e"}, "email": {"a@b"}, "captcha": {c.captcha()}})
	expect(t, r, http.StatusUnprocessableEntity, "")
}

func TestCrossOriginPostsAreRefused(t *testing.T) {
	h := newHarness(t)
	c := h.member("ada@example.com")
	send := func(path string, hdr map[string]string) resp {
		req, _ := http.NewRequest(http.MethodPost, h.srv.URL+path, strings.NewReader(url.Values{"phone": {phoneB}}.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		for k, v := range hdr {
			req.Header.Set(k, v)
		}
		return c.do(req)
	}
	for _, hdr := range []map[string]string{
		{"Sec-Fetch-Site": "cross-site"},
		{"Sec-Fetch-Site": "same-site"},
		{"Origin": "https://evil.example"},
		{"Sec-Fetch-Site": "cross-site", "Origin": "https://evil.example"},
	} {
		for _, p := range []string{"/logout", "/account/phone", "/login", "/register"} {
			r := send(p, hdr)
			expect(t, r, http.StatusForbidden, "")
			checkHeaders(t, r, false)
		}
	}
	if h.sends() != 2 {
		t.Errorf("sends = %d: a cross-origin request sent a code", h.sends())
	}
	expect(t, c.get("/dashboard"), http.StatusOK, "")
	// Same-origin requests pass.
	u, _ := url.Parse(h.srv.URL)
	expect(t, send("/account/phone", map[string]string{"Sec-Fetch-Site": "same-origin", "Origin": "http://" + u.Host}),
		http.StatusSeeOther, "/account/phone/verify")
	// State never changes on GET: GET /logout only asks to confirm.
	r := c.get("/logout")
	expect(t, r, http.StatusOK, "")
	contains(t, r.body, `action="/logout"`)
	expect(t, c.get("/dashboard"), http.StatusOK, "")
}

func TestHealthz(t *testing.T) {
	var fail atomic.Bool
	h := newHarness(t, func(s *setup) {
		s.web = func(o *web.Options) {
			ping := o.Ping
			o.Ping = func(ctx context.Context) error {
				if fail.Load() {
					return errors.New("database is gone")
				}
				return ping(ctx)
			}
		}
	})
	c := h.client()
	r := c.get("/healthz")
	expect(t, r, http.StatusOK, "")
	if strings.TrimSpace(r.body) != "ok" {
		t.Errorf("body %q", r.body)
	}
	fail.Store(true)
	expect(t, c.get("/healthz"), http.StatusServiceUnavailable, "")
}

func TestCaptchaChallenge(t *testing.T) {
	h := newHarness(t)
	r := h.client().get("/captcha/challenge")
	expect(t, r, http.StatusOK, "")
	if r.header.Get("Cache-Control") != "no-store" || !strings.HasPrefix(r.header.Get("Content-Type"), "application/json") {
		t.Errorf("headers %v", r.header)
	}
	var m map[string]any
	if err := json.Unmarshal([]byte(r.body), &m); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"algorithm", "challenge", "maxnumber", "salt", "signature"} {
		if _, ok := m[k]; !ok {
			t.Errorf("challenge lacks %q: %s", k, r.body)
		}
	}
	if m["algorithm"] != "SHA-256" {
		t.Errorf("algorithm %v", m["algorithm"])
	}
}

func TestThirdPartyCaptcha(t *testing.T) {
	var got atomic.Value
	provider := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		got.Store(r.PostForm.Get("response"))
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"success":true}`))
	}))
	defer provider.Close()
	h := newHarness(t, func(s *setup) { s.turnstile = provider.URL })
	c := h.client()

	expect(t, c.get("/captcha/challenge"), http.StatusNotFound, "")
	r := c.get("/register")
	csp := r.header.Get("Content-Security-Policy")
	for _, want := range []string{"script-src 'self' https://challenges.cloudflare.com", "frame-src https://challenges.cloudflare.com", "frame-ancestors 'none'"} {
		if !strings.Contains(csp, want) {
			t.Errorf("CSP %q lacks %q", csp, want)
		}
	}
	contains(t, r.body, `class="cf-turnstile" data-sitekey="site-key-123"`,
		`<script src="https://challenges.cloudflare.com/turnstile/v0/api.js" async defer></script>`)

	// The widget's own field carries the token.
	r = c.post("/register", url.Values{"first_name": {"Ada"}, "last_name": {"L"}, "email": {"ada@example.com"},
		"cf-turnstile-response": {"turnstile-token-1"}})
	expect(t, r, http.StatusSeeOther, "/register/credentials")
	if got.Load() != "turnstile-token-1" {
		t.Errorf("provider got %v", got.Load())
	}
}

func TestNotFoundAndMethodNotAllowed(t *testing.T) {
	h := newHarness(t)
	c := h.client()
	r := c.get("/no/such/page")
	expect(t, r, http.StatusNotFound, "")
	contains(t, r.body, "We couldn't find that page.", "<title>")
	r = c.post("/dashboard", nil)
	expect(t, r, http.StatusMethodNotAllowed, "")
	if !strings.Contains(r.header.Get("Allow"), "GET") {
		t.Errorf("Allow = %q", r.header.Get("Allow"))
	}
	if !bytes.Contains([]byte(r.body), []byte("<html")) {
		t.Error("405 is not a page")
	}
}
