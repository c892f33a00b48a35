package web_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"

	"gatehouse/internal/auth"
)

func TestLoginPage(t *testing.T) {
	h := newHarness(t)
	c := h.client()
	r := c.get("/login")
	expect(t, r, http.StatusOK, "")
	contains(t, r.body, `action="/login"`, `name="email"`, `name="password"`, `type="password"`,
		`data-captcha="pow"`, `name="captcha"`, `data-guard`, `data-guard-submit`, ">Submit<",
		`href="/register"`, `<label for="email">`, `<label for="password">`)
	// Signed in, the login and registration pages lead to the dashboard.
	m := h.member("ada@example.com")
	expect(t, m.get("/login"), http.StatusSeeOther, "/dashboard")
	expect(t, m.get("/register"), http.StatusSeeOther, "/dashboard")
}

func TestLoginWrongCredentials(t *testing.T) {
	h := newHarness(t)
	h.client().register("ada@example.com", phoneA, phoneAE164)
	c := h.client()

	wrong := c.passwordStep("ada@example.com", "not-the-password", "")
	expect(t, wrong, http.StatusUnauthorized, "")
	contains(t, wrong.body, "Incorrect email or password.", `role="alert"`, `value="ada@example.com"`)
	if strings.Contains(wrong.body, "not-the-password") {
		t.Error("the password was echoed back")
	}
	unknown := c.passwordStep("bob@example.com", "not-the-password", "")
	expect(t, unknown, http.StatusUnauthorized, "")
	if a, b := strings.ReplaceAll(wrong.body, "ada@example.com", "X"), strings.ReplaceAll(unknown.body, "bob@example.com", "X"); a != b {
		t.Errorf("an unknown email answers differently from a wrong password:\n%s\n---\n%s", a, b)
	}
	// The password step alone gives nothing.
	expect(t, c.get("/login/mfa"), http.StatusSeeOther, "/login")

	r := c.post("/login", url.Values{"email": {""}, "password": {""}, "captcha": {c.captcha()}})
	expect(t, r, http.StatusUnprocessableEntity, "")
	contains(t, r.body, "Enter your email address.", "Enter your password.")

	r = c.post("/login", url.Values{"email": {"ada@example.com"}, "password": {testPassword}})
	expect(t, r, http.StatusUnprocessableEntity, "")
	contains(t, r.body, "Please complete the CAPTCHA check.")
}

func TestLoginLockedAccountAnswersAsWrongPassword(t *testing.T) {
	// The account-wide cap (lowered to 10 to keep the test fast) is reached
	// from networks that each stay under their own five free failures.
	h := newHarness(t, behindProxy, withLimits(auth.Limits{AccountFailures: 10}))
	h.client().register("ada@example.com", phoneA, phoneAE164)
	var wrong resp
	for i := range h.auth.Limits().AccountFailures {
		c := h.fromIP(fmt.Sprintf("10.0.%d.1", i/4))
		wrong = c.passwordStep("ada@example.com", "not-the-password", "")
		expect(t, wrong, http.StatusUnauthorized, "")
	}
	c := h.fromIP("10.9.9.9")
	right := c.passwordStep("ada@example.com", testPassword, "")
	expect(t, right, http.StatusUnauthorized, "")
	if wrong.body != right.body {
		t.Error("a locked account answers differently from a wrong password")
	}
	expect(t, c.get("/login/mfa"), http.StatusSeeOther, "/login")
}

