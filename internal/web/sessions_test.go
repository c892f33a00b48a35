package web_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"gatehouse/internal/store"
	"gatehouse/internal/web"
)

// gatedStore is the session store with a gate on the commit of one token:
// the commit waits there until released, as a slow request would.
type gatedStore struct {
	store.Sessions
	mu      sync.Mutex
	token   string
	reached chan struct{}
	release chan struct{}
}

func (g *gatedStore) arm(token string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.token, g.reached, g.release = token, make(chan struct{}), make(chan struct{})
}

// CommitCtx implements scs.CtxStore.
func (g *gatedStore) CommitCtx(ctx context.Context, token string, b []byte, expiry time.Time) error {
	g.mu.Lock()
	hold := g.token != "" && token == g.token
	if hold {
		g.token = ""
	}
	reached, release := g.reached, g.release
	g.mu.Unlock()
	if hold {
		close(reached)
		<-release
	}
	return g.Sessions.CommitCtx(ctx, token, b, expiry)
}

// withGatedStore puts a gatedStore in front of the harness's sessions.
func withGatedStore(g *gatedStore) func(*setup) {
	return func(s *setup) {
		prev := s.web
		s.web = func(o *web.Options) {
			if prev != nil {
				prev(o)
			}
			g.Sessions = o.SessionStore.(store.Sessions)
			o.SessionStore = g
		}
	}
}

// TestLogoutInFlightStaysDead: a request that loaded the session before a
// logout and commits after it does not sign the logged-out token in again
// (issue 9), on both databases.
func TestLogoutInFlightStaysDead(t *testing.T) {
	for _, db := range databases {
		t.Run(db, func(t *testing.T) {
			g := &gatedStore{}
			h := newHarness(t, onDatabase(db), withGatedStore(g))
			c := h.member("ada@example.com")
			old := c.token()
			// A minute on, a page view refreshes the idle clock: it commits.
			h.clock.Advance(2 * time.Minute)
			g.arm(old)
			inFlight := h.client()
			inFlight.setToken(old)
			done := make(chan resp, 1)
			go func() { done <- inFlight.get("/dashboard") }()
			<-g.reached // loaded and served, its commit waiting
			expect(t, c.post("/logout", nil), http.StatusSeeOther, "/login")
			close(g.release)
			if r := <-done; r.status != http.StatusOK {
				t.Fatalf("in-flight request: %d", r.status)
			}
			thief := h.client()
			thief.setToken(old)
			expect(t, thief.get("/dashboard"), http.StatusSeeOther, "/login?next=%2Fdashboard")
			if _, ok, err := (store.Sessions{DB: h.db}).FindCtx(context.Background(), old); ok || err != nil {
				t.Fatalf("logged-out session is back in the store: %v, %v", ok, err)
			}
		})
	}
}

