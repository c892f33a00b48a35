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
	"net/netip"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"

	"gatehouse/internal/auth"
	"gatehouse/internal/config"
	"gatehouse/internal/fakeclock"
	"gatehouse/internal/mail"
	"gatehouse/internal/portal"
	"gatehouse/internal/store"
	"gatehouse/internal/store/storetest"
	"gatehouse/internal/verify"
	"gatehouse/internal/verify/local"
	"gatehouse/internal/verify/twilio/twiliotest"
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

// Verify backends the harness can run the portal on.
const (
	// backendLocal is the embedded verify engine delivering SMS to memory.
	backendLocal = "local"
	// backendTwilio is the Twilio Verify adapter (the real twilio-go SDK)
	// talking to a twiliotest emulator.
	backendTwilio = "twilio"
)

// backends lists every verify backend; flow tests run on each.
var backends = []string{backendLocal, backendTwilio}

// harness is the whole portal on a real SQLite database, a real
// proof-of-work CAPTCHA and the real argon2id hasher, with one of the verify
// backends: the embedded engine delivering to memory (local, the default),
// or the Twilio adapter talking to an emulator (twilio).
type harness struct {
	t       *testing.T
	backend string
	srv     *httptest.Server
	db      *store.DB
	auth    *auth.Service
	portal  *portal.Portal
	sms     *local.MemorySender  // local backend only
	mail    *mail.MemorySender   // every mail the portal sent
	emu     *twiliotest.Emulator // twilio backend only
	clock   *fakeclock.Clock
	logs    *syncBuffer
	// seen collects every secret and URL the tests met, for the check that
	// no secret reaches a log line or a URL.
	seen *seenSet
	// verifier.down.Store(true) simulates a provider outage.
	verifier *flaky
}

// flaky is the verify engine with a switch that makes it fail as a
// provider outage would.
type flaky struct {
	verify.Verifier
	down atomic.Bool
}

func (f *flaky) StartSMS(ctx context.Context, t verify.Target) (verify.Verification, error) {
	if f.down.Load() {
		return verify.Verification{}, errors.New("provider: connection timed out")
	}
	return f.Verifier.StartSMS(ctx, t)
}

func (f *flaky) CheckSMS(ctx context.Context, t verify.Target, code string) (verify.Check, error) {
	if f.down.Load() {
		return verify.Check{}, errors.New("provider: connection timed out")
	}
	return f.Verifier.CheckSMS(ctx, t, code)
}

func (f *flaky) CancelSMS(ctx context.Context, t verify.Target) error {
	if f.down.Load() {
		return errors.New("provider: connection timed out")
	}
	return f.Verifier.CancelSMS(ctx, t)
}

// setup changes how newHarness builds the stack.
type setup struct {
	web       func(*web.Options)
	turnstile string // siteverify URL: use Turnstile instead of the proof of work
	backend   string // backendLocal (default) or backendTwilio
	database  string // "sqlite" (default) or "postgres" (a fresh schema of the test server)
	// twilioTimeout bounds every Twilio call (twilio backend); zero means
	// the adapter's default.
	twilioTimeout time.Duration
	limits        auth.Limits // zero fields: the defaults
}

// withLimits runs the portal with limits other than the defaults.
func withLimits(l auth.Limits) func(*setup) {
	return func(s *setup) { s.limits = l }
}

// behindProxy trusts X-Forwarded-For from the loopback peer, so that
// clients made with fromIP come from other networks.
func behindProxy(s *setup) {
	prev := s.web
	s.web = func(o *web.Options) {
		o.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}
		if prev != nil {
			prev(o)
		}
	}
}

// onBackend runs the harness on the named verify backend.
func onBackend(name string) func(*setup) {
	return func(s *setup) { s.backend = name }
}

// onDatabase runs the harness on "sqlite" or "postgres".
func onDatabase(name string) func(*setup) {
	return func(s *setup) { s.database = name }
}

// databases lists the databases the flow tests run on.
var databases = []string{"sqlite", "postgres"}

// withTwilioTimeout sets the Twilio adapter's timeout (twilio backend).
func withTwilioTimeout(d time.Duration) func(*setup) {
	return func(s *setup) { s.twilioTimeout = d }
}

