package web_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"gatehouse/internal/verify/twilio/twiliotest"
)

// callText is a plain text through the Messaging API, as expectCalls shows it.
const callText = "POST /2010-04-01/Accounts/" + twiliotest.DefaultAccountSID + "/Messages.json"

// onEveryStack runs test on each verify backend and each database.
func onEveryStack(t *testing.T, test func(t *testing.T, h *harness), opts ...func(*setup)) {
	for _, b := range backends {
		for _, d := range databases {
			t.Run(b+"/"+d, func(t *testing.T) {
				t.Parallel()
				test(t, newHarness(t, append([]func(*setup){onBackend(b), onDatabase(d)}, opts...)...))
			})
		}
	}
}

// texts returns the plain texts (no code) sent to an E.164 number.
func (h *harness) texts(to string) []string {
	var out []string
	if h.emu != nil {
		for _, m := range h.emu.Texts(to) {
			out = append(out, m.Body)
		}
		return out
	}
	for _, m := range h.sms.Messages() {
		if m.To == to && m.Code == "" {
			out = append(out, m.Body)
		}
	}
	return out
}

// TestRegistrationCannotTouchASignIn (Found: a stranger registering with a
// victim's number replaced the victim's sign-in code, burnt it with five
// wrong codes, and could complete the registration with it).
func TestRegistrationCannotTouchASignIn(t *testing.T) {
	onEveryStack(t, func(t *testing.T, h *harness) {
		h.client().register("victim@example.com", phoneA, phoneAE164)
		h.clock.Advance(time.Minute)
		victim := h.pendingLogin("victim@example.com", "")
		expect(t, victim.post("/login/mfa/sms", nil), http.StatusSeeOther, "/login/mfa/code")
		signInCode := h.code(phoneAE164)

		stranger := h.client()
		stranger.startRegistration("stranger@example.com")
		expect(t, stranger.post("/register/credentials", url.Values{"password": {testPassword}, "phone": {phoneA}}),
			http.StatusSeeOther, "/register/verify")
		regCode := h.code(phoneAE164)
		for range 5 {
			stranger.post("/register/verify", url.Values{"code": {otherCode(regCode)}})
		}
		if signInCode != regCode {
			r := stranger.post("/register/verify", url.Values{"code": {signInCode}})
			if r.status == http.StatusSeeOther && r.location() == "/login" {
				t.Fatal("the victim's sign-in code completed the stranger's registration")
			}
		}
		expect(t, victim.post("/login/mfa/code", url.Values{"code": {signInCode}}), http.StatusSeeOther, "/dashboard")
	})
}

// TestFreshSignInGetsAWorkingCode: a sign-in that ends on five wrong codes
// leaves nothing behind; the next sign-in's right code works.
func TestFreshSignInGetsAWorkingCode(t *testing.T) {
	onEveryStack(t, func(t *testing.T, h *harness) {
		h.client().register("ada@example.com", phoneA, phoneAE164)
		h.clock.Advance(time.Minute)
		c := h.pendingLogin("ada@example.com", "")
		expect(t, c.post("/login/mfa/sms", nil), http.StatusSeeOther, "/login/mfa/code")
		for range 5 {
			c.post("/login/mfa/code", url.Values{"code": {otherCode(h.code(phoneAE164))}})
		}
		expect(t, c.get("/login/mfa"), http.StatusSeeOther, "/login")
		h.clock.Advance(time.Minute)
		m := h.mark()
		expect(t, c.signIn("ada@example.com", phoneAE164, ""), http.StatusSeeOther, "/dashboard")
		h.expectCalls(m, "POST /Verifications/"+phoneAE164, callSend, callCheck) // the spent one canceled first
	})
}

// TestCodesOnlyToMobilesOfTheCountries: premium-rate, toll-free and
// foreign numbers get 422 before any provider call.
func TestCodesOnlyToMobilesOfTheCountries(t *testing.T) {
	onEveryStack(t, func(t *testing.T, h *harness) {
		for _, number := range []string{"+1 900 555 0100", "+1 800 555 0100", "+44 7400 123456"} {
			c := h.client()
			c.startRegistration("ada@example.com")
			before := h.sends()
			r := c.post("/register/credentials", url.Values{"password": {testPassword}, "phone": {number}})
			expect(t, r, http.StatusUnprocessableEntity, "")
			if !strings.Contains(r.body, "send codes to this number.") {
				t.Fatalf("%s: %s", number, r.body)
			}
			if h.sends() != before {
				t.Fatalf("%s: a send reached the provider", number)
			}
		}
	})
}

