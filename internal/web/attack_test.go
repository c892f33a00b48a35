package web_test

// Attacks on recovery, step-up, forward authentication and the sessions
// list, written as a stranger would try them; each asserts the safe answer.

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"gatehouse/internal/mail"
	"gatehouse/internal/verify"
)

// countingVerifier counts the SMS codes the portal asked to check.
type countingVerifier struct {
	verify.Verifier
	checks atomic.Int32
}

func (c *countingVerifier) CheckSMS(ctx context.Context, t verify.Target, code string) (verify.Check, error) {
	c.checks.Add(1)
	return c.Verifier.CheckSMS(ctx, t, code)
}

// TestAttackResetSessionJuggling: a browser opens the link of account A
// and has A's code sent, then opens the link of account B; A's code must
// not pass B's reset, before or after B's own send.
func TestAttackResetSessionJuggling(t *testing.T) {
	onEachDatabase(t, func(t *testing.T, h *harness, ended *sessionLog, rec *recordLog) {
		const a, b, bPhone = "ada@example.com", "bob@example.com", "+12015557001"
		h.client().register(a, phoneA, phoneAE164)
		h.client().register(b, bPhone, bPhone)
		h.clock.Advance(time.Minute)

		c, _ := h.openReset(a)
		expect(t, c.post("/password/reset/sms", nil), http.StatusSeeOther, "/password/reset/code")
		codeA := h.code(phoneAE164)
		h.client().forgot(b)
		linkB := h.link(b, mail.NoticeResetLink)
		expect(t, c.get(linkB), http.StatusOK, "")
		r := c.post("/password/reset/code", url.Values{"code": {codeA}})
		if r.status == http.StatusSeeOther && r.location() == "/password/reset/new" {
			t.Fatal("A's code passed B's reset")
		}
		h.clock.Advance(time.Minute)
		expect(t, c.post("/password/reset/sms", nil), http.StatusSeeOther, "/password/reset/code")
		if h.code(bPhone) == codeA {
			t.Skip("codes collided")
		}
		r = c.post("/password/reset/code", url.Values{"code": {codeA}})
		if r.status == http.StatusSeeOther {
			t.Fatalf("A's code after B's send: %d %q", r.status, r.location())
		}
		expect(t, c.post("/password/reset/new", url.Values{"password": {newPassword}}), http.StatusSeeOther, "/password/reset")
		if !h.canSignIn(b, testPassword) || !h.canSignIn(a, testPassword) {
			t.Fatal("a password changed")
		}
		// Nobody is signed in by a reset state.
		expect(t, c.get("/dashboard"), http.StatusSeeOther, "/login?next=%2Fdashboard")
	})
}

// TestAttackForgotVariantsAlike: a known address written differently
// (case, spaces) answers as an unknown one, bytes and headers.
func TestAttackForgotVariantsAlike(t *testing.T) {
	h := newHarness(t)
	h.client().register("ada@example.com", phoneA, phoneAE164)
	var answers []resp
	for _, e := range []string{"ADA@Example.com", " ada@example.com ", "nobody@example.com", "not-an-address"} {
		c := h.client()
		r := c.post("/password/forgot", url.Values{"email": {e}, "captcha": {c.captcha()}})
		r.header.Del("Date")
		r.header.Del("Set-Cookie")
		r.header.Del("X-Request-ID")
		answers = append(answers, r)
	}
	for i, r := range answers[1:] {
		if r.status != answers[0].status || r.body != answers[0].body || !mapsEqual(r.header, answers[0].header) {
			t.Errorf("answer %d differs: %d %v %q vs %d %v %q", i+1, r.status, r.header, r.body,
				answers[0].status, answers[0].header, answers[0].body)
		}
	}
}