// newHarness builds the stack.
func newHarness(t *testing.T, opts ...func(*setup)) *harness {
	t.Helper()
	ctx := context.Background()
	cfg := setup{backend: backendLocal}
	for _, f := range opts {
		f(&cfg)
	}
	var db *store.DB
	var err error
	if cfg.database == "postgres" {
		db, err = store.OpenPostgres(ctx, storetest.FreshSchemaDSN(t))
	} else {
		db, err = store.OpenSQLite(ctx, filepath.Join(t.TempDir(), "gatehouse.db"))
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	clk := fakeclock.New(time.Now())
	logs := &syncBuffer{}
	log := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	// The portal as the gatehouse command wires it (package portal), from a
	// configuration loaded like the command's, with test doubles only for
	// the clock, the senders and the Twilio service.
	env := map[string]string{
		"GATEHOUSE_DATA_DIR":              t.TempDir(),
		"GATEHOUSE_SECRET_KEY":            strings.Repeat("07", 32),
		"GATEHOUSE_BASE_URL":              mailBase,
		"GATEHOUSE_CAPTCHA_POW_MAXNUMBER": "1000",
		"GATEHOUSE_REMEMBER_DEVICE":       "0",
		"GATEHOUSE_SMS_CONSOLE":           "false",
		"GATEHOUSE_LOG_LEVEL":             "debug",
	}
	deps := portal.Deps{Stderr: logs, Log: log, Now: clk.Now, DB: db, Limits: cfg.limits, Web: cfg.web}
	var (
		sms *local.MemorySender
		emu *twiliotest.Emulator
	)
	switch cfg.backend {
	case backendLocal:
		sms = &local.MemorySender{}
		deps.SMS = sms
	case backendTwilio:
		// The emulator's engine runs on the same injected clock, so code
		// expiry and TOTP steps follow h.clock on both backends.
		emu = twiliotest.New(t, twiliotest.Options{Now: clk.Now})
		o := emu.ClientOptions()
		o.MessagingFrom = "+12015550100" // the notice to an old number goes through the Messaging API
		o.Timeout = cfg.twilioTimeout
		deps.Twilio = &o
		env["GATEHOUSE_VERIFY"] = "twilio"
		env["TWILIO_ACCOUNT_SID"], env["TWILIO_AUTH_TOKEN"], env["TWILIO_VERIFY_SERVICE_SID"] = o.AccountSID, o.AuthToken, o.ServiceSID
	default:
		t.Fatalf("unknown verify backend %q", cfg.backend)
	}
	if cfg.turnstile != "" {
		env["GATEHOUSE_CAPTCHA"], env["GATEHOUSE_CAPTCHA_VERIFY_URL"] = "turnstile", cfg.turnstile
		env["GATEHOUSE_CAPTCHA_SITE_KEY"], env["GATEHOUSE_CAPTCHA_SECRET"] = "site-key-123", "secret"
	}
	fv := &flaky{}
	deps.Verify = func(v verify.Verifier) verify.Verifier { fv.Verifier = v; return fv }
	mails := &mail.MemorySender{}
	deps.Mail = mails
	c, err := config.Load(func(k string) string { return env[k] }, nil)
	if err != nil {
		t.Fatal(err)
	}
	p, err := portal.Build(ctx, c, deps)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Close)
	srv := httptest.NewServer(p.Handler)
	t.Cleanup(srv.Close)
	hs := &harness{t: t, backend: cfg.backend, srv: srv, db: db, auth: p.Auth, portal: p, sms: sms, mail: mails,
		emu: emu, clock: clk, logs: logs, verifier: fv, seen: &seenSet{}}
	t.Cleanup(hs.noSecretLeaks)
	t.Cleanup(hs.settle) // before the leak check: background steps log too
	return hs
}

// client is a browser: a cookie jar and no automatic redirects.
type client struct {
	t  *testing.T
	h  *harness
	hc *http.Client
	ip string // sent as X-Forwarded-For when set (see behindProxy)
}

// fromIP returns a new browser whose requests come from ip.
func (h *harness) fromIP(ip string) *client {
	c := h.client()
	c.ip = ip
	return c
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
	if c.ip != "" {
		req.Header.Set("X-Forwarded-For", c.ip)
	}
	res, err := c.hc.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", req.Method, req.URL.Path, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		c.t.Fatal(err)
	}
	c.h.seen.record(req, res, b)
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