// TestNULInSignInEmail (Found: HTTP 500 on PostgreSQL).
func TestNULInSignInEmail(t *testing.T) {
	onEveryStack(t, func(t *testing.T, h *harness) {
		c := h.client()
		r := c.passwordStep("ada\x00@example.com", testPassword, "")
		expect(t, r, http.StatusUnprocessableEntity, "")
		contains(t, r.body, "invisible, control or text-direction characters")
	})
}

// TestNewUserRegistersAndSignsInTwice: one resend at registration and two
// sign-ins within the hour stay within every cap.
func TestNewUserRegistersAndSignsInTwice(t *testing.T) {
	onEveryStack(t, func(t *testing.T, h *harness) {
		c := h.client()
		c.startRegistration("ada@example.com")
		expect(t, c.post("/register/credentials", url.Values{"password": {testPassword}, "phone": {phoneA}}),
			http.StatusSeeOther, "/register/verify")
		h.clock.Advance(time.Minute)
		expect(t, c.post("/register/resend", nil), http.StatusSeeOther, "/register/verify")
		expect(t, c.post("/register/verify", url.Values{"code": {h.code(phoneAE164)}}), http.StatusSeeOther, "/login")
		for range 2 {
			h.clock.Advance(5 * time.Minute)
			expect(t, c.signIn("ada@example.com", phoneAE164, ""), http.StatusSeeOther, "/dashboard")
			expect(t, c.post("/logout", nil), http.StatusSeeOther, "/login")
		}
	})
}

// TestStepUpBeforeProtectionChanges (Found: a stolen cookie alone removed
// the authenticator, moved SMS to a new number and made new backup codes).
func TestStepUpBeforeProtectionChanges(t *testing.T) {
	onEveryStack(t, func(t *testing.T, h *harness) {
		c := h.member("ada@example.com")
		h.clock.Advance(11 * time.Minute)
		for _, path := range []string{pathRemoveTOTP, pathBackupCodes} {
			m := expectJSON(t, c.post(path, nil), http.StatusForbidden)
			if m["step_up"] != true || m["error"] == "" {
				t.Fatalf("%s outside the window: %v", path, m)
			}
		}
		r := c.post("/account/phone", url.Values{"phone": {phoneB}})
		expect(t, r, http.StatusSeeOther, "/account/step-up?next=%2Faccount%2Fphone")
		// A wrong code changes nothing; a fresh SMS code lets the change go on.
		page := c.get("/account/step-up?next=%2Faccount%2Fphone")
		expect(t, page, http.StatusOK, "")
		contains(t, page.body, "Confirm it")
		expect(t, c.post("/account/step-up/sms", url.Values{"next": {"/account/phone"}}), http.StatusSeeOther, "")
		code := h.code(phoneAE164)
		expect(t, c.post("/account/step-up", url.Values{"method": {"sms"}, "code": {otherCode(code)}, "next": {"/account/phone"}}),
			http.StatusUnprocessableEntity, "")
		if u, _ := h.db.UserByEmail(context.Background(), "ada@example.com"); u.FailedAttempts != 1 || u.Phone != phoneAE164 {
			t.Fatalf("after a wrong step-up code: %d failures, phone %s", u.FailedAttempts, u.Phone)
		}
		expect(t, c.post("/account/step-up", url.Values{"method": {"sms"}, "code": {code}, "next": {"/account/phone"}}),
			http.StatusSeeOther, "/account/phone")
		expect(t, c.post("/account/phone", url.Values{"phone": {phoneB}}), http.StatusSeeOther, "/account/phone/verify")
		expect(t, c.post("/account/phone/verify", url.Values{"code": {h.code(phoneBE164)}}), http.StatusSeeOther, "/account/phone/confirm")
		expect(t, c.post("/account/phone/confirm", nil), http.StatusSeeOther, "/account")
		// The old number is told.
		if got := h.texts(phoneAE164); len(got) != 1 || !strings.Contains(got[0], "changed") {
			t.Fatalf("texts to the old number: %q", got)
		}
		expectJSON(t, c.post(pathBackupCodes, nil), http.StatusOK)
	})
}
