package web_test

import (
	"context"
	"net/http"
	"net/url"
	"testing"
	"time"

	"gatehouse/internal/auth"
)

func TestAccountPage(t *testing.T) {
	h := newHarness(t)
	c := h.member("ada@example.com")
	r := c.get("/account")
	expect(t, r, http.StatusOK, "")
	contains(t, r.body, "Account settings", "Ada Lovelace", "ada@example.com", "(***) ***-6053",
		`href="/account/phone"`, "Change phone number", "Two-factor authentication", "SMS")
}

func TestChangePhone(t *testing.T) {
	h := newHarness(t)
	c := h.member("ada@example.com")
	ctx := context.Background()
	phoneOf := func() string {
		t.Helper()
		u, err := h.db.UserByEmail(ctx, "ada@example.com")
		if err != nil {
			t.Fatal(err)
		}
		return u.Phone
	}

	// The pages of later steps need the earlier ones.
	expect(t, c.get("/account/phone/verify"), http.StatusSeeOther, "/account/phone")
	expect(t, c.get("/account/phone/confirm"), http.StatusSeeOther, "/account/phone")
	expect(t, c.post("/account/phone/confirm", nil), http.StatusSeeOther, "/account/phone")

	r := c.get("/account/phone")
	expect(t, r, http.StatusOK, "")
	contains(t, r.body, "(***) ***-6053", `name="phone"`, "Send Verification Code", `action="/account/phone"`)

	r = c.post("/account/phone", url.Values{"phone": {phoneA}})
	expect(t, r, http.StatusUnprocessableEntity, "")
	contains(t, r.body, "This is already your phone number.")
	r = c.post("/account/phone", url.Values{"phone": {"555"}})
	expect(t, r, http.StatusUnprocessableEntity, "")
	contains(t, r.body, "Enter a valid phone number", `value="555"`)

	expect(t, c.post("/account/phone", url.Values{"phone": {phoneB}}), http.StatusSeeOther, "/account/phone/verify")
	r = c.get("/account/phone/verify")
	expect(t, r, http.StatusOK, "")
	contains(t, r.body, "We sent a code to <span class=\"number\">(***) ***-1234</span>", ">Verify<", `action="/account/phone/resend"`,
		`autocomplete="one-time-code"`)
	if _, ok := h.sms.Last(phoneBE164); !ok {
		t.Fatal("no code went to the new number")
	}
	expect(t, c.get("/account/phone/confirm"), http.StatusSeeOther, "/account/phone/verify")

	wrong := "000000"
	if h.code(phoneBE164) == wrong {
		wrong = "111111"
	}
	r = c.post("/account/phone/verify", url.Values{"code": {wrong}})
	expect(t, r, http.StatusUnprocessableEntity, "")
	contains(t, r.body, "That code is not correct.", "We sent a code to <span class=\"number\">(***) ***-1234</span>")

	// Resend: refused within the cooldown, then sent.
	r = c.post("/account/phone/resend", nil)
	expect(t, r, http.StatusTooManyRequests, "")
	h.clock.Advance(31 * time.Second)
	expect(t, c.post("/account/phone/resend", nil), http.StatusSeeOther, "/account/phone/verify")

	expect(t, c.post("/account/phone/verify", url.Values{"code": {h.code(phoneBE164)}}), http.StatusSeeOther, "/account/phone/confirm")
	if got := phoneOf(); got != phoneAE164 {
		t.Fatalf("phone = %s before the change was confirmed", got)
	}
	r = c.get("/account/phone/confirm")
	expect(t, r, http.StatusOK, "")
	contains(t, r.body, "(***) ***-1234", `action="/account/phone/confirm"`, ">Confirm<", "Cancel")

	expect(t, c.post("/account/phone/confirm", nil), http.StatusSeeOther, "/account")
	if got := phoneOf(); got != phoneBE164 {
		t.Fatalf("phone = %s after confirm", got)
	}
	r = c.get("/account")
	contains(t, r.body, "Your phone number has been updated.", "(***) ***-1234")
	expect(t, c.get("/account/phone/confirm"), http.StatusSeeOther, "/account/phone")

	// The next sign-in texts the new number.
	h.clock.Advance(11 * time.Minute)
	c2 := h.client()
	expect(t, c2.signIn("ada@example.com", phoneBE164, ""), http.StatusSeeOther, "/dashboard")
}

func TestChangePhoneCancel(t *testing.T) {
	h := newHarness(t)
	c := h.member("ada@example.com")
	expect(t, c.post("/account/phone", url.Values{"phone": {phoneB}}), http.StatusSeeOther, "/account/phone/verify")
	expect(t, c.post("/account/phone/verify", url.Values{"code": {h.code(phoneBE164)}}), http.StatusSeeOther, "/account/phone/confirm")
	expect(t, c.post("/account/phone/cancel", nil), http.StatusSeeOther, "/account")
	expect(t, c.post("/account/phone/confirm", nil), http.StatusSeeOther, "/account/phone")
	u, err := h.db.UserByEmail(context.Background(), "ada@example.com")
	if err != nil {
		t.Fatal(err)
	}
	if u.Phone != phoneAE164 {
		t.Fatalf("phone = %s after cancel", u.Phone)
	}
}

func TestChangePhoneExpires(t *testing.T) {
	// A step-up window longer than the change, so that the change's own
	// expiry is what the test meets.
	h := newHarness(t, withLimits(auth.Limits{StepUpWindow: time.Hour}))
	c := h.member("ada@example.com")
	expect(t, c.post("/account/phone", url.Values{"phone": {phoneB}}), http.StatusSeeOther, "/account/phone/verify")
	// Keep the session alive while the change itself runs out.
	for range 4 {
		h.clock.Advance(8 * time.Minute)
		expect(t, c.get("/dashboard"), http.StatusOK, "")
	}
	expect(t, c.post("/account/phone/verify", url.Values{"code": {h.code(phoneBE164)}}), http.StatusSeeOther, "/account/phone")
	contains(t, c.get("/account/phone").body, "Your phone number change took too long. Enter the new number again.")
}