// TestAttackResetParallelWrongCodes: thirty wrong codes at once on one
// reset; at most the cap of them is checked.
func TestAttackResetParallelWrongCodes(t *testing.T) {
	onEachDatabase(t, func(t *testing.T, h *harness, ended *sessionLog, rec *recordLog) {
		h.client().register("ada@example.com", phoneA, phoneAE164)
		h.clock.Advance(time.Minute)
		c, link := h.openReset("ada@example.com")
		expect(t, c.post("/password/reset/sms", nil), http.StatusSeeOther, "/password/reset/code")
		wrong := otherCode(h.code(phoneAE164))
		cv := &countingVerifier{Verifier: h.verifier.Verifier}
		h.verifier.Verifier = cv
		var wg sync.WaitGroup
		for range 30 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				c.post("/password/reset/code", url.Values{"code": {wrong}})
			}()
		}
		wg.Wait()
		if n := cv.checks.Load(); n > 5 || n == 0 {
			t.Errorf("%d wrong codes were checked, cap is 5", n)
		}
		if u := h.user("ada@example.com"); u.FailedAttempts > 5 {
			t.Errorf("account counted %d failures", u.FailedAttempts)
		}
		// The right code no longer opens the reset, and the link is spent.
		r := c.post("/password/reset/code", url.Values{"code": {h.code(phoneAE164)}})
		if r.status == http.StatusSeeOther && r.location() == "/password/reset/new" {
			t.Fatal("the reset survived 30 wrong codes")
		}
		expect(t, h.client().get(link), http.StatusGone, "")
	})
}

// TestAttackStepUpRememberedDeviceAndOld: a sign-in on a remembered
// device, and a sign-in older than the window, change no protection
// without a fresh code.
func TestAttackStepUpRememberedDeviceAndOld(t *testing.T) {
	h := newHarness(t, withRememberDevice(720*time.Hour))
	dev := h.client()
	dev.register("ada@example.com", phoneA, phoneAE164)
	h.clock.Advance(time.Minute)
	expect(t, dev.passwordStep("ada@example.com", testPassword, ""), http.StatusSeeOther, "/login/mfa")
	expect(t, dev.post("/login/mfa/sms", nil), http.StatusSeeOther, "/login/mfa/code")
	expect(t, dev.post("/login/mfa/code", url.Values{"code": {h.code(phoneAE164)}, "remember_device": {"1"}}), http.StatusSeeOther, "/dashboard")
	expect(t, dev.post("/logout", nil), http.StatusSeeOther, "/login")
	// A second browser of the account, to be revoked.
	other := h.client()
	h.clock.Advance(time.Minute)
	expect(t, other.signIn("ada@example.com", phoneAE164, ""), http.StatusSeeOther, "/dashboard")
	old := h.client()
	h.clock.Advance(time.Minute)
	expect(t, old.signIn("ada@example.com", phoneAE164, ""), http.StatusSeeOther, "/dashboard")
	h.clock.Advance(11 * time.Minute)
	// The device sign-in is a minute old: only the device vouched for it.
	expect(t, dev.passwordStep("ada@example.com", testPassword, ""), http.StatusSeeOther, "/dashboard")
	h.clock.Advance(time.Minute)
	// dev signed in (by device) within the window; old signed in before it.
	for name, c := range map[string]*client{"remembered device": dev, "old session": old} {
		r := c.post("/account/phone", url.Values{"phone": {phoneB}})
		if !strings.HasPrefix(r.location(), "/account/step-up") {
			t.Errorf("%s: phone change %d %q", name, r.status, r.location())
		}
		r = c.post("/account/password", url.Values{"current_password": {testPassword}, "new_password": {newPassword}})
		if !strings.HasPrefix(r.location(), "/account/step-up") {
			t.Errorf("%s: password change %d %q", name, r.status, r.location())
		}
		for _, p := range []string{"/remove-totp-device/", "/generate-backup-codes/"} {
			if r := c.post(p, nil); r.status != http.StatusForbidden {
				t.Errorf("%s: %s answered %d", name, p, r.status)
			}
		}
		c.post("/account/sessions/revoke", url.Values{"all": {"others"}})
		expect(t, other.get("/dashboard"), http.StatusOK, "")
	}
	if u := h.user("ada@example.com"); u.Phone != phoneAE164 {
		t.Fatal("phone changed")
	}
	if !h.canSignIn("ada@example.com", testPassword) {
		t.Fatal("password changed")
	}
}