func TestLoginFlag1SMS(t *testing.T) {
	h := newHarness(t)
	h.client().register("ada@example.com", phoneA, phoneAE164)
	c := h.client()
	expect(t, c.passwordStep("ada@example.com", testPassword, ""), http.StatusSeeOther, "/login/mfa")

	r := c.get("/login/mfa")
	expect(t, r, http.StatusOK, "")
	contains(t, r.body, "Choose Verification Method", "<dialog open", "SMS to (***) ***-6053",
		`action="/login/mfa/sms"`, "Authenticator app (TOTP)", "Set up an authenticator app in Account settings to use it", "disabled")
	if strings.Contains(r.body, "Set Up Two-Factor Authentication") {
		t.Error("flag 1 shows the set-up popup")
	}
	// The code page needs a sent code.
	expect(t, c.get("/login/mfa/code"), http.StatusSeeOther, "/login/mfa")
	expect(t, c.post("/login/mfa/code", url.Values{"code": {"123456"}}), http.StatusSeeOther, "/login/mfa")
	// The set-up form of flag 0 does not apply.
	expect(t, c.post("/login/mfa/setup", url.Values{"phone": {phoneB}}), http.StatusSeeOther, "/login/mfa")

	before := h.sends()
	h.clock.Advance(time.Minute)
	expect(t, c.post("/login/mfa/sms", nil), http.StatusSeeOther, "/login/mfa/code")
	if h.sends() != before+1 {
		t.Fatal("no code sent")
	}
	r = c.get("/login/mfa/code")
	expect(t, r, http.StatusOK, "")
	contains(t, r.body, "Enter the code sent to <span class=\"number\">(***) ***-6053</span>", `autocomplete="one-time-code"`, ">Verify<",
		`action="/login/mfa/resend"`, `href="/login/mfa"`, "Use a different method")

	r = c.post("/login/mfa/code", url.Values{"code": {"000000"}})
	if h.code(phoneAE164) == "000000" {
		t.Skip("the random code happened to be 000000")
	}
	expect(t, r, http.StatusUnprocessableEntity, "")
	contains(t, r.body, "That code is not correct.", "Enter the code sent to <span class=\"number\">(***) ***-6053</span>")

	expect(t, c.post("/login/mfa/code", url.Values{"code": {h.code(phoneAE164)}}), http.StatusSeeOther, "/dashboard")
	r = c.get("/dashboard")
	expect(t, r, http.StatusOK, "")
	contains(t, r.body, "Welcome, Ada Lovelace", "ada@example.com", "(***) ***-6053", "SMS", `action="/logout"`, `href="/account"`)
	// The second-factor pages are over.
	expect(t, c.get("/login/mfa"), http.StatusSeeOther, "/dashboard")
}