// TestSessionTokensNotStored: the sessions table holds hashes of the
// tokens, never the tokens.
func TestSessionTokensNotStored(t *testing.T) {
	h := newHarness(t)
	a := h.member("ada@example.com")
	pre := h.client()
	expect(t, pre.passwordStep("ada@example.com", testPassword, ""), http.StatusSeeOther, "/login/mfa")
	rows, err := h.db.SQL().QueryContext(context.Background(), `SELECT token_hash, public_id, data FROM sessions`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var all strings.Builder
	n := 0
	for rows.Next() {
		var hash, id string
		var data []byte
		if err := rows.Scan(&hash, &id, &data); err != nil {
			t.Fatal(err)
		}
		all.WriteString(hash + "|" + id + "|" + string(data) + "\n")
		n++
	}
	for _, tok := range []string{a.token(), pre.token()} {
		if tok == "" || strings.Contains(all.String(), tok) {
			t.Fatalf("a session token is stored in the clear (or missing)")
		}
		if !strings.Contains(all.String(), store.TokenHash(tok)) {
			t.Errorf("no row for a live session's hash")
		}
	}
	if n < 2 {
		t.Fatalf("%d session rows", n)
	}
}

var revokeID = regexp.MustCompile(`name="id" value="([0-9a-f]+)"`)

// TestSessionsPage: the account's sessions are listed with this one
// marked; another can be signed out by its id, or all others at once, only
// within minutes of the second factor.
func TestSessionsPage(t *testing.T) {
	h := newHarness(t)
	a := h.member("ada@example.com")
	b := h.client()
	h.clock.Advance(time.Minute)
	expect(t, b.signIn("ada@example.com", phoneAE164, ""), http.StatusSeeOther, "/dashboard")
	other := h.client()
	other.register("bob@example.com", phoneB, phoneBE164)
	h.clock.Advance(time.Minute)
	expect(t, other.signIn("bob@example.com", phoneBE164, ""), http.StatusSeeOther, "/dashboard")

	r := a.get("/account/sessions")
	expect(t, r, http.StatusOK, "")
	contains(t, r.body, "This session", "Go HTTP client", "127.0.0.1", "Sign out everywhere else")
	ids := revokeID.FindAllStringSubmatch(r.body, -1)
	if len(ids) != 1 {
		t.Fatalf("revocable sessions on the page: %d", len(ids))
	}
	for _, tok := range []string{a.token(), b.token(), store.TokenHash(a.token()), store.TokenHash(b.token())} {
		if strings.Contains(r.body, tok) {
			t.Fatal("the page shows a token or its hash")
		}
	}
	// Another account's id signs nothing out.
	expect(t, other.post("/account/sessions/revoke", url.Values{"id": {ids[0][1]}}), http.StatusSeeOther, "/account/sessions")
	expect(t, b.get("/dashboard"), http.StatusOK, "")

	// Outside the window: refused, with the way to sign in again.
	h.clock.Advance(11 * time.Minute)
	expect(t, a.post("/account/sessions/revoke", url.Values{"id": {ids[0][1]}}), http.StatusSeeOther, "/account/sessions")
	r = a.get("/account/sessions")
	contains(t, r.body, "Confirm it's you:", "sign in again", `name="reauth" value="1"`)
	expect(t, b.get("/dashboard"), http.StatusOK, "")

	// Within it: signed out at once.
	a = h.client()
	h.clock.Advance(time.Minute)
	expect(t, a.signIn("ada@example.com", phoneAE164, ""), http.StatusSeeOther, "/dashboard")
	ids = revokeID.FindAllStringSubmatch(a.get("/account/sessions").body, -1)
	if len(ids) != 2 {
		t.Fatalf("revocable sessions: %d", len(ids))
	}
	for _, id := range ids {
		expect(t, a.post("/account/sessions/revoke", url.Values{"id": {id[1]}}), http.StatusSeeOther, "/account/sessions")
	}
	expect(t, b.get("/dashboard"), http.StatusSeeOther, "/login?next=%2Fdashboard")
	expect(t, a.get("/dashboard"), http.StatusOK, "")

	// Everywhere else.
	c := h.client()
	h.clock.Advance(time.Minute)
	expect(t, c.signIn("ada@example.com", phoneAE164, ""), http.StatusSeeOther, "/dashboard")
	expect(t, a.post("/account/sessions/revoke", url.Values{"all": {"others"}}), http.StatusSeeOther, "/account/sessions")
	expect(t, c.get("/dashboard"), http.StatusSeeOther, "/login?next=%2Fdashboard")
	expect(t, a.get("/dashboard"), http.StatusOK, "")
	expect(t, other.get("/dashboard"), http.StatusOK, "")
	contains(t, a.get("/account/activity").body, "Signed out a session")
}

// TestReauthLogout: "sign in again" ends the session and returns to the
// sessions page after a fresh sign-in.
func TestReauthLogout(t *testing.T) {
	h := newHarness(t)
	a := h.member("ada@example.com")
	expect(t, a.post("/logout", url.Values{"reauth": {"1"}, "next": {"/account/sessions"}}),
		http.StatusSeeOther, "/login?next=%2Faccount%2Fsessions")
	h.clock.Advance(time.Minute)
	expect(t, a.signIn("ada@example.com", phoneAE164, "/account/sessions"), http.StatusSeeOther, "/account/sessions")
}
