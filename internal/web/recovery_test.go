package web_test

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"gatehouse/internal/auth"
	"gatehouse/internal/mail"
)

const newPassword = "saffron-Lighthouse-93"

// onEachDatabase runs fn on a fresh harness on every database, with a
// fresh record of the sessions ended and the activity recorded.
func onEachDatabase(t *testing.T, fn func(t *testing.T, h *harness, ended *sessionLog, rec *recordLog)) {
	for _, db := range databases {
		t.Run(db, func(t *testing.T) {
			h := newHarness(t, onDatabase(db))
			fn(t, h, &sessionLog{h}, &recordLog{h})
		})
	}
}

// openReset asks for a reset link for email in a fresh client and opens it.
func (h *harness) openReset(email string) (*client, string) {
	h.t.Helper()
	c := h.client()
	c.forgot(email)
	link := h.link(email, mail.NoticeResetLink)
	r := c.get(link)
	expect(h.t, r, http.StatusOK, "")
	return c, link
}

// canSignIn reports whether email's password step accepts pw.
func (h *harness) canSignIn(email, pw string) bool {
	h.t.Helper()
	r := h.client().passwordStep(email, pw, "")
	return r.status == http.StatusSeeOther && r.location() == "/login/mfa"
}

func TestForgotAnswersAlike(t *testing.T) {
	onEachDatabase(t, func(t *testing.T, h *harness, ended *sessionLog, rec *recordLog) {
		h.client().register("ada@example.com", phoneA, phoneAE164)
		expect(t, h.client().get("/password/forgot"), http.StatusOK, "")
		contains(t, h.client().get("/login").body, `href="/password/forgot"`, "Forgot your password?")
		answer := func(email string) resp {
			c := h.client()
			c.get("/password/forgot")
			return c.forgot(email)
		}
		known, unknown := answer("ada@example.com"), answer("nobody@example.com")
		if known.body != unknown.body {
			t.Errorf("bodies differ:\n%q\n%q", known.body, unknown.body)
		}
		for _, hd := range []http.Header{known.header, unknown.header} {
			hd.Del("Date")
			hd.Del("Set-Cookie")
			hd.Del("X-Request-ID") // new for every request
		}
		if !mapsEqual(known.header, unknown.header) {
			t.Errorf("headers differ:\n%v\n%v", known.header, unknown.header)
		}
		if got := h.mailsTo("ada@example.com"); !slices.Contains(got, string(mail.NoticeResetLink)) {
			t.Errorf("known address got %v", got)
		}
		if got := h.mailsTo("nobody@example.com"); len(got) != 0 {
			t.Errorf("unknown address got %v", got)
		}
		r := h.client().get("/password/forgot/sent")
		contains(t, r.body, "If an account uses that address, we've sent it a link")
		// A wrong CAPTCHA is refused for both alike.
		c := h.client()
		expect(t, c.post("/password/forgot", url.Values{"email": {"ada@example.com"}, "captcha": {"Zm9v"}}), http.StatusUnprocessableEntity, "")
	})
}

func mapsEqual(a, b http.Header) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if !slices.Equal(v, b[k]) {
			return false
		}
	}
	return true
}

func TestResetWithSMS(t *testing.T) {
	onEachDatabase(t, func(t *testing.T, h *harness, ended *sessionLog, rec *recordLog) {
		h.client().register("ada@example.com", phoneA, phoneAE164)
		h.clock.Advance(time.Minute)
		c, link := h.openReset("ada@example.com")
		r := c.get(link)
		contains(t, r.body, "Reset your password", `action="/password/reset/sms"`, "(***) ***-6053", ">Send code<")
		if strings.Contains(r.body, "Authenticator code") {
			t.Error("authenticator offered to an SMS user")
		}
		// Nothing is due before the factor.
		expect(t, c.get("/password/reset/new"), http.StatusSeeOther, "/password/reset")
		expect(t, c.post("/password/reset/new", url.Values{"password": {newPassword}}), http.StatusSeeOther, "/password/reset")
		expect(t, c.post("/password/reset/code", url.Values{"code": {"123456"}}), http.StatusSeeOther, "/password/reset")

		before := h.sends()
		expect(t, c.post("/password/reset/sms", nil), http.StatusSeeOther, "/password/reset/code")
		if h.sends() != before+1 {
			t.Fatal("no code sent")
		}
		contains(t, c.get("/password/reset/code").body, "Enter the code sent to", "(***) ***-6053", `action="/password/reset/code"`)
		code := h.code(phoneAE164)
		r = c.post("/password/reset/code", url.Values{"code": {otherCode(code)}})
		expect(t, r, http.StatusUnprocessableEntity, "")
		contains(t, r.body, "That code is not correct.")
		expect(t, c.post("/password/reset/code", url.Values{"code": {code}}), http.StatusSeeOther, "/password/reset/new")
		contains(t, c.get("/password/reset/new").body, "Choose a new password", `autocomplete="new-password"`)
		r = c.post("/password/reset/new", url.Values{"password": {"password123"}})
		expect(t, r, http.StatusUnprocessableEntity, "")
		contains(t, r.body, "too common")
		expect(t, c.post("/password/reset/new", url.Values{"password": {newPassword}}), http.StatusSeeOther, "/login")
		contains(t, c.get("/login").body, "Your password has been reset. Sign in with your new password.")

		// Nobody was signed in, the link is spent, the owner was told.
		expect(t, c.get("/dashboard"), http.StatusSeeOther, "/login?next=%2Fdashboard")
		r = c.get(link)
		expect(t, r, http.StatusGone, "")
		contains(t, r.body, "This link is invalid, was already used or has expired.", `href="/password/forgot"`)
		if !h.canSignIn("ada@example.com", newPassword) || h.canSignIn("ada@example.com", testPassword) {
			t.Fatal("the new password does not replace the old one")
		}
		u := h.user("ada@example.com")
		if n := ended.live(u.ID); n != 0 {
			t.Errorf("%d sessions of the account live on after the reset", n)
		}
		if got := h.mailsTo("ada@example.com"); count(got, string(mail.NoticePasswordReset)) != 1 {
			t.Errorf("mails: %v", got)
		}
		if got := rec.list(); !slices.Contains(got, "password_reset") {
			t.Errorf("events: %v", got)
		}
	})
}