// lastCode returns the last SMS code sent to an E.164 number, on either
// backend: the embedded engine's memory sender, or the Twilio emulator's.
func (h *harness) lastCode(to string) (string, bool) {
	if h.emu != nil {
		return h.emu.LastCode(to)
	}
	m, ok := h.sms.Last(to)
	return m.Code, ok
}

// code returns the last code sent to an E.164 number, failing the test when
// none was sent.
func (h *harness) code(to string) string {
	h.t.Helper()
	c, ok := h.lastCode(to)
	if !ok {
		h.t.Fatalf("no SMS to %s", to)
	}
	return c
}

// sends counts the SMS messages delivered so far. On the twilio backend it
// counts the successful sends in the emulator's request log, so tests must
// not call h.emu.Reset (use h.mark and h.callsSince instead).
func (h *harness) sends() int {
	if h.emu == nil {
		return len(h.sms.Messages())
	}
	n := 0
	for _, r := range h.emu.Requests() {
		if r.Method == http.MethodPost && strings.HasSuffix(r.Path, "/Verifications") && r.Status == http.StatusCreated {
			n++
		}
	}
	return n
}

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

// otherCode returns a well-formed code that differs from code.
func otherCode(code string) string {
	if code == "000000" {
		return "111111"
	}
	return "000000"
}

// decodeJSON decodes the JSON answer of r.
func decodeJSON(t *testing.T, r resp) map[string]any {
	t.Helper()
	if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Fatalf("Content-Type %q, want JSON (status %d)\n%s", ct, r.status, r.body)
	}
	var m map[string]any
	if err := json.Unmarshal([]byte(r.body), &m); err != nil {
		t.Fatalf("answer is not JSON: %v\n%s", err, r.body)
	}
	return m
}

// expectJSON checks the status of a JSON answer and returns its fields.
func expectJSON(t *testing.T, r resp, status int) map[string]any {
	t.Helper()
	if r.status != status {
		t.Fatalf("status %d, want %d\n%s", r.status, status, r.body)
	}
	return decodeJSON(t, r)
}

// snapshot dumps the portal's account tables (users, totp_devices and
// backup_codes) so a test can tell whether a step changed anything.
func (h *harness) snapshot() string {
	h.t.Helper()
	var b strings.Builder
	for _, table := range []string{"users", "totp_devices", "backup_codes"} {
		rows, err := h.db.SQL().Query("SELECT * FROM " + table + " ORDER BY 1, 2")
		if err != nil {
			h.t.Fatalf("snapshot %s: %v", table, err)
		}
		cols, err := rows.Columns()
		if err != nil {
			h.t.Fatal(err)
		}
		b.WriteString(table + " " + strings.Join(cols, ",") + "\n")
		for rows.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				h.t.Fatal(err)
			}
			for i, v := range vals {
				if i > 0 {
					b.WriteByte('|')
				}
				if bs, ok := v.([]byte); ok {
					v = string(bs)
				}
				b.WriteString(strconv.Quote(fmtValue(v)))
			}
			b.WriteByte('\n')
		}
		if err := rows.Err(); err != nil {
			h.t.Fatal(err)
		}
		rows.Close()
	}
	return b.String()
}

func fmtValue(v any) string {
	switch x := v.(type) {
	case nil:
		return "NULL"
	case string:
		return x
	case int64:
		return strconv.FormatInt(x, 10)
	default:
		b, _ := json.Marshal(x)
		return string(b)
	}
}

// unchanged fails the test when the account tables differ from before.
func (h *harness) unchanged(before string) {
	h.t.Helper()
	if after := h.snapshot(); after != before {
		h.t.Errorf("the database changed:\nbefore:\n%s\nafter:\n%s", before, after)
	}
}

// mark returns the position in the emulator's request log (twilio backend);
// callsSince lists the requests received after it.
func (h *harness) mark() int {
	if h.emu == nil {
		return 0
	}
	return len(h.emu.Requests())
}

// callsSince returns the requests the emulator received since mark m, each
// as "METHOD /rest" where rest is the path under /v2/Services/{sid}, with
// an entity identity shown as {identity} and a factor SID as {factor}.
// On the local backend it returns nil.
func (h *harness) callsSince(m int) []string {
	if h.emu == nil {
		return nil
	}
	var out []string
	for _, r := range h.emu.Requests()[m:] {
		out = append(out, r.Method+" "+shortPath(r.Path))
	}
	return out
}

