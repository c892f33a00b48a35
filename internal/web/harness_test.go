package web_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"gatehouse/internal/auth"
	"gatehouse/internal/captcha"
	"gatehouse/internal/keys"
	"gatehouse/internal/password"
	"gatehouse/internal/store"
	"gatehouse/internal/verify"
	"gatehouse/internal/verify/local"
	"gatehouse/internal/web"
)

// Test identities. The password is long and uncommon enough for the policy.
const (
	testPassword = "violet-Tangerine-42"
	phoneA       = "(201) 555-6053"
	phoneAE164   = "+12015556053"
	phoneB       = "(201) 555-1234"
	phoneBE164   = "+12015551234"
)

// clock is the injected time of the whole stack.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// syncBuffer collects log output from concurrent handlers.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// harness is the whole portal on a real SQLite database, the embedded
// verify engine delivering to memory, a real proof-of-work CAPTCHA and the
// real argon2id hasher.
type harness struct {
	t     *testing.T
	srv   *httptest.Server
	db    *store.DB
	auth  *auth.Service
	sms   *local.MemorySender
	clock *clock
	logs  *syncBuffer
	// verifier.down.Store(true) simulates a provider outage.
	verifier *flaky
}

// flaky is the verify engine with a switch that makes it fail as a
// provider outage would.
type flaky struct {
	verify.Verifier
	down atomic.Bool
}

func (f *flaky) StartSMS(ctx context.Context, to string) (verify.Verification, error) {
	if f.down.Load() {
		return verify.Verification{}, errors.New("provider: connection timed out")
	}
	return f.Verifier.StartSMS(ctx, to)
}

func (f *flaky) CheckSMS(ctx context.Context, to, code string) (verify.Check, error) {
	if f.down.Load() {
		return verify.Check{}, errors.New("provider: connection timed out")
	}
	return f.Verifier.CheckSMS(ctx, to, code)
}

// setup changes how newHarness builds the stack.
type setup struct {
	web       func(*web.Options)
	turnstile string // siteverify URL: use Turnstile instead of the proof of work
}

