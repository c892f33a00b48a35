package web_test

// Database faults over HTTP: while the database cannot be reached (PostgreSQL
// behind a proxy that drops every connection, or SQLite locked by another
// writer beyond its busy timeout) every request that needs it answers 503
// with one clear sentence, as a page or as JSON, never 500 and never a hang;
// nothing is half-written; and the portal serves again by itself once the
// database is back.

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"gatehouse/internal/config"
	"gatehouse/internal/portal"
	"gatehouse/internal/store"
	"gatehouse/internal/store/storetest"
	"gatehouse/internal/verify/local"
	"gatehouse/internal/web"
)

const (
	faultPassword = "amber-Lighthouse-77"
	faultPhone    = "+12015557311"
)

// faultPortal is the whole portal (embedded verify engine, proof of work,
// argon2id) on a given database.
type faultPortal struct {
	t    *testing.T
	db   *store.DB
	srv  *httptest.Server
	sms  *local.MemorySender
	logs *syncBuffer
}

func newFaultPortal(t *testing.T, db *store.DB) *faultPortal {
	t.Helper()
	logs := &syncBuffer{}
	log := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	sms := &local.MemorySender{}
	env := map[string]string{
		"GATEHOUSE_DATA_DIR":              t.TempDir(),
		"GATEHOUSE_SECRET_KEY":            strings.Repeat("09", 32),
		"GATEHOUSE_CAPTCHA_POW_MAXNUMBER": "1000",
		"GATEHOUSE_MAIL_OUTBOX":           "off",
		"GATEHOUSE_MAIL_CONSOLE":          "false",
	}
	c, err := config.Load(func(k string) string { return env[k] }, nil)
	if err != nil {
		t.Fatal(err)
	}
	pt, err := portal.Build(context.Background(), c, portal.Deps{Stderr: logs, Log: log, DB: db, SMS: sms})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pt.Close)
	srv := httptest.NewServer(pt.Handler)
	t.Cleanup(srv.Close)
	p := &faultPortal{t: t, db: db, srv: srv, sms: sms, logs: logs}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("portal log:\n%s", logs.String())
		}
	})
	return p
}

// faultClient is a browser: a cookie jar, no automatic redirects, and a
// bound on every request so that a hang fails the test.
type faultClient struct {
	p  *faultPortal
	hc *http.Client
}