func TestLoginFlag0SetUp(t *testing.T) {
	h := newHarness(t)
	u, err := h.auth.CreateUser(context.Background(), auth.CreateUserInput{
		Email: "grace@example.com", FirstName: "Grace", LastName: "Hopper", Password: testPassword, Phone: phoneA,
	})
	if err != nil {
		t.Fatal(err)
	}
	c := h.client()
	expect(t, c.passwordStep("grace@example.com", testPassword, ""), http.StatusSeeOther, "/login/mfa")
	r := c.get("/login/mfa")
	expect(t, r, http.StatusOK, "")
	contains(t, r.body, "Set Up Two-Factor Authentication", "(***) ***-6053",
		"Enter it below to confirm, or type a different number.", `action="/login/mfa/setup"`,
		`name="phone"`, "Send Verification Code")
	if strings.Contains(r.body, phoneAE164) || strings.Contains(r.body, "555-6053") {
		t.Error("the number on file is shown unmasked")
	}
	// The method chooser's SMS form does not apply.
	expect(t, c.post("/login/mfa/sms", nil), http.StatusSeeOther, "/login/mfa")

	r = c.post("/login/mfa/setup", url.Values{"phone": {"12"}})
	expect(t, r, http.StatusUnprocessableEntity, "")
	contains(t, r.body, "Enter a valid phone number", `value="12"`, "Set Up Two-Factor Authentication")

	// A different number: the code goes there, and it is saved once verified.
	expect(t, c.post("/login/mfa/setup", url.Values{"phone": {phoneB}}), http.StatusSeeOther, "/login/mfa/code")
	contains(t, c.get("/login/mfa/code").body, "Enter the code sent to <span class=\"number\">(***) ***-1234</span>")
	if got, _ := h.db.UserByID(context.Background(), u.ID); got.MFAEnabled || got.Phone != phoneAE164 {
		t.Fatalf("user changed before the code was checked: %+v", got)
	}
	expect(t, c.post("/login/mfa/code", url.Values{"code": {h.code(phoneBE164)}}), http.StatusSeeOther, "/dashboard")
	got, err := h.db.UserByID(context.Background(), u.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !got.MFAEnabled || got.Phone != phoneBE164 {
		t.Fatalf("after set-up: MFA %v, phone %s", got.MFAEnabled, got.Phone)
	}
	contains(t, c.get("/dashboard").body, "Welcome, Grace Hopper")

	// The next sign-in takes the flag-1 path.
	h.clock.Advance(time.Minute)
	c2 := h.client()
	expect(t, c2.passwordStep("grace@example.com", testPassword, ""), http.StatusSeeOther, "/login/mfa")
	contains(t, c2.get("/login/mfa").body, "Choose Verification Method", "SMS to (***) ***-1234")
}

func TestLoginTooManyWrongCodes(t *testing.T) {
	h := newHarness(t)
	h.client().register("ada@example.com", phoneA, phoneAE164)
	c := h.client()
	expect(t, c.passwordStep("ada@example.com", testPassword, ""), http.StatusSeeOther, "/login/mfa")
	expect(t, c.post("/login/mfa/sms", nil), http.StatusSeeOther, "/login/mfa/code")
	wrong := "000000"
	if h.code(phoneAE164) == wrong {
		wrong = "111111"
	}
	n := h.auth.Limits().CodesPerLogin
	for i := 1; i < n; i++ {
		expect(t, c.post("/login/mfa/code", url.Values{"code": {wrong}}), http.StatusUnprocessableEntity, "")
	}
	// The last wrong code ends the login: back to the password.
	expect(t, c.post("/login/mfa/code", url.Values{"code": {wrong}}), http.StatusSeeOther, "/login")
	contains(t, c.get("/login").body, "Too many wrong codes. Please sign in again.")
	expect(t, c.get("/login/mfa"), http.StatusSeeOther, "/login")
	expect(t, c.post("/login/mfa/code", url.Values{"code": {h.code(phoneAE164)}}), http.StatusSeeOther, "/login")
	expect(t, c.get("/dashboard"), http.StatusSeeOther, "/login?next=%2Fdashboard")
}

func TestLoginResend(t *testing.T) {
	h := newHarness(t)
	h.client().register("ada@example.com", phoneA, phoneAE164)
	h.clock.Advance(time.Minute)
	c := h.client()
	expect(t, c.passwordStep("ada@example.com", testPassword, ""), http.StatusSeeOther, "/login/mfa")
	// No code yet: nothing to resend.
	expect(t, c.post("/login/mfa/resend", nil), http.StatusSeeOther, "/login/mfa")
	expect(t, c.post("/login/mfa/sms", nil), http.StatusSeeOther, "/login/mfa/code")
	r := c.post("/login/mfa/resend", nil)
	expect(t, r, http.StatusTooManyRequests, "")
	if r.header.Get("Retry-After") == "" {
		t.Error("no Retry-After")
	}
	contains(t, r.body, "Please wait before requesting another code.", "Enter the code sent to <span class=\"number\">(***) ***-6053</span>")
	h.clock.Advance(31 * time.Second)
	before := h.sends()
	expect(t, c.post("/login/mfa/resend", nil), http.StatusSeeOther, "/login/mfa/code")
	if h.sends() != before+1 {
		t.Fatal("resend did not send")
	}
	expect(t, c.post("/login/mfa/code", url.Values{"code": {h.code(phoneAE164)}}), http.StatusSeeOther, "/dashboard")
}

func TestLoginProviderDown(t *testing.T) {
	h := newHarness(t)
	h.client().register("ada@example.com", phoneA, phoneAE164)
	c := h.client()
	expect(t, c.passwordStep("ada@example.com", testPassword, ""), http.StatusSeeOther, "/login/mfa")
	h.verifier.down.Store(true)
	r := c.post("/login/mfa/sms", nil)
	expect(t, r, http.StatusServiceUnavailable, "")
	contains(t, r.body, "The verification service is unavailable. Please try again in a minute.")
	h.verifier.down.Store(false)
	expect(t, c.post("/login/mfa/sms", nil), http.StatusSeeOther, "/login/mfa/code")
	h.verifier.down.Store(true)
	expect(t, c.post("/login/mfa/code", url.Values{"code": {h.code(phoneAE164)}}), http.StatusServiceUnavailable, "")
	expect(t, c.get("/dashboard"), http.StatusSeeOther, "/login/mfa")
	h.verifier.down.Store(false)
	expect(t, c.post("/login/mfa/code", url.Values{"code": {h.code(phoneAE164)}}), http.StatusSeeOther, "/dashboard")
}

func TestPreAuthReachesOnlyTheSecondFactor(t *testing.T) {
	h := newHarness(t)
	h.client().register("ada@example.com", phoneA, phoneAE164)
	c := h.client()
	expect(t, c.passwordStep("ada@example.com", testPassword, ""), http.StatusSeeOther, "/login/mfa")

	for _, p := range []string{"/", "/dashboard", "/account", "/account/phone", "/account/phone/verify",
		"/account/phone/confirm", "/login", "/register", "/register/credentials"} {
		expect(t, c.get(p), http.StatusSeeOther, "/login/mfa")
	}
	for _, p := range []string{"/account/phone", "/account/phone/verify", "/account/phone/confirm",
		"/account/phone/resend", "/login", "/register"} {
		expect(t, c.post(p, url.Values{"phone": {phoneB}, "code": {"123456"}}), http.StatusSeeOther, "/login/mfa")
	}
	if h.sends() != 1 {
		t.Errorf("sends = %d: the pre-auth state sent a code it should not have", h.sends())
	}
	expect(t, c.get("/healthz"), http.StatusOK, "")
	expect(t, c.get("/captcha/challenge"), http.StatusOK, "")
	expect(t, c.get("/login/mfa"), http.StatusOK, "")
}

func TestPreAuthExpires(t *testing.T) {
	h := newHarness(t)
	h.client().register("ada@example.com", phoneA, phoneAE164)
	c := h.client()
	expect(t, c.passwordStep("ada@example.com", testPassword, ""), http.StatusSeeOther, "/login/mfa")
	h.clock.Advance(h.auth.Limits().PreAuthTTL + time.Second)
	expect(t, c.get("/login/mfa"), http.StatusSeeOther, "/login")
	contains(t, c.get("/login").body, "Your sign-in took too long. Sign in again.")
	expect(t, c.get("/dashboard"), http.StatusSeeOther, "/login?next=%2Fdashboard")
}

func TestAnonymousIsSentToLogin(t *testing.T) {
	h := newHarness(t)
	c := h.client()
	expect(t, c.get("/"), http.StatusSeeOther, "/login")
	expect(t, c.get("/dashboard"), http.StatusSeeOther, "/login?next=%2Fdashboard")
	expect(t, c.get("/account"), http.StatusSeeOther, "/login?next=%2Faccount")
	expect(t, c.get("/account/phone?x=1"), http.StatusSeeOther, "/login?next=%2Faccount%2Fphone%3Fx%3D1")
	for _, p := range []string{"/login/mfa", "/login/mfa/code"} {
		expect(t, c.get(p), http.StatusSeeOther, "/login")
	}
	for _, p := range []string{"/login/mfa/setup", "/login/mfa/sms", "/login/mfa/resend", "/login/mfa/code"} {
		expect(t, c.post(p, url.Values{"phone": {phoneA}, "code": {"123456"}}), http.StatusSeeOther, "/login")
	}
	for _, p := range []string{"/account/phone", "/account/phone/verify", "/account/phone/confirm", "/account/phone/resend"} {
		expect(t, c.post(p, url.Values{"phone": {phoneA}, "code": {"123456"}}), http.StatusSeeOther, "/login")
	}
	if h.sends() != 0 {
		t.Error("an anonymous request sent a code")
	}
}

func TestNextIsHonoured(t *testing.T) {
	h := newHarness(t)
	h.client().register("ada@example.com", phoneA, phoneAE164)
	c := h.client()

	r := c.get("/login?next=%2Faccount%2Fphone")
	contains(t, r.body, `<input type="hidden" name="next" value="/account/phone">`)
	h.clock.Advance(time.Minute)
	expect(t, c.signIn("ada@example.com", phoneAE164, "/account/phone"), http.StatusSeeOther, "/account/phone")

	// Hostile values are not even carried in the form.
	r = h.client().get("/login?next=%2F%2Fevil.example")
	contains(t, r.body, `<input type="hidden" name="next" value="">`)
}

func TestNextOpenRedirects(t *testing.T) {
	h := newHarness(t)
	h.client().register("ada@example.com", phoneA, phoneAE164)
	for _, next := range []string{"//evil.example", `/\evil.example`, "/%2F%2Fevil.example", "https:evil.example",
		"javascript:alert(1)", "%2F%2Fevil.example", "https://evil.example/"} {
		t.Run(next, func(t *testing.T) {
			h.clock.Advance(61 * time.Minute) // past the per-number cap window
			expect(t, h.client().signIn("ada@example.com", phoneAE164, next), http.StatusSeeOther, "/dashboard")
		})
	}
}

func TestSessionTokenRenewedAndKilledAtLogout(t *testing.T) {
	h := newHarness(t)
	c := h.client()
	c.register("ada@example.com", phoneA, phoneAE164)
	t0 := c.token() // the session holding the "account created" message
	if t0 == "" {
		t.Fatal("no session after registration")
	}
	h.clock.Advance(time.Minute)
	expect(t, c.passwordStep("ada@example.com", testPassword, ""), http.StatusSeeOther, "/login/mfa")
	t1 := c.token()
	if t1 == "" || t1 == t0 {
		t.Fatal("token not renewed after the password")
	}
	expect(t, c.post("/login/mfa/sms", nil), http.StatusSeeOther, "/login/mfa/code")
	expect(t, c.post("/login/mfa/code", url.Values{"code": {h.code(phoneAE164)}}), http.StatusSeeOther, "/dashboard")
	t2 := c.token()
	if t2 == "" || t2 == t1 {
		t.Fatal("token not renewed after the second factor")
	}
	// The pre-auth token was deleted: holding it gives nothing.
	thief := h.client()
	thief.setToken(t1)
	expect(t, thief.get("/login/mfa"), http.StatusSeeOther, "/login")
	expect(t, thief.get("/dashboard"), http.StatusSeeOther, "/login?next=%2Fdashboard")

	expect(t, c.get("/dashboard"), http.StatusOK, "")
	expect(t, c.post("/logout", nil), http.StatusSeeOther, "/login")
	t3 := c.token()
	if t3 == t2 {
		t.Fatal("token not renewed at logout")
	}
	contains(t, c.get("/login").body, "You have been signed out.")
	expect(t, c.get("/dashboard"), http.StatusSeeOther, "/login?next=%2Fdashboard")
	thief.setToken(t2)
	expect(t, thief.get("/dashboard"), http.StatusSeeOther, "/login?next=%2Fdashboard")
}

func TestIdleTimeout(t *testing.T) {
	h := newHarness(t)
	c := h.member("ada@example.com")
	h.clock.Advance(20 * time.Minute)
	expect(t, c.get("/dashboard"), http.StatusOK, "")
	h.clock.Advance(20 * time.Minute) // 40 minutes signed in, 20 idle
	expect(t, c.get("/dashboard"), http.StatusOK, "")
	h.clock.Advance(31 * time.Minute)
	expect(t, c.get("/dashboard"), http.StatusSeeOther, "/login?next=%2Fdashboard")
	contains(t, c.get("/login").body, "Your session has expired. Please sign in again.")
	expect(t, c.get("/dashboard"), http.StatusSeeOther, "/login?next=%2Fdashboard")
}

func TestHome(t *testing.T) {
	h := newHarness(t)
	c := h.member("ada@example.com")
	expect(t, c.get("/"), http.StatusSeeOther, "/dashboard")
	expect(t, h.client().get("/"), http.StatusSeeOther, "/login")
}

func TestMethodChooserOffersAConfirmedAuthenticatorFirst(t *testing.T) {
	h := newHarness(t)
	h.client().register("ada@example.com", phoneA, phoneAE164)
	ctx := context.Background()
	u, err := h.db.UserByEmail(ctx, "ada@example.com")
	if err != nil {
		t.Fatal(err)
	}
	c := h.client()
	// Only a confirmed authenticator counts: a pending one leaves TOTP disabled.
	en, err := h.auth.StartTOTPEnrollment(ctx, u.ID)
	if err != nil {
		t.Fatal(err)
	}
	expect(t, c.passwordStep("ada@example.com", testPassword, ""), http.StatusSeeOther, "/login/mfa")
	body := c.get("/login/mfa").body
	if !strings.Contains(body, "Set up an authenticator app in Account settings to use it") {
		t.Fatal("TOTP offered before the authenticator was confirmed")
	}
	code, err := totp.GenerateCode(en.Secret, h.clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	if err := h.auth.ConfirmTOTPEnrollment(ctx, u.ID, en.FactorSID, code); err != nil {
		t.Fatal(err)
	}
	body = c.get("/login/mfa").body
	totpAt, smsAt := strings.Index(body, "Authenticator app (TOTP)"), strings.Index(body, "SMS to (***) ***-6053")
	if totpAt < 0 || smsAt < 0 || totpAt > smsAt {
		t.Fatalf("TOTP at %d, SMS at %d: the authenticator must come first", totpAt, smsAt)
	}
	if strings.Contains(body, "Set up an authenticator app in Account settings to use it") || strings.Contains(body, "disabled") {
		t.Error("TOTP still shown as disabled")
	}
}

// TestAbsoluteLifetime: however active, a signed-in session ends 12 hours
// after its second factor.
func TestAbsoluteLifetime(t *testing.T) {
	h := newHarness(t)
	c := h.member("ada@example.com")
	for elapsed := time.Duration(0); elapsed < 12*time.Hour-25*time.Minute; elapsed += 25 * time.Minute {
		h.clock.Advance(25 * time.Minute)
		expect(t, c.get("/dashboard"), http.StatusOK, "")
	}
	h.clock.Advance(26 * time.Minute)
	expect(t, c.get("/dashboard"), http.StatusSeeOther, "/login?next=%2Fdashboard")
}