// newHarness builds the stack.
func newHarness(t *testing.T, opts ...func(*setup)) *harness {
	t.Helper()
	ctx := context.Background()
	db, err := store.OpenSQLite(ctx, filepath.Join(t.TempDir(), "gatehouse.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	clk := &clock{t: time.Now()}
	ring, err := keys.New(bytes.Repeat([]byte{7}, 32))
	if err != nil {
		t.Fatal(err)
	}
	sms := &local.MemorySender{}
	eng, err := local.New(local.Options{
		Store: db, Sender: sms, Now: clk.Now,
		CodeKey: ring.Derive(keys.PurposeCodeHash), SecretKey: ring.Derive(keys.PurposeTOTPEncrypt),
	})
	if err != nil {
		t.Fatal(err)
	}
	var cfg setup
	for _, f := range opts {
		f(&cfg)
	}
	pow, err := captcha.NewPoW(captcha.PoWOptions{
		Key: ring.Derive(keys.PurposeCaptcha), UsedKey: ring.Derive(keys.PurposeCaptchaUsed),
		Spender: db, MaxNumber: 1000, Now: clk.Now,
	})
	if err != nil {
		t.Fatal(err)
	}
	var cpt captcha.Captcha = pow
	if cfg.turnstile != "" {
		pow = nil
		if cpt, err = captcha.NewSiteverify(captcha.SiteverifyOptions{
			Kind: "turnstile", SiteKey: "site-key-123", Secret: "secret", VerifyURL: cfg.turnstile,
			Spender: db, UsedKey: ring.Derive(keys.PurposeCaptchaUsed), Now: clk.Now,
		}); err != nil {
			t.Fatal(err)
		}
	}
	fv := &flaky{Verifier: eng}
	hasher, err := password.NewHasher(password.DefaultParams, 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	logs := &syncBuffer{}
	log := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	svc, err := auth.New(auth.Options{
		Store: db, Verifier: fv, Captcha: cpt, Hasher: hasher,
		LimitKey: ring.Derive(keys.PurposeLimitKey), Now: clk.Now, Log: log,
	})
	if err != nil {
		t.Fatal(err)
	}
	o := web.Options{
		Auth: svc, Captcha: cpt, PoW: pow,
		// The session manager stamps expiries with the real time, so the
		// store must read them with the real time too; the portal's own
		// idle and lifetime checks run on the injected clock.
		SessionStore: store.Sessions{DB: db},
		Ping:         db.Ping, Log: log, Now: clk.Now,
	}
	if cfg.web != nil {
		cfg.web(&o)
	}
	h, err := web.New(o)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return &harness{t: t, srv: srv, db: db, auth: svc, sms: sms, clock: clk, logs: logs, verifier: fv}
}

// client is a browser: a cookie jar and no automatic redirects.
type client struct {
	t  *testing.T
	h  *harness
	hc *http.Client
}

func (h *harness) client() *client {
	jar, err := cookiejar.New(nil)
	if err != nil {
		h.t.Fatal(err)
	}
	return &client{t: h.t, h: h, hc: &http.Client{
		Jar:           jar,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

// resp is a read response.
type resp struct {
	status int
	header http.Header
	body   string
}

func (r resp) location() string { return r.header.Get("Location") }

// do sends req. Any 500 fails the test: no input may produce one.
func (c *client) do(req *http.Request) resp {
	c.t.Helper()
	res, err := c.hc.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", req.Method, req.URL.Path, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		c.t.Fatal(err)
	}
	if res.StatusCode >= 500 && res.StatusCode != http.StatusServiceUnavailable {
		c.t.Fatalf("%s %s: status %d\n%s\nlogs:\n%s", req.Method, req.URL.Path, res.StatusCode, b, c.h.logs.String())
	}
	return resp{status: res.StatusCode, header: res.Header, body: string(b)}
}

func (c *client) get(path string) resp {
	c.t.Helper()
	req, err := http.NewRequest(http.MethodGet, c.h.srv.URL+path, nil)
	if err != nil {
		c.t.Fatal(err)
	}
	return c.do(req)
}

func (c *client) post(path string, form url.Values) resp {
	c.t.Helper()
	req, err := http.NewRequest(http.MethodPost, c.h.srv.URL+path, strings.NewReader(form.Encode()))
	if err != nil {
		c.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return c.do(req)
}

// token returns the session cookie's value, "" when none.
func (c *client) token() string {
	u, _ := url.Parse(c.h.srv.URL)
	for _, ck := range c.hc.Jar.Cookies(u) {
		if ck.Name == web.SessionCookie {
			return ck.Value
		}
	}
	return ""
}

// setToken replaces the session cookie, as a thief holding an old token would.
func (c *client) setToken(tok string) {
	u, _ := url.Parse(c.h.srv.URL)
	c.hc.Jar.SetCookies(u, []*http.Cookie{{Name: web.SessionCookie, Value: tok, Path: "/"}})
}

// captcha fetches a challenge and solves it by brute force, as pow.js does.
func (c *client) captcha() string {
	c.t.Helper()
	r := c.get("/captcha/challenge")
	if r.status != http.StatusOK {
		c.t.Fatalf("challenge: %d", r.status)
	}
	var ch struct {
		Algorithm, Challenge, Salt, Signature string
		MaxNumber                             int64 `json:"maxnumber"`
	}
	if err := json.Unmarshal([]byte(r.body), &ch); err != nil {
		c.t.Fatal(err)
	}
	for n := int64(0); n <= ch.MaxNumber; n++ {
		sum := sha256.Sum256([]byte(ch.Salt + strconv.FormatInt(n, 10)))
		if hex.EncodeToString(sum[:]) != ch.Challenge {
			continue
		}
		b, err := json.Marshal(map[string]any{
			"algorithm": ch.Algorithm, "challenge": ch.Challenge, "number": n,
			"salt": ch.Salt, "signature": ch.Signature,
		})
		if err != nil {
			c.t.Fatal(err)
		}
		return base64.StdEncoding.EncodeToString(b)
	}
	c.t.Fatal("challenge has no solution")
	return ""
}

// code returns the last code sent to an E.164 number.
func (h *harness) code(to string) string {
	h.t.Helper()
	m, ok := h.sms.Last(to)
	if !ok {
		h.t.Fatalf("no SMS to %s", to)
	}
	return m.Code
}

// sends counts the SMS messages delivered so far.
func (h *harness) sends() int { return len(h.sms.Messages()) }

// expect checks a response's status and, for a redirect, its target.
func expect(t *testing.T, r resp, status int, location string) {
	t.Helper()
	if r.status != status {
		t.Fatalf("status %d, want %d (Location %q)\n%s", r.status, status, r.location(), r.body)
	}
	if location != "" && r.location() != location {
		t.Fatalf("Location %q, want %q", r.location(), location)
	}
}

// contains checks that a body holds every string.
func contains(t *testing.T, body string, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(body, w) {
			t.Errorf("body lacks %q\n%s", w, body)
		}
	}
}

// startRegistration runs step 1 and checks it succeeds.
func (c *client) startRegistration(email string) {
	c.t.Helper()
	r := c.post("/register", url.Values{
		"first_name": {"Ada"}, "last_name": {"Lovelace"}, "email": {email}, "captcha": {c.captcha()},
	})
	expect(c.t, r, http.StatusSeeOther, "/register/credentials")
}

// register runs the whole registration and checks it lands on /login.
func (c *client) register(email, phone, e164 string) {
	c.t.Helper()
	c.startRegistration(email)
	r := c.post("/register/credentials", url.Values{"password": {testPassword}, "phone": {phone}})
	expect(c.t, r, http.StatusSeeOther, "/register/verify")
	r = c.post("/register/verify", url.Values{"code": {c.h.code(e164)}})
	expect(c.t, r, http.StatusSeeOther, "/login")
}

// passwordStep posts the login form.
func (c *client) passwordStep(email, pw, next string) resp {
	c.t.Helper()
	f := url.Values{"email": {email}, "password": {pw}, "captcha": {c.captcha()}}
	if next != "" {
		f.Set("next", next)
	}
	return c.post("/login", f)
}

// signIn runs the flag-1 sign-in with SMS and returns the final redirect.
func (c *client) signIn(email, e164, next string) resp {
	c.t.Helper()
	expect(c.t, c.passwordStep(email, testPassword, next), http.StatusSeeOther, "/login/mfa")
	expect(c.t, c.post("/login/mfa/sms", nil), http.StatusSeeOther, "/login/mfa/code")
	return c.post("/login/mfa/code", url.Values{"code": {c.h.code(e164)}})
}

// member registers an account and signs it in.
func (h *harness) member(email string) *client {
	h.t.Helper()
	c := h.client()
	c.register(email, phoneA, phoneAE164)
	h.clock.Advance(time.Minute) // past the resend cooldown of the number
	expect(h.t, c.signIn(email, phoneAE164, ""), http.StatusSeeOther, "/dashboard")
	return c
}