// shortPath strips /v2/Services/{sid} and hides identities and factor SIDs.
func shortPath(p string) string {
	segs := strings.Split(p, "/")
	if len(segs) > 3 && segs[1] == "v2" && segs[2] == "Services" {
		segs = append([]string{""}, segs[4:]...)
	}
	for i := 1; i < len(segs); i++ {
		switch segs[i-1] {
		case "Entities":
			segs[i] = "{identity}"
		case "Factors":
			segs[i] = "{factor}"
		}
	}
	return strings.Join(segs, "/")
}

// expectCalls checks the emulator's requests since mark m, exactly and in
// order (twilio backend; a no-op on the local backend).
func (h *harness) expectCalls(m int, want ...string) {
	h.t.Helper()
	if h.emu == nil {
		return
	}
	got := h.callsSince(m)
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		h.t.Errorf("provider calls:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
}

// Provider calls as expectCalls shows them.
const (
	callSend          = "POST /Verifications"
	callCheck         = "POST /VerificationCheck"
	callCreateFactor  = "POST /Entities/{identity}/Factors"
	callVerifyFactor  = "POST /Entities/{identity}/Factors/{factor}"
	callDeleteFactor  = "DELETE /Entities/{identity}/Factors/{factor}"
	callChallengeTOTP = "POST /Entities/{identity}/Challenges"
)

// Paths of the authenticator-app and backup-code routes (issue 4).
const (
	pathGenerateTOTP = "/generate-totp-factor/"
	pathConfirmTOTP  = "/confirm-totp-enrollment/"
	pathValidateTOTP = "/validate-totp-code/"
	pathRemoveTOTP   = "/remove-totp-device/"
	pathBackupCodes  = "/generate-backup-codes/"
	pathLoginBackup  = "/login/mfa/backup"
)

// totpCode returns the current code of an authenticator with secret.
func (h *harness) totpCode(secret string) string {
	h.t.Helper()
	c, err := totp.GenerateCode(strings.ReplaceAll(secret, " ", ""), h.clock.Now())
	if err != nil {
		h.t.Fatalf("totp code: %v", err)
	}
	return c
}

// startTOTP asks for a new authenticator factor and returns the secret from
// the answer, as a person who cannot scan the QR code would read it.
func (c *client) startTOTP() string {
	c.t.Helper()
	m := expectJSON(c.t, c.post(pathGenerateTOTP, nil), http.StatusOK)
	secret, _ := m["secret"].(string)
	if secret == "" {
		c.t.Fatalf("no secret in %v", m)
	}
	return secret
}

// enrollTOTP enrolls an authenticator for a signed-in client and returns
// its secret. The enrollment code is spent: callers advance the clock by a
// time step before signing in with the authenticator.
func (c *client) enrollTOTP() string {
	c.t.Helper()
	secret := c.startTOTP()
	m := expectJSON(c.t, c.post(pathConfirmTOTP, url.Values{"code": {c.h.totpCode(secret)}}), http.StatusOK)
	if m["success"] != true {
		c.t.Fatalf("confirm: %v", m)
	}
	return secret
}

// totpSession signs a new browser in with the authenticator of the member
// whose secret is given, so its session is verified by the app.
func (h *harness) totpSession(email, secret string) *client {
	h.t.Helper()
	h.clock.Advance(30 * time.Second) // a step no code was accepted in
	c := h.client()
	expect(h.t, c.passwordStep(email, testPassword, ""), http.StatusSeeOther, "/login/mfa")
	res := expectJSON(h.t, c.post(pathValidateTOTP, url.Values{"totp_code": {h.totpCode(secret)}}), http.StatusOK)
	if res["success"] != true {
		h.t.Fatalf("authenticator sign-in: %v", res)
	}
	return c
}

// device returns the user's totp_devices row, ok false when there is none.
func (h *harness) device(email string) (store.TOTPDevice, bool) {
	h.t.Helper()
	ctx := context.Background()
	u, err := h.db.UserByEmail(ctx, email)
	if err != nil {
		h.t.Fatal(err)
	}
	d, err := h.db.TOTPDevice(ctx, u.ID)
	if errors.Is(err, store.ErrNotFound) {
		return store.TOTPDevice{}, false
	}
	if err != nil {
		h.t.Fatal(err)
	}
	return d, true
}
