package web_test

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"gatehouse/internal/mail"
)

func TestChangePassword(t *testing.T) {
	onEachDatabase(t, func(t *testing.T, h *harness, ended *sessionLog, rec *recordLog) {
		c := h.member("ada@example.com")
		other := h.client() // the account signed in on another browser too
		h.clock.Advance(time.Minute)
		expect(t, other.signIn("ada@example.com", phoneAE164, ""), http.StatusSeeOther, "/dashboard")
		contains(t, c.get("/account").body, `href="/account/password"`, "Change password")
		r := c.get("/account/password")
		expect(t, r, http.StatusOK, "")
		contains(t, r.body, `name="current_password"`, `name="new_password"`)
		r = c.post("/account/password", url.Values{"current_password": {"not-my-Password-1"}, "new_password": {newPassword}})
		expect(t, r, http.StatusUnprocessableEntity, "")
		contains(t, r.body, "Your current password is not correct.", `id="current_password-error"`)
		r = c.post("/account/password", url.Values{"current_password": {testPassword}, "new_password": {"12345678"}})
		expect(t, r, http.StatusUnprocessableEntity, "")
		contains(t, r.body, `id="new_password-error"`)
		if n := ended.live(h.user("ada@example.com").ID); n != 2 {
			t.Fatalf("a refused change ended sessions: %d left of 2", n)
		}
		expect(t, c.post("/account/password", url.Values{"current_password": {testPassword}, "new_password": {newPassword}}),
			http.StatusSeeOther, "/account")
		contains(t, c.get("/account").body, "Your password has been changed.")
		u := h.user("ada@example.com")
		if n := ended.live(u.ID); n != 1 {
			t.Errorf("%d sessions live after the change, want this one alone", n)
		}
		expect(t, other.get("/dashboard"), http.StatusSeeOther, "/login?next=%2Fdashboard")
		expect(t, c.get("/dashboard"), http.StatusOK, "")
		if got := h.mailsTo("ada@example.com"); count(got, string(mail.NoticePasswordChanged)) != 1 {
			t.Errorf("mails: %v", got)
		}
		if !h.canSignIn("ada@example.com", newPassword) || h.canSignIn("ada@example.com", testPassword) {
			t.Fatal("the new password does not replace the old one")
		}
		// Past the step-up window the change asks for a fresh second factor
		// first, and the password is kept.
		h.clock.Advance(11 * time.Minute)
		expect(t, c.get("/dashboard"), http.StatusOK, "") // the session itself lives on
		r = c.post("/account/password", url.Values{"current_password": {newPassword}, "new_password": {"third-Passphrase-55"}})
		expect(t, r, http.StatusSeeOther, "/account/step-up?next=%2Faccount%2Fpassword")
		expect(t, c.get("/account/password"), http.StatusSeeOther, "/account/step-up?next=%2Faccount%2Fpassword")
		if !h.canSignIn("ada@example.com", newPassword) {
			t.Fatal("a refused change changed the password")
		}
		// Anonymous visitors are sent to sign in.
		expect(t, h.client().post("/account/password", url.Values{"current_password": {"x"}, "new_password": {"y"}}),
			http.StatusSeeOther, "/login")
	})
}

func TestVerifyEmail(t *testing.T) {
	onEachDatabase(t, func(t *testing.T, h *harness, ended *sessionLog, rec *recordLog) {
		c := h.member("ada@example.com")
		link := h.link("ada@example.com", mail.NoticeVerifyEmail)
		r := c.get("/account")
		contains(t, r.body, "Email not verified", `action="/account/email/resend"`, ">Resend<")
		// Any session may open it: here an anonymous one.
		r = h.client().get(link)
		expect(t, r, http.StatusOK, "")
		contains(t, r.body, "Email address verified")
		if strings.Contains(c.get("/account").body, "Email not verified") {
			t.Error("still offered to resend after verification")
		}
		expect(t, c.get(link), http.StatusGone, "")
		expect(t, c.get("/verify-email?token=x"), http.StatusGone, "")
		if got := rec.list(); !slices.Contains(got, "email_verified") {
			t.Errorf("events: %v", got)
		}
		// Resend: limited, and the newest link replaces the older one.
		c2 := h.client()
		c2.register("bob@example.com", phoneB, phoneBE164)
		h.clock.Advance(time.Minute)
		expect(t, c2.signIn("bob@example.com", phoneBE164, ""), http.StatusSeeOther, "/dashboard")
		first := h.link("bob@example.com", mail.NoticeVerifyEmail)
		for range 3 {
			expect(t, c2.post("/account/email/resend", nil), http.StatusSeeOther, "/account")
		}
		r = c2.post("/account/email/resend", nil)
		expect(t, r, http.StatusTooManyRequests, "")
		contains(t, r.body, "We already sent you several links.")
		expect(t, h.client().get(first), http.StatusGone, "")
		expect(t, h.client().get(h.link("bob@example.com", mail.NoticeVerifyEmail)), http.StatusOK, "")
	})
}
