package web_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"gatehouse/internal/auth"
)

// What a person sees when they reload, come back or get something wrong
// (issue 13): each case failed before the change that made it hold.

// A POST address of a page flow opened as a page goes to the page of the
// step the visitor is on, whatever their stage; the seed's JSON endpoints
// keep answering GET with 405.
func TestPostAddressesAnswerGETWithTheirStep(t *testing.T) {
	h := newHarness(t)
	anon := h.client()
	anon.startRegistration("ada@example.com")
	expect(t, anon.post("/register/credentials", url.Values{"password": {testPassword}, "phone": {phoneA}}),
		http.StatusSeeOther, "/register/verify")
	expect(t, anon.get("/register/resend"), http.StatusSeeOther, "/register/verify")
	expect(t, anon.get("/register/verify"), http.StatusOK, "")

	h.clock.Advance(time.Minute) // past the cooldown of the number
	member := h.member("grace@example.com")
	for post, page := range map[string]string{
		"/account/phone/resend": "/account/phone/verify",
		"/account/phone/cancel": "/account",
	} {
		expect(t, member.get(post), http.StatusSeeOther, page)
	}
	// The step's own gate then places a visitor who is elsewhere.
	expect(t, member.get("/login/mfa/sms"), http.StatusSeeOther, "/login/mfa")
	expect(t, member.get("/login/mfa"), http.StatusSeeOther, "/dashboard")
	expect(t, member.post("/logout", nil), http.StatusSeeOther, "/login")

	pending := h.client()
	expect(t, pending.passwordStep("grace@example.com", testPassword, ""), http.StatusSeeOther, "/login/mfa")
	for _, post := range []string{"/login/mfa/setup", "/login/mfa/sms"} {
		expect(t, pending.get(post), http.StatusSeeOther, "/login/mfa")
	}
	expect(t, pending.get("/login/mfa/resend"), http.StatusSeeOther, "/login/mfa/code")
	for _, p := range []string{pathGenerateTOTP, pathConfirmTOTP, pathRemoveTOTP, pathBackupCodes, pathValidateTOTP} {
		expect(t, pending.get(p), http.StatusMethodNotAllowed, "")
	}
}

// Sent back to sign in, the email is there and the password field has the
// focus; after a wrong password too.
func TestSignInPagePrefillsAndFocuses(t *testing.T) {
	h := newHarness(t)
	c := h.client()
	c.register("ada@example.com", phoneA, phoneAE164)
	r := c.get("/login")
	contains(t, r.body, `value="ada@example.com"`, "Your account has been created.")
	if !strings.Contains(r.body, `name="password"`) || !autofocused(r.body, "password") || autofocused(r.body, "email") {
		t.Errorf("after registering, the password field is not the one focused:\n%s", r.body)
	}
	r = c.post("/login", url.Values{"email": {"ada@example.com"}, "password": {"not-the-password-1"}, "captcha": {c.captcha()}})
	expect(t, r, http.StatusUnauthorized, "")
	if !autofocused(r.body, "password") || autofocused(r.body, "email") {
		t.Errorf("after a wrong password, the password field is not the one focused")
	}
	// A sign-in that ran out of time says so and keeps the email.
	expect(t, c.passwordStep("ada@example.com", testPassword, ""), http.StatusSeeOther, "/login/mfa")
	h.clock.Advance(h.auth.Limits().PreAuthTTL + 1)
	expect(t, c.get("/login/mfa"), http.StatusSeeOther, "/login")
	contains(t, c.get("/login").body, "Your sign-in took too long. Sign in again.", `value="ada@example.com"`)
}

// autofocused reports whether the input named name carries autofocus.
func autofocused(body, name string) bool {
	i := strings.Index(body, `name="`+name+`"`)
	if i < 0 {
		return false
	}
	start := strings.LastIndex(body[:i], "<input")
	end := strings.Index(body[i:], ">")
	return start >= 0 && end >= 0 && strings.Contains(body[start:i+end], "autofocus")
}

// "Cancel and sign in again" from the second factor does not tell someone
// who never signed in that they have been signed out.
func TestCancelSignInIsNotASignOut(t *testing.T) {
	h := newHarness(t)
	h.member("ada@example.com").post("/logout", nil)
	c := h.client()
	expect(t, c.passwordStep("ada@example.com", testPassword, ""), http.StatusSeeOther, "/login/mfa")
	expect(t, c.post("/logout", nil), http.StatusSeeOther, "/login")
	body := c.get("/login").body
	contains(t, body, "Sign-in cancelled.")
	if strings.Contains(body, "You have been signed out") {
		t.Error("a cancelled sign-in says signed out")
	}
}

