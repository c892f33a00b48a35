package web_test

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"gatehouse/internal/access"
	"gatehouse/internal/store"
	"gatehouse/internal/web"
)

// portalURL is the public URL of the portal in these tests.
const portalURL = "http://login.example.test"

// authzRules guards app.example.test: /public is open, /admin is for the
// admins group, everything else for anyone signed in; other hosts are
// denied.
const authzRules = `default_policy: deny
rules:
  - domain: app.example.test
    resources: ["^/public/"]
    policy: bypass
  - domain: app.example.test
    resources: ["^/admin"]
    subjects: ["group:admins"]
    policy: two_factor
  - domain: app.example.test
    resources: ["^/admin"]
    policy: deny
  - domain: app.example.test
    policy: two_factor
`

// authzHarness is the portal behind a trusted proxy on 127.0.0.0/8, with
// cookie domain example.test and the rules given ("" for none).
func authzHarness(t *testing.T, rules string, trusted bool) *harness {
	t.Helper()
	var holder *access.Holder
	if rules != "" {
		path := filepath.Join(t.TempDir(), "rules.yml")
		if err := os.WriteFile(path, []byte(rules), 0o600); err != nil {
			t.Fatal(err)
		}
		var err error
		if holder, err = access.NewHolder(path); err != nil {
			t.Fatal(err)
		}
	}
	base, _ := url.Parse(portalURL)
	h := newHarness(t, func(s *setup) {
		s.web = func(o *web.Options) {
			o.BaseURL, o.CookieDomain, o.Rules = base, "example.test", holder
			if trusted {
				o.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}
			}
		}
	})
	// Clients speak to login.example.test, so that their cookie jars take
	// the session cookie set for example.test; authzClient dials the
	// server's real address.
	h.srv.URL = "http://login.example.test:" + strings.Split(h.srv.Listener.Addr().String(), ":")[1]
	return h
}

// authzClient is a browser of login.example.test (see authzHarness).
func authzClient(h *harness) *client {
	c := h.client()
	addr := h.srv.Listener.Addr().String()
	c.hc.Transport = &http.Transport{DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, network, addr)
	}}
	return c
}

// memberPhone is the phone number authzMember gives email.
func memberPhone(email string) string {
	n := 0
	for _, c := range email {
		n = (n*31 + int(c)) % 2000
	}
	return fmt.Sprintf("+1201555%04d", 7000+n)
}

// authzMember registers an account, with a phone number of its own, and
// signs it in, as harness.member does.
func authzMember(h *harness, email string) *client {
	h.t.Helper()
	c := authzClient(h)
	e164 := memberPhone(email)
	c.register(email, e164, e164)
	h.clock.Advance(time.Minute)
	expect(h.t, c.signIn(email, e164, ""), http.StatusSeeOther, "/dashboard")
	return c
}

// forward asks forward-auth about GET http://app.example.test<uri>, as
// Caddy does, with c's session.
func (c *client) forward(uri string, extra map[string]string) resp {
	c.t.Helper()
	h := map[string]string{"X-Forwarded-Method": "GET", "X-Forwarded-Proto": "http",
		"X-Forwarded-Host": "app.example.test", "X-Forwarded-Uri": uri}
	for k, v := range extra {
		h[k] = v
	}
	return c.ask("/api/authz/forward-auth", h)
}

// original asks auth-request about GET http://app.example.test<uri>, as
// nginx does, with c's session.
func (c *client) original(uri string) resp {
	c.t.Helper()
	return c.ask("/api/authz/auth-request", map[string]string{
		"X-Original-URL": "http://app.example.test" + uri, "X-Original-Method": "GET"})
}