// TestAttackStepUpCodeOfAnotherAccount: two accounts on one number; the
// step-up code sent for one never stamps the other.
func TestAttackStepUpCodeOfAnotherAccount(t *testing.T) {
	h := newHarness(t)
	a := h.member("ada@example.com")
	b := h.member("bob@example.com") // the same number as ada
	h.clock.Advance(11 * time.Minute)
	expect(t, a.post("/account/step-up/sms", url.Values{"next": {"/account/phone"}}), http.StatusSeeOther, "")
	codeA := h.code(phoneAE164)
	r := b.post("/account/step-up", url.Values{"method": {"sms"}, "code": {codeA}, "next": {"/account/phone"}})
	if r.status == http.StatusSeeOther && r.location() == "/account/phone" {
		t.Fatal("ada's step-up code stamped bob's session")
	}
	if r := b.post("/generate-backup-codes/", nil); r.status != http.StatusForbidden {
		t.Fatalf("bob made backup codes: %d", r.status)
	}
}

// TestAttackAuthzResetState: a browser past a reset's second factor is
// no signed-in session for the proxy.
func TestAttackAuthzResetState(t *testing.T) {
	h := authzHarness(t, "", true)
	m := authzMember(h, "ann@example.com")
	codes := newBackupCodes(t, m)
	authzClient(h).forgot("ann@example.com")
	link := h.link("ann@example.com", mail.NoticeResetLink)
	c := authzClient(h)
	expect(t, c.get(link), http.StatusOK, "")
	expect(t, c.post("/password/reset/code", url.Values{"backup_code": {codes[0]}}), http.StatusSeeOther, "/password/reset/new")
	wantSignIn(t, c, "/x")
	expect(t, c.get("/dashboard"), http.StatusSeeOther, "/login?next=%2Fdashboard")
}

// TestAttackLoginNextOffSite: next values that browsers read as another
// host never leave the portal after sign-in.
func TestAttackLoginNextOffSite(t *testing.T) {
	h := newHarness(t)
	for i, next := range []string{"//evil.example/x", "/\\evil.example", "https://evil.example/", "/\t/evil.example",
		"\\\\evil.example", "/%2F/evil.example", "javascript:alert(1)", " //evil.example"} {
		email, phone := fmt.Sprintf("u%d@example.com", i), fmt.Sprintf("+120155571%02d", i)
		h.client().register(email, phone, phone)
		h.clock.Advance(time.Minute)
		c := h.client()
		r := c.signIn(email, phone, next)
		loc := r.location()
		u, err := url.Parse(loc)
		if r.status != http.StatusSeeOther || err != nil || u.Host != "" || u.Scheme != "" ||
			!strings.HasPrefix(loc, "/") || strings.HasPrefix(loc, "//") || strings.HasPrefix(loc, "/\\") {
			t.Errorf("next %q: %d %q", next, r.status, loc)
		}
	}
}

// TestAttackForgetAnotherAccountsDevice: forgetting a device by the id of
// another account's device forgets nothing.
func TestAttackForgetAnotherAccountsDevice(t *testing.T) {
	h := newHarness(t, withRememberDevice(720*time.Hour))
	a := h.client()
	a.register("ada@example.com", phoneA, phoneAE164)
	h.clock.Advance(time.Minute)
	expect(t, a.passwordStep("ada@example.com", testPassword, ""), http.StatusSeeOther, "/login/mfa")
	expect(t, a.post("/login/mfa/sms", nil), http.StatusSeeOther, "/login/mfa/code")
	expect(t, a.post("/login/mfa/code", url.Values{"code": {h.code(phoneAE164)}, "remember_device": {"1"}}), http.StatusSeeOther, "/dashboard")
	var ids []string
	rows, err := h.db.SQL().Query(`SELECT * FROM remembered_devices`)
	if err != nil {
		t.Fatal(err)
	}
	cols, _ := rows.Columns()
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		for i, col := range cols {
			if strings.Contains(col, "id") && col != "user_id" {
				if s, ok := vals[i].(string); ok {
					ids = append(ids, s)
				}
				if b, ok := vals[i].([]byte); ok {
					ids = append(ids, string(b))
				}
			}
		}
	}
	rows.Close()
	if len(ids) == 0 {
		t.Fatal("no device id")
	}
	b := h.member("bob@example.com")
	h.clock.Advance(time.Minute)
	for _, id := range ids {
		b.post("/account/devices/forget", url.Values{"id": {id}})
	}
	expect(t, a.post("/logout", nil), http.StatusSeeOther, "/login")
	expect(t, a.passwordStep("ada@example.com", testPassword, ""), http.StatusSeeOther, "/dashboard")
}