// The SMS code page offers the backup codes an account has, and the code
// page of an account setting up its first number offers another number,
// not another method.
func TestCodePageWaysBack(t *testing.T) {
	h := newHarness(t)
	m := h.member("ada@example.com")
	if _, err := h.auth.GenerateBackupCodes(context.Background(), h.user("ada@example.com").ID); err != nil {
		t.Fatal(err)
	}
	expect(t, m.post("/logout", nil), http.StatusSeeOther, "/login")
	c := h.client()
	expect(t, c.passwordStep("ada@example.com", testPassword, ""), http.StatusSeeOther, "/login/mfa")
	expect(t, c.post("/login/mfa/sms", nil), http.StatusSeeOther, "/login/mfa/code")
	contains(t, c.get("/login/mfa/code").body, `href="/login/mfa/backup"`, "Use a different method")

	if _, err := h.auth.CreateUser(context.Background(), auth.CreateUserInput{
		Email: "grace@example.com", FirstName: "Grace", LastName: "Hopper", Password: testPassword, Phone: phoneB,
	}); err != nil {
		t.Fatal(err)
	}
	g := h.client()
	expect(t, g.passwordStep("grace@example.com", testPassword, ""), http.StatusSeeOther, "/login/mfa")
	expect(t, g.post("/login/mfa/setup", url.Values{"phone": {phoneB}}), http.StatusSeeOther, "/login/mfa/code")
	body := g.get("/login/mfa/code").body
	contains(t, body, "Use a different number")
	if strings.Contains(body, "Use a different method") || strings.Contains(body, `href="/login/mfa/backup"`) {
		t.Error("an account with no other method is offered one")
	}
}

// Enrolling an app when backup codes exist says how many remain instead of
// asking for new ones.
func TestEnrollmentMessageKnowsTheBackupCodes(t *testing.T) {
	h := newHarness(t)
	c := h.member("ada@example.com")
	if _, err := h.auth.GenerateBackupCodes(context.Background(), h.user("ada@example.com").ID); err != nil {
		t.Fatal(err)
	}
	secret := c.startTOTP()
	r := c.post(pathConfirmTOTP, url.Values{"code": {h.totpCode(secret)}, "format": {"html"}})
	expect(t, r, http.StatusSeeOther, "/account#backup-codes")
	body := c.get("/account").body
	contains(t, body, "You have 10 backup codes left; generating new ones replaces them.")
	if strings.Contains(body, "Now create backup codes") {
		t.Error("asked to create backup codes the account has")
	}
}

// The 3rd and 4th wrong code of a sign-in say how many tries are left; the
// 5th ends it.
func TestWrongCodesWarnBeforeTheEnd(t *testing.T) {
	h := newHarness(t)
	h.member("ada@example.com").post("/logout", nil)
	c := h.client()
	expect(t, c.passwordStep("ada@example.com", testPassword, ""), http.StatusSeeOther, "/login/mfa")
	expect(t, c.post("/login/mfa/sms", nil), http.StatusSeeOther, "/login/mfa/code")
	wrong := otherCode(h.code(phoneAE164))
	for i, want := range []string{"", "", "You have 2 tries left", "You have 1 try left"} {
		r := c.post("/login/mfa/code", url.Values{"code": {wrong}})
		expect(t, r, http.StatusUnprocessableEntity, "")
		contains(t, r.body, "That code is not correct.")
		if want == "" && strings.Contains(r.body, "left before you must sign in again") {
			t.Errorf("wrong code %d already warns", i+1)
		} else if want != "" {
			contains(t, r.body, want)
		}
	}
	expect(t, c.post("/login/mfa/code", url.Values{"code": {wrong}}), http.StatusSeeOther, "/login")
}

// A code from the app accepted once says so when it comes again, on either
// backend.
func TestReusedAuthenticatorCodeSaysSo(t *testing.T) {
	onEachBackend(t, func(t *testing.T, h *harness) {
		secret := h.totpMember("ada@example.com")
		c := h.client()
		expect(t, c.passwordStep("ada@example.com", testPassword, ""), http.StatusSeeOther, "/login/mfa")
		code := h.totpCode(secret)
		expectJSON(t, c.post(pathValidateTOTP, url.Values{"totp_code": {code}}), http.StatusOK)
		expect(t, c.post("/logout", nil), http.StatusSeeOther, "/login")
		d := h.client()
		expect(t, d.passwordStep("ada@example.com", testPassword, ""), http.StatusSeeOther, "/login/mfa")
		res := expectJSON(t, d.post(pathValidateTOTP, url.Values{"totp_code": {code}}), http.StatusBadRequest)
		if res["error"] != "That code was already used. Wait for the next code in your app." {
			t.Errorf("reused code: %v", res)
		}
	})
}

// The set-up page without JavaScript offers the otpauth:// link a phone's
// own authenticator app opens, since a QR on the phone's screen cannot be
// scanned by it.
func TestEnrollmentPageOffersTheAppLink(t *testing.T) {
	h := newHarness(t)
	c := h.member("ada@example.com")
	r := c.mfaPage(pathGenerateTOTP, url.Values{"format": {"html"}})
	expect(t, r, http.StatusOK, "")
	contains(t, r.body, `href="otpauth://totp/Gatehouse:ada@example.com?secret=`, "Open in authenticator app")
}