func (c *client) ask(path string, headers map[string]string) resp {
	c.t.Helper()
	req, err := http.NewRequest(http.MethodGet, c.h.srv.URL+path, nil)
	if err != nil {
		c.t.Fatal(err)
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	return c.do(req)
}

// wantIdentity checks a 200 carrying all four identity headers.
func wantIdentity(t *testing.T, r resp, user, name, groups string) {
	t.Helper()
	if r.status != http.StatusOK {
		t.Fatalf("status %d, want 200\n%s", r.status, r.body)
	}
	want := map[string]string{"Remote-User": user, "Remote-Email": user, "Remote-Name": name, "Remote-Groups": groups}
	for k, v := range want {
		got, present := r.header[k]
		if !present || len(got) != 1 || got[0] != v {
			t.Errorf("%s = %q (present %v), want %q", k, got, present, v)
		}
	}
}

// wantSignIn checks both endpoints ask c to sign in about uri.
func wantSignIn(t *testing.T, c *client, uri string) {
	t.Helper()
	expect(t, c.forward(uri, nil), http.StatusFound, portalURL+"/login?rd="+url.QueryEscape("http://app.example.test"+uri))
	expect(t, c.original(uri), http.StatusUnauthorized, "")
}

func TestAuthzNoRules(t *testing.T) {
	h := authzHarness(t, "", true)
	anon := authzClient(h)
	wantSignIn(t, anon, "/some/page?x=1")
	m := authzMember(h, "ann@example.com")
	if _, err := h.auth.ChangeGroups(context.Background(), "ann@example.com",
		store.GroupChange{Add: []string{"staff", "dev"}}); err != nil {
		t.Fatal(err)
	}
	wantIdentity(t, m.forward("/any", nil), "ann@example.com", "Ada Lovelace", "dev,staff")
	wantIdentity(t, m.original("/any"), "ann@example.com", "Ada Lovelace", "dev,staff")
	// Groups are read at every check: a change counts at once.
	if _, err := h.auth.ChangeGroups(context.Background(), "ann@example.com",
		store.GroupChange{Replace: true}); err != nil {
		t.Fatal(err)
	}
	wantIdentity(t, m.forward("/any", nil), "ann@example.com", "Ada Lovelace", "")
}

func TestAuthzRules(t *testing.T) {
	h := authzHarness(t, authzRules, true)
	anon := authzClient(h)
	ann := authzMember(h, "ann@example.com")
	wantIdentity(t, anon.forward("/public/x", nil), "", "", "")
	wantIdentity(t, anon.original("/public/x"), "", "", "")
	wantSignIn(t, anon, "/admin")
	expect(t, ann.forward("/admin", nil), http.StatusForbidden, "")
	expect(t, ann.original("/admin/x"), http.StatusForbidden, "")
	// Path tricks are held to the strictest reading.
	expect(t, ann.forward("/public/%2e%2e/admin", nil), http.StatusForbidden, "")
	if _, err := h.auth.ChangeGroups(context.Background(), "ann@example.com",
		store.GroupChange{Add: []string{"admins"}}); err != nil {
		t.Fatal(err)
	}
	wantIdentity(t, ann.forward("/admin", nil), "ann@example.com", "Ada Lovelace", "admins")
	// Another host falls to the default policy: deny, even signed in.
	expect(t, ann.forward("/", map[string]string{"X-Forwarded-Host": "other.example.test"}), http.StatusForbidden, "")
	expect(t, anon.forward("/", map[string]string{"X-Forwarded-Host": "other.example.test"}), http.StatusForbidden, "")
}

// TestAuthzNeverWithoutIdentity: every kind of bad session is refused.
func TestAuthzNeverWithoutIdentity(t *testing.T) {
	h := authzHarness(t, "", true)
	for _, tok := range []string{"forged", "%00%01", strings.Repeat("A", 43), "a b"} {
		c := authzClient(h)
		c.setToken(tok)
		wantSignIn(t, c, "/x")
	}
	// Password only: the pending login never passes.
	pending := authzClient(h)
	pending.register("bob@example.com", phoneB, phoneBE164)
	expect(t, pending.passwordStep("bob@example.com", testPassword, ""), http.StatusSeeOther, "/login/mfa")
	wantSignIn(t, pending, "/x")

	m := authzMember(h, "ann@example.com")
	stolen := m.token()
	wantIdentity(t, m.forward("/x", nil), "ann@example.com", "Ada Lovelace", "")
	// Signed out of the portal: the old token is dead everywhere.
	expect(t, m.post("/logout", nil), http.StatusSeeOther, "/login")
	wantSignIn(t, m, "/x")
	thief := authzClient(h)
	thief.setToken(stolen)
	wantSignIn(t, thief, "/x")

	// Idle too long.
	idle := authzMember(h, "cy@example.com")
	h.clock.Advance(web.DefaultIdleTimeout + time.Minute)
	wantSignIn(t, idle, "/x")

	// A revoked session (its row deleted) and a deleted account.
	rev := authzMember(h, "dee@example.com")
	if err := (store.Sessions{DB: h.db}).DeleteCtx(context.Background(), rev.token()); err != nil {
		t.Fatal(err)
	}
	wantSignIn(t, rev, "/x")
	gone := authzMember(h, "eve@example.com")
	if _, err := h.db.SQL().Exec(`DELETE FROM users WHERE email = 'eve@example.com'`); err != nil {
		t.Fatal(err)
	}
	wantSignIn(t, gone, "/x")
}

// TestAuthzUntrustedPeer: forwarded headers from a peer that is no trusted
// proxy are ignored, and a question about the portal itself never passes.
func TestAuthzUntrustedPeer(t *testing.T) {
	h := authzHarness(t, authzRules, false)
	m := authzMember(h, "ann@example.com")
	expect(t, m.forward("/public/x", nil), http.StatusForbidden, "")
	expect(t, m.original("/public/x"), http.StatusForbidden, "")
	anon := authzClient(h)
	expect(t, anon.forward("/public/x", nil), http.StatusFound, portalURL+"/login")
	expect(t, anon.original("/public/x"), http.StatusUnauthorized, "")
}

// TestAuthzControlBytes: a control byte in any forwarded header is a 400,
// before anything else is looked at.
func TestAuthzControlBytes(t *testing.T) {
	h := authzHarness(t, authzRules, true)
	m := authzMember(h, "ann@example.com")
	for _, hdr := range []string{"X-Forwarded-Uri", "X-Forwarded-Host", "X-Forwarded-Method", "X-Forwarded-Proto", "X-Forwarded-For"} {
		expect(t, m.forward("/public/x", map[string]string{hdr: "/public/x\tmore"}), http.StatusBadRequest, "")
	}
	// Bytes no HTTP client sends are refused too (by the server or by us).
	for _, line := range []string{"X-Original-URL: http://app.example.test/public/\x00x", "X-Forwarded-Uri: /public/\x01", "X-Original-URL: http://app.example.test/\x7f"} {
		if got := rawStatus(t, h, "/api/authz/auth-request", line); got != http.StatusBadRequest {
			t.Errorf("%q: status %d, want 400", line, got)
		}
	}
	// Incomplete descriptions are refused rather than guessed.
	expect(t, m.ask("/api/authz/auth-request", map[string]string{"X-Original-URL": "/relative", "X-Original-Method": "GET"}),
		http.StatusBadRequest, "")
	expect(t, m.forward("/x", map[string]string{"X-Forwarded-Proto": "gopher"}), http.StatusBadRequest, "")
	expect(t, m.forward("no-slash", nil), http.StatusBadRequest, "")
}

// rawStatus sends a GET with one raw header line and returns the status.
func rawStatus(t *testing.T, h *harness, path, line string) int {
	t.Helper()
	conn, err := net.Dial("tcp", h.srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.Write([]byte("GET " + path + " HTTP/1.1\r\nHost: login.example.test\r\n" + line + "\r\nConnection: close\r\n\r\n")); err != nil {
		t.Fatal(err)
	}
	res, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	return res.StatusCode
}

// TestAuthzWritesAtMostOncePerMinute: checks read the session; the
// last-seen stamp is written once a minute, keeping an active person signed
// in, and never for a session signed out meanwhile.
func TestAuthzWritesAtMostOncePerMinute(t *testing.T) {
	h := authzHarness(t, "", true)
	m := authzMember(h, "ann@example.com")
	row := func() string {
		t.Helper()
		var data []byte
		err := h.db.SQL().QueryRow(`SELECT data FROM sessions WHERE token_hash = ?`, store.TokenHash(m.token())).Scan(&data)
		if err != nil {
			return "gone"
		}
		return string(data)
	}
	before := row()
	for range 5 {
		wantIdentity(t, m.forward("/x", nil), "ann@example.com", "Ada Lovelace", "")
	}
	if row() != before {
		t.Fatal("a check within the minute wrote the session")
	}
	// Active through the application for longer than the idle timeout.
	for range 4 {
		h.clock.Advance(10 * time.Minute)
		wantIdentity(t, m.forward("/x", nil), "ann@example.com", "Ada Lovelace", "")
	}
	refreshed := row()
	if refreshed == before {
		t.Fatal("the last-seen stamp was never refreshed")
	}
	wantIdentity(t, m.forward("/x", nil), "ann@example.com", "Ada Lovelace", "")
	if row() != refreshed {
		t.Fatal("a second check in the minute wrote the session")
	}
	// The portal still counts the session alive.
	expect(t, m.get("/dashboard"), http.StatusOK, "")
}
