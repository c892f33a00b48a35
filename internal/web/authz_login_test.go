package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// TestReturnAfterSignIn: rd on GET /login rides through the password step
// and the second factor, and is used only when access.ReturnURL accepts it.
func TestReturnAfterSignIn(t *testing.T) {
	h := authzHarness(t, "", true)
	email := "ann@example.com"
	m := authzMember(h, email)
	for _, c := range []struct{ rd, want string }{
		{"http://app.example.test/some/page?x=1", "http://app.example.test/some/page?x=1"},
		{"http://APP.example.test:8443/p", "http://app.example.test:8443/p"},
		{"https://evil.test/", "/dashboard"},
		{"//app.example.test/", "/dashboard"},
		{"http://user@app.example.test/", "/dashboard"},
		{"javascript:alert(1)", "/dashboard"},
	} {
		expect(t, m.post("/logout", nil), http.StatusSeeOther, "/login")
		page := m.get("/login?rd=" + url.QueryEscape(c.rd))
		hasField := strings.Contains(page.body, `name="rd"`)
		if hasField != (c.want != "/dashboard") {
			t.Errorf("rd %q: hidden field present = %v", c.rd, hasField)
		}
		h.clock.Advance(13 * time.Minute) // at most 5 sign-in codes to a number an hour
		f := url.Values{"email": {email}, "password": {testPassword}, "captcha": {m.captcha()}, "rd": {c.rd}}
		expect(t, m.post("/login", f), http.StatusSeeOther, "/login/mfa")
		expect(t, m.post("/login/mfa/sms", nil), http.StatusSeeOther, "/login/mfa/code")
		e164 := memberPhone(email)
		expect(t, m.post("/login/mfa/code", url.Values{"code": {h.code(e164)}}), http.StatusSeeOther, c.want)
	}
}

// TestCookieDomain: the session cookie is set for the parent domain, so
// the applications under it receive it.
func TestCookieDomain(t *testing.T) {
	h := authzHarness(t, "", true)
	c := authzClient(h)
	r := c.post("/register", url.Values{"first_name": {"Ada"}, "last_name": {"Lovelace"},
		"email": {"ada@example.com"}, "captcha": {c.captcha()}})
	expect(t, r, http.StatusSeeOther, "/register/credentials")
	if sc := r.header.Get("Set-Cookie"); !strings.Contains(sc, "Domain=example.test") {
		t.Fatalf("Set-Cookie %q lacks Domain=example.test", sc)
	}
	// The redirect to rd after a form post must be allowed by form-action.
	if csp := r.header.Get("Content-Security-Policy"); !strings.Contains(csp, "form-action 'self' example.test:* *.example.test:*;") {
		t.Errorf("form-action does not allow the applications: %q", csp)
	}
}

// TestLogoutReturn: GET /logout asks to confirm and carries a usable rd;
// POST /logout signs out and goes there (or to /login).
func TestLogoutReturn(t *testing.T) {
	h := authzHarness(t, "", true)
	m := authzMember(h, "ann@example.com")
	page := m.get("/logout?rd=" + url.QueryEscape("http://app.example.test/home"))
	expect(t, page, http.StatusOK, "")
	contains(t, page.body, `action="/logout"`, `name="rd" value="http://app.example.test/home"`,
		`<a href="http://app.example.test/home">Stay signed in</a>`)
	wantIdentity(t, m.forward("/home", nil), "ann@example.com", "Ada Lovelace", "")
	bad := m.get("/logout?rd=" + url.QueryEscape("https://evil.test/"))
	if strings.Contains(bad.body, `name="rd"`) || strings.Contains(bad.body, "evil.test") {
		t.Error("a foreign rd was kept on the confirm page")
	}
	expect(t, m.post("/logout", url.Values{"rd": {"http://app.example.test/home"}}), http.StatusSeeOther, "http://app.example.test/home")
	wantSignIn(t, m, "/home")
	m2 := authzMember(h, "bob@example.com")
	expect(t, m2.post("/logout", url.Values{"rd": {"https://evil.test/"}}), http.StatusSeeOther, "/login")
	wantSignIn(t, m2, "/home")
}