func TestResetAuthenticatorUserNeverBySMS(t *testing.T) {
	onEachDatabase(t, func(t *testing.T, h *harness, ended *sessionLog, rec *recordLog) {
		m := h.member("ada@example.com")
		secret := m.enrollTOTP()
		h.clock.Advance(31 * time.Second)
		c, _ := h.openReset("ada@example.com")
		r := c.get("/password/reset")
		contains(t, r.body, "Authenticator code", `action="/password/reset/code"`)
		if strings.Contains(r.body, `action="/password/reset/sms"`) {
			t.Error("SMS offered to an authenticator user")
		}
		before := h.sends()
		expect(t, c.post("/password/reset/sms", nil), http.StatusSeeOther, "/password/reset")
		if h.sends() != before {
			t.Fatal("an SMS went out for an authenticator user's reset")
		}
		// Only the authenticator's current code passes.
		expect(t, c.post("/password/reset/code", url.Values{"code": {"000000"}}), http.StatusUnprocessableEntity, "")
		expect(t, c.post("/password/reset/code", url.Values{"code": {h.totpCode(secret)}}), http.StatusSeeOther, "/password/reset/new")
		expect(t, c.post("/password/reset/new", url.Values{"password": {newPassword}}), http.StatusSeeOther, "/login")
		if !h.canSignIn("ada@example.com", newPassword) {
			t.Fatal("reset with the authenticator did not take")
		}
	})
}

func TestResetWithBackupCode(t *testing.T) {
	onEachDatabase(t, func(t *testing.T, h *harness, ended *sessionLog, rec *recordLog) {
		m := h.member("ada@example.com")
		m.enrollTOTP()
		codes := newBackupCodes(t, m)
		c, _ := h.openReset("ada@example.com")
		contains(t, c.get("/password/reset").body, "Use a backup code instead", `name="backup_code"`)
		r := c.post("/password/reset/code", url.Values{"backup_code": {"0000-0000-0000"}})
		expect(t, r, http.StatusUnprocessableEntity, "")
		contains(t, r.body, `id="backup_code-error"`)
		expect(t, c.post("/password/reset/code", url.Values{"backup_code": {codes[0]}}), http.StatusSeeOther, "/password/reset/new")
		expect(t, c.post("/password/reset/new", url.Values{"password": {newPassword}}), http.StatusSeeOther, "/login")
	})
}

// newBackupCodes creates a set of backup codes for a member.
func newBackupCodes(t *testing.T, c *client) []string {
	t.Helper()
	m := expectJSON(t, c.post(pathBackupCodes, nil), http.StatusOK)
	raw, _ := m["codes"].([]any)
	var out []string
	for _, x := range raw {
		out = append(out, x.(string))
	}
	if len(out) != 10 {
		t.Fatalf("codes: %v", m)
	}
	return out
}

// TestResetLinkBoundToItsAccount: passing A's factor and then opening B's
// link (say, a leaked one) gives no power over B, and A's reset changes
// only A.
func TestResetLinkBoundToItsAccount(t *testing.T) {
	onEachDatabase(t, func(t *testing.T, h *harness, ended *sessionLog, rec *recordLog) {
		h.client().register("ada@example.com", phoneA, phoneAE164)
		h.client().register("bob@example.com", phoneB, phoneBE164)
		h.clock.Advance(time.Minute)
		c, _ := h.openReset("ada@example.com")
		expect(t, c.post("/password/reset/sms", nil), http.StatusSeeOther, "/password/reset/code")
		expect(t, c.post("/password/reset/code", url.Values{"code": {h.code(phoneAE164)}}), http.StatusSeeOther, "/password/reset/new")
		h.client().forgot("bob@example.com")
		bobLink := h.link("bob@example.com", mail.NoticeResetLink)
		contains(t, c.get(bobLink).body, "(***) ***-1234")
		expect(t, c.post("/password/reset/new", url.Values{"password": {newPassword}}), http.StatusSeeOther, "/password/reset")
		if h.canSignIn("bob@example.com", newPassword) || !h.canSignIn("bob@example.com", testPassword) {
			t.Fatal("B's password changed")
		}
		// A's reset, started anew, resets A alone.
		c, _ = h.openReset("ada@example.com")
		h.clock.Advance(time.Minute)
		expect(t, c.post("/password/reset/sms", nil), http.StatusSeeOther, "/password/reset/code")
		expect(t, c.post("/password/reset/code", url.Values{"code": {h.code(phoneAE164)}}), http.StatusSeeOther, "/password/reset/new")
		expect(t, c.post("/password/reset/new", url.Values{"password": {newPassword}}), http.StatusSeeOther, "/login")
		if !h.canSignIn("ada@example.com", newPassword) || !h.canSignIn("bob@example.com", testPassword) {
			t.Fatal("A's reset changed the wrong account")
		}
	})
}