func (p *faultPortal) client() *faultClient {
	jar, err := cookiejar.New(nil)
	if err != nil {
		p.t.Fatal(err)
	}
	return &faultClient{p: p, hc: &http.Client{
		Jar:           jar,
		Timeout:       15 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

type faultResp struct {
	status int
	header http.Header
	body   string
}

// do sends a request; a 500 fails the test, whatever the database does.
func (c *faultClient) do(method, path, contentType, body string) faultResp {
	t := c.p.t
	t.Helper()
	req, err := http.NewRequest(method, c.p.srv.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	res, err := c.hc.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	if res.StatusCode == http.StatusInternalServerError {
		t.Fatalf("%s %s: 500\n%s", method, path, b)
	}
	return faultResp{status: res.StatusCode, header: res.Header, body: string(b)}
}

func (c *faultClient) get(path string) faultResp { return c.do(http.MethodGet, path, "", "") }

func (c *faultClient) post(path string, f url.Values) faultResp {
	return c.do(http.MethodPost, path, "application/x-www-form-urlencoded", f.Encode())
}

// solve fetches a proof-of-work challenge and solves it, as pow.js does.
func (c *faultClient) solve() string {
	t := c.p.t
	t.Helper()
	r := c.get("/captcha/challenge")
	var ch struct {
		Algorithm, Challenge, Salt, Signature string
		MaxNumber                             int64 `json:"maxnumber"`
	}
	if err := json.Unmarshal([]byte(r.body), &ch); err != nil {
		t.Fatalf("challenge %d: %v", r.status, err)
	}
	for n := int64(0); n <= ch.MaxNumber; n++ {
		sum := sha256.Sum256([]byte(ch.Salt + strconv.FormatInt(n, 10)))
		if hex.EncodeToString(sum[:]) == ch.Challenge {
			b, _ := json.Marshal(map[string]any{"algorithm": ch.Algorithm, "challenge": ch.Challenge,
				"number": n, "salt": ch.Salt, "signature": ch.Signature})
			return base64.StdEncoding.EncodeToString(b)
		}
	}
	t.Fatal("challenge has no solution")
	return ""
}

func (p *faultPortal) code(to string) string {
	p.t.Helper()
	m, ok := p.sms.Last(to)
	if !ok {
		p.t.Fatalf("no SMS to %s", to)
	}
	return m.Code
}

func wantStatus(t *testing.T, what string, r faultResp, status int, location string) {
	t.Helper()
	if r.status != status || (location != "" && r.header.Get("Location") != location) {
		t.Fatalf("%s: %d (Location %q), want %d %q\n%s", what, r.status, r.header.Get("Location"), status, location, r.body)
	}
}

// member registers email with faultPhone and signs it in with SMS.
func (p *faultPortal) member(email string) *faultClient {
	t := p.t
	t.Helper()
	c := p.client()
	wantStatus(t, "register", c.post("/register", url.Values{"first_name": {"Grace"}, "last_name": {"Hopper"},
		"email": {email}, "captcha": {c.solve()}}), http.StatusSeeOther, "/register/credentials")
	wantStatus(t, "credentials", c.post("/register/credentials", url.Values{"password": {faultPassword},
		"phone": {faultPhone}}), http.StatusSeeOther, "/register/verify")
	wantStatus(t, "verify", c.post("/register/verify", url.Values{"code": {p.code(faultPhone)}}),
		http.StatusSeeOther, "/login")
	c.signIn(email)
	return c
}

// signIn runs the password step and the SMS step.
func (c *faultClient) signIn(email string) {
	t := c.p.t
	t.Helper()
	wantStatus(t, "password", c.post("/login", url.Values{"email": {email}, "password": {faultPassword},
		"captcha": {c.solve()}}), http.StatusSeeOther, "/login/mfa")
	wantStatus(t, "send code", c.post("/login/mfa/sms", nil), http.StatusSeeOther, "/login/mfa/code")
	wantStatus(t, "code", c.post("/login/mfa/code", url.Values{"code": {c.p.code(faultPhone)}}),
		http.StatusSeeOther, "/dashboard")
}

// wantUnavailablePage checks a 503 page that says UnavailableMessage once.
func wantUnavailablePage(t *testing.T, what string, r faultResp) {
	t.Helper()
	if r.status != http.StatusServiceUnavailable {
		t.Fatalf("%s: %d, want 503\n%s", what, r.status, r.body)
	}
	if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
		t.Errorf("%s: Content-Type %q", what, ct)
	}
	if n := strings.Count(r.body, "The service is temporarily unavailable. Please try again in a minute."); n != 1 {
		t.Errorf("%s: the message appears %d times\n%s", what, n, r.body)
	}
	if n := strings.Count(strings.ToLower(r.body), "<html"); n != 1 {
		t.Errorf("%s: %d pages in one response", what, n)
	}
	if r.header.Get("Location") != "" || r.header.Get("Retry-After") == "" {
		t.Errorf("%s: Location %q, Retry-After %q", what, r.header.Get("Location"), r.header.Get("Retry-After"))
	}
}

// wantUnavailableJSON checks a 503 {"error": UnavailableMessage}.
func wantUnavailableJSON(t *testing.T, what string, r faultResp) {
	t.Helper()
	var body map[string]any
	if r.status != http.StatusServiceUnavailable || json.Unmarshal([]byte(r.body), &body) != nil ||
		body["error"] != web.UnavailableMessage {
		t.Fatalf("%s: %d %s, want 503 {\"error\": %q}", what, r.status, r.body, web.UnavailableMessage)
	}
	if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("%s: Content-Type %q", what, ct)
	}
}

// TestSQLiteLockedAnswers503: SQLite locked by another writer beyond the
// busy timeout. Reads still work (WAL), so this also covers the session
// commit failing after the handler had its answer ready.
func TestSQLiteLockedAnswers503(t *testing.T) {
	path := filepath.Join(t.TempDir(), "g.db")
	ctx := context.Background()
	db, err := store.OpenSQLite(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	// One connection with a short busy timeout, so each locked write fails
	// in a fraction of a second instead of five.
	db.SQL().SetMaxOpenConns(1)
	if _, err := db.SQL().ExecContext(ctx, `PRAGMA busy_timeout = 150`); err != nil {
		t.Fatal(err)
	}
	p := newFaultPortal(t, db)
	c := p.member("grace@example.com")
	wantStatus(t, "dashboard", c.get("/dashboard"), http.StatusOK, "")
	// A phone change in progress, so that cancelling it below writes the
	// session.
	wantStatus(t, "start phone change", c.post("/account/phone", url.Values{"phone": {"+12025550147"}}),
		http.StatusSeeOther, "/account/phone/verify")

	other, err := store.OpenSQLite(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	lock, err := other.SQL().BeginTx(ctx, nil) // immediate: holds the write lock
	if err != nil {
		t.Fatal(err)
	}
	if _, err := lock.ExecContext(ctx, `UPDATE users SET updated_at = updated_at`); err != nil {
		t.Fatal(err)
	}

	// A page view only reads (the session is not rewritten), so it still
	// works while another writer holds the lock.
	wantStatus(t, "dashboard while locked", c.get("/dashboard"), http.StatusOK, "")
	// The handler answers, then the session commit fails.
	wantUnavailablePage(t, "phone change cancel, session commit locked", c.post("/account/phone/cancel", nil))
	// A JSON route whose write fails: {"error": …}, and no codes exist.
	wantUnavailableJSON(t, "backup codes", c.post("/generate-backup-codes/", nil))
	// A form whose first write fails: the form again, with the message.
	anon := p.client()
	r := anon.post("/login", url.Values{"email": {"grace@example.com"}, "password": {faultPassword},
		"captcha": {anon.solve()}})
	wantUnavailablePage(t, "password step", r)
	if !strings.Contains(r.body, `value="grace@example.com"`) {
		t.Errorf("the login form lost the email")
	}

	if err := lock.Rollback(); err != nil {
		t.Fatal(err)
	}
	wantStatus(t, "dashboard after the lock", c.get("/dashboard"), http.StatusOK, "")
	if n, err := db.BackupCodesLeft(ctx, mustUserID(t, db, "grace@example.com")); err != nil || n != 0 {
		t.Fatalf("backup codes after the failed generation: %d, %v", n, err)
	}
	r = c.post("/generate-backup-codes/", nil)
	wantStatus(t, "backup codes after the lock", r, http.StatusOK, "")
	anon.signIn("grace@example.com")
}

func mustUserID(t *testing.T, db *store.DB, email string) string {
	t.Helper()
	u, err := db.UserByEmail(context.Background(), email)
	if err != nil {
		t.Fatal(err)
	}
	return u.ID
}

// faultProxy forwards TCP connections to a database server; cut drops every
// connection and refuses new ones (closing them at once), as a server that
// went away would; restore lets them through again.
type faultProxy struct {
	ln     net.Listener
	target string
	mu     sync.Mutex
	down   bool
	conns  map[net.Conn]bool
}

func newFaultProxy(t *testing.T, target string) *faultProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &faultProxy{ln: ln, target: target, conns: map[net.Conn]bool{}}
	go p.serve()
	t.Cleanup(func() { ln.Close(); p.cut() })
	return p
}

func (p *faultProxy) serve() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		go p.forward(c)
	}
}

func (p *faultProxy) forward(c net.Conn) {
	p.mu.Lock()
	down := p.down
	p.mu.Unlock()
	if down {
		c.Close()
		return
	}
	s, err := net.Dial("tcp", p.target)
	if err != nil {
		c.Close()
		return
	}
	p.mu.Lock()
	p.conns[c], p.conns[s] = true, true
	p.mu.Unlock()
	go func() { _, _ = io.Copy(s, c); s.Close() }()
	_, _ = io.Copy(c, s)
	c.Close()
}

func (p *faultProxy) cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.down = true
	for c := range p.conns {
		c.Close()
	}
	clear(p.conns)
}

func (p *faultProxy) restore() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.down = false
}

// faultPostgres opens a fresh schema of the test server through a proxy.
func faultPostgres(t *testing.T) (*store.DB, *faultProxy) {
	t.Helper()
	base := storetest.FreshSchemaDSN(t)
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	proxy := newFaultProxy(t, u.Host)
	u.Host = proxy.ln.Addr().String()
	q := u.Query()
	q.Set("connect_timeout", "3")
	u.RawQuery = q.Encode()
	db, err := store.OpenPostgres(context.Background(), u.String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db, proxy
}

// TestPostgresDownAnswers503: PostgreSQL unreachable. Pages, forms, JSON
// routes and the health check answer 503 promptly, in parallel too; once it
// is back the same portal (no restart) serves the same sessions again.
func TestPostgresDownAnswers503(t *testing.T) {
	db, proxy := faultPostgres(t)
	p := newFaultPortal(t, db)
	c := p.member("grace@example.com")
	wantStatus(t, "health", c.get("/healthz"), http.StatusOK, "")

	proxy.cut()
	start := time.Now()
	r := c.get("/healthz")
	wantStatus(t, "health while down", r, http.StatusServiceUnavailable, "")
	wantUnavailablePage(t, "dashboard", c.get("/dashboard"))
	wantUnavailablePage(t, "account", c.get("/account"))
	wantUnavailableJSON(t, "backup codes", c.post("/generate-backup-codes/", nil))
	wantUnavailableJSON(t, "authenticator", c.do(http.MethodPost, "/generate-totp-factor/", "application/json", "{}"))
	anon := p.client()
	wantUnavailablePage(t, "password step", anon.post("/login", url.Values{"email": {"grace@example.com"},
		"password": {faultPassword}, "captcha": {anon.solve()}}))
	wantUnavailablePage(t, "registration", anon.post("/register", url.Values{"first_name": {"Ada"},
		"last_name": {"Lovelace"}, "email": {"ada@example.com"}, "captcha": {anon.solve()}}))
	var wg sync.WaitGroup
	for range 20 {
		wg.Go(func() {
			if r := c.get("/dashboard"); r.status != http.StatusServiceUnavailable {
				t.Errorf("parallel dashboard: %d", r.status)
			}
		})
	}
	wg.Wait()
	if el := time.Since(start); el > 10*time.Second {
		t.Errorf("answering during the outage took %v", el)
	}

	proxy.restore()
	deadline := time.Now().Add(15 * time.Second)
	for c.get("/healthz").status != http.StatusOK {
		if time.Now().After(deadline) {
			t.Fatal("the portal did not recover")
		}
		time.Sleep(100 * time.Millisecond)
	}
	wantStatus(t, "dashboard after recovery", c.get("/dashboard"), http.StatusOK, "")
	wantStatus(t, "backup codes after recovery", c.post("/generate-backup-codes/", nil), http.StatusOK, "")
	anon.signIn("grace@example.com")
	if _, err := db.UserByEmail(context.Background(), "ada@example.com"); err == nil {
		t.Error("a registration refused during the outage left an account")
	}
}

// TestPendingSessionWriteFailsWithOnePage: a GET page whose session has a
// write pending (the flash message left by signing out) while the database
// refuses writes. The answer is exactly one complete 503 page with
// Retry-After, never the error page followed by the page the handler drew.
func TestPendingSessionWriteFailsWithOnePage(t *testing.T) {
	for _, dbName := range []string{"sqlite", "postgres"} {
		t.Run(dbName, func(t *testing.T) {
			ctx := context.Background()
			var db *store.DB
			var lock func() (release func())
			if dbName == "sqlite" {
				path := filepath.Join(t.TempDir(), "g.db")
				var err error
				if db, err = store.OpenSQLite(ctx, path); err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { db.Close() })
				db.SQL().SetMaxOpenConns(1)
				if _, err := db.SQL().ExecContext(ctx, `PRAGMA busy_timeout = 150`); err != nil {
					t.Fatal(err)
				}
				lock = func() func() {
					other, err := store.OpenSQLite(ctx, path)
					if err != nil {
						t.Fatal(err)
					}
					tx, err := other.SQL().BeginTx(ctx, nil)
					if err != nil {
						t.Fatal(err)
					}
					if _, err := tx.ExecContext(ctx, `UPDATE users SET updated_at = updated_at`); err != nil {
						t.Fatal(err)
					}
					return func() { _ = tx.Rollback(); other.Close() }
				}
			} else {
				db, _ = faultPostgres(t)
				lock = func() func() {
					tx, err := db.SQL().BeginTx(ctx, nil)
					if err != nil {
						t.Fatal(err)
					}
					// Reads of sessions go on; every write waits past the
					// store's operation timeout.
					if _, err := tx.ExecContext(ctx, `LOCK TABLE sessions IN EXCLUSIVE MODE`); err != nil {
						t.Fatal(err)
					}
					return func() {
						// The store gave up on its write, but PostgreSQL
						// runs a statement until its cancel arrives: wait
						// until no write waits for the lock any more, so
						// the rollback cannot let a given-up write through.
						for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
							var n int
							if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM pg_stat_activity
								WHERE wait_event_type = 'Lock' AND query LIKE '%sessions%'`).Scan(&n); err != nil {
								t.Fatal(err)
							}
							if n == 0 {
								break
							}
							if time.Now().After(deadline) {
								t.Fatal("a given-up session write still waits for the lock")
							}
						}
						_ = tx.Rollback()
					}
				}
			}
			p := newFaultPortal(t, db)
			c := p.member("grace@example.com")
			wantStatus(t, "sign out", c.post("/logout", nil), http.StatusSeeOther, "/login")
			release := lock()
			r := c.get("/login")
			release()
			wantUnavailablePage(t, "sign-in page with a flash to pop", r)
			if !strings.HasSuffix(strings.TrimSpace(r.body), "</html>") {
				t.Errorf("the 503 page is not one complete page:\n%s", r.body)
			}
			// Nothing was lost: the message is still there to show.
			r = c.get("/login")
			wantStatus(t, "sign-in page after the fault", r, http.StatusOK, "")
			if !strings.Contains(r.body, "You have been signed out.") {
				t.Errorf("the pending message was lost")
			}
		})
	}
}