func TestResetLinkExpiresAndWrongCodesEndIt(t *testing.T) {
	onEachDatabase(t, func(t *testing.T, h *harness, ended *sessionLog, rec *recordLog) {
		h.client().register("ada@example.com", phoneA, phoneAE164)
		h.clock.Advance(time.Minute)
		// Expired: the link, and a reset opened before the expiry.
		c, link := h.openReset("ada@example.com")
		h.clock.Advance(31 * time.Minute)
		expect(t, h.client().get(link), http.StatusGone, "")
		expect(t, c.post("/password/reset/sms", nil), http.StatusGone, "")
		expect(t, c.post("/password/reset/sms", nil), http.StatusSeeOther, "/password/forgot")
		expect(t, h.client().get("/password/reset?token=nonsense"), http.StatusGone, "")
		expect(t, h.client().get("/password/reset"), http.StatusGone, "")

		// Five wrong codes end the reset and void the link.
		c, link = h.openReset("ada@example.com")
		expect(t, c.post("/password/reset/sms", nil), http.StatusSeeOther, "/password/reset/code")
		wrong := otherCode(h.code(phoneAE164))
		for i := 1; i <= 5; i++ {
			r := c.post("/password/reset/code", url.Values{"code": {wrong}})
			expect(t, r, http.StatusUnprocessableEntity, "")
			if i == 5 {
				contains(t, r.body, "Too many wrong codes. This reset has ended: ask for a new link.")
			}
		}
		expect(t, c.post("/password/reset/code", url.Values{"code": {h.code(phoneAE164)}}), http.StatusSeeOther, "/password/forgot")
		expect(t, h.client().get(link), http.StatusGone, "")
	})
}

// TestResetParallelUseResetsOnce: two browsers holding one link, each past
// the second factor, race to save a password: exactly one wins.
func TestResetParallelUseResetsOnce(t *testing.T) {
	onEachDatabase(t, func(t *testing.T, h *harness, ended *sessionLog, rec *recordLog) {
		m := h.member("ada@example.com")
		codes := newBackupCodes(t, m)
		h.client().forgot("ada@example.com")
		link := h.link("ada@example.com", mail.NoticeResetLink)
		var cs []*client
		for i := range 2 {
			c := h.client()
			expect(t, c.get(link), http.StatusOK, "")
			expect(t, c.post("/password/reset/code", url.Values{"backup_code": {codes[i]}}), http.StatusSeeOther, "/password/reset/new")
			cs = append(cs, c)
		}
		var wg sync.WaitGroup
		res := make([]resp, len(cs))
		for i, c := range cs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				res[i] = c.post("/password/reset/new", url.Values{"password": {newPassword + string(rune('a'+i))}})
			}()
		}
		wg.Wait()
		won := 0
		for _, r := range res {
			switch r.status {
			case http.StatusSeeOther:
				won++
			case http.StatusGone:
			default:
				t.Errorf("status %d", r.status)
			}
		}
		if won != 1 {
			t.Fatalf("%d resets won, want 1", won)
		}
	})
}

// TestResetNeedsASecondFactor: an account imported without one (MFA off)
// cannot be reset by its mailbox alone.
func TestResetNeedsASecondFactor(t *testing.T) {
	h := newHarness(t)
	if _, err := h.auth.CreateUser(context.Background(), auth.CreateUserInput{Email: "ada@example.com",
		FirstName: "Ada", LastName: "Lovelace", Password: testPassword, Phone: phoneA}); err != nil {
		t.Fatal(err)
	}
	c := h.client()
	c.forgot("ada@example.com")
	r := c.get(h.link("ada@example.com", mail.NoticeResetLink))
	expect(t, r, http.StatusForbidden, "")
	contains(t, r.body, "This account has no second factor yet, so its password can't be reset here.")
	expect(t, c.post("/password/reset/sms", nil), http.StatusSeeOther, "/password/reset")
	expect(t, c.post("/password/reset/new", url.Values{"password": {newPassword}}), http.StatusSeeOther, "/password/reset")
	if h.canSignIn("ada@example.com", newPassword) {
		t.Fatal("reset without a second factor")
	}
}
