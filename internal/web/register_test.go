package web_test

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"gatehouse/internal/auth"
)

func TestRegistrationHappyPath(t *testing.T) {
	h := newHarness(t)
	c := h.client()

	r := c.get("/register")
	expect(t, r, http.StatusOK, "")
	contains(t, r.body, `name="first_name"`, `name="last_name"`, `name="email"`, `data-captcha="pow"`,
		`<input type="hidden" name="captcha"`, `data-captcha-status`, `href="/login"`, ">Submit<")

	c.startRegistration("Ada@Example.com")
	r = c.get("/register/credentials")
	expect(t, r, http.StatusOK, "")
	contains(t, r.body, `type="password"`, "At least 8 characters", `type="tel"`, ">Send OTP<",
		`aria-describedby="password-hint"`)

	before := h.sends()
	r = c.post("/register/credentials", url.Values{"password": {testPassword}, "phone": {phoneA}})
	expect(t, r, http.StatusSeeOther, "/register/verify")
	if h.sends() != before+1 {
		t.Fatalf("sends = %d, want %d", h.sends(), before+1)
	}
	r = c.get("/register/verify")
	expect(t, r, http.StatusOK, "")
	contains(t, r.body, "Enter the code we sent to <span class=\"number\">(***) ***-6053</span>", `inputmode="numeric"`,
		`autocomplete="one-time-code"`, `pattern="[0-9]*"`, ">Verify<", `action="/register/resend"`, "Resend code")

	// No account exists until the phone is verified.
	if _, err := h.db.UserByEmail(context.Background(), "ada@example.com"); err == nil {
		t.Fatal("account exists before the phone was verified")
	}
	code := h.code(phoneAE164)
	spaced := code[:3] + " " + code[3:] // people type spaces inside codes
	r = c.post("/register/verify", url.Values{"code": {spaced}})
	expect(t, r, http.StatusSeeOther, "/login")

	r = c.get("/login")
	expect(t, r, http.StatusOK, "")
	contains(t, r.body, "Your account has been created. Sign in to continue.")
	if r = c.get("/login"); strings.Contains(r.body, "Your account has been created") {
		t.Error("flash message shown twice")
	}
	u, err := h.db.UserByEmail(context.Background(), "ada@example.com")
	if err != nil {
		t.Fatal(err)
	}
	if !u.MFAEnabled || u.Phone != phoneAE164 || u.FirstName != "Ada" || u.LastName != "Lovelace" {
		t.Errorf("user = %+v", u)
	}
	// The registration is over: its pages start again.
	expect(t, c.get("/register/verify"), http.StatusSeeOther, "/register")

	logs := h.logs.String()
	for _, secret := range []string{testPassword, code} {
		if strings.Contains(logs, secret) {
			t.Errorf("logs contain a secret %q:\n%s", secret, logs)
		}
	}
}

func TestRegistrationStepOneErrors(t *testing.T) {
	h := newHarness(t)
	c := h.client()

	r := c.post("/register", url.Values{"first_name": {""}, "last_name": {"Lovelace"}, "email": {"not-an-email"}, "captcha": {c.captcha()}})
	expect(t, r, http.StatusUnprocessableEntity, "")
	contains(t, r.body, "Enter your first name.", "Enter a valid email address",
		`aria-invalid="true"`, `aria-describedby="first_name-error"`, `id="email-error"`,
		`value="Lovelace"`, `value="not-an-email"`, `role="alert"`)

	r = c.post("/register", url.Values{"first_name": {"Ada"}, "last_name": {"Lovelace"}, "email": {"ada@example.com"}})
	expect(t, r, http.StatusUnprocessableEntity, "")
	contains(t, r.body, "Please complete the CAPTCHA check.", `id="captcha-error"`, `value="ada@example.com"`)

	r = c.post("/register", url.Values{"first_name": {"Ada"}, "last_name": {"Lovelace"}, "email": {"ada@example.com"}, "captcha": {"Zm9v"}})
	expect(t, r, http.StatusUnprocessableEntity, "")
	contains(t, r.body, "Please complete the CAPTCHA check.")

	// A solved challenge works once.
	tok := c.captcha()
	expect(t, c.post("/register", url.Values{"first_name": {"Ada"}, "last_name": {"L"}, "email": {"a@example.com"}, "captcha": {tok}}),
		http.StatusSeeOther, "/register/credentials")
	expect(t, c.post("/register", url.Values{"first_name": {"Ada"}, "last_name": {"L"}, "email": {"a@example.com"}, "captcha": {tok}}),
		http.StatusUnprocessableEntity, "")
}

// TestRegistrationDuplicateEmail: issue 13 changed this contract. A taken
// email used to be refused at step 1 ("An account with this email already
// exists"), which told anyone which addresses have accounts. Now it goes on
// exactly as a new address does, to the same sign-in page with the same
// message; the address's owner is mailed a register-attempt notice and no
// account is created.
func TestRegistrationDuplicateEmail(t *testing.T) {
	h := newHarness(t)
	h.client().register("ada@example.com", phoneA, phoneAE164)
	// The verification mail goes out in the background; an hour later it
	// has long been sent, so the notice below must come after it.
	h.settle()
	before := h.snapshot()
	h.clock.Advance(time.Hour)

	c := h.client()
	r := c.post("/register", url.Values{
		"first_name": {"Ada"}, "last_name": {"Again"}, "email": {"ADA@example.com "}, "captcha": {c.captcha()},
	})
	expect(t, r, http.StatusSeeOther, "/register/credentials")
	if got := h.mailsTo("ada@example.com"); len(got) != 2 || got[1] != "register_attempt" {
		t.Fatalf("mails to the owner: %v", got)
	}
	contains(t, c.get("/register/credentials").body, "ada@example.com")
	expect(t, c.post("/register/credentials", url.Values{"password": {"another-Passphrase-7"}, "phone": {phoneB}}),
		http.StatusSeeOther, "/register/verify")
	expect(t, c.post("/register/verify", url.Values{"code": {h.code(phoneBE164)}}), http.StatusSeeOther, "/login")
	contains(t, c.get("/login").body, "Your account has been created. Sign in to continue.")
	// Nothing was created or changed, and the owner got no second notice.
	h.unchanged(before)
	if got := h.mailsTo("ada@example.com"); len(got) != 2 {
		t.Fatalf("mails to the owner: %v", got)
	}
	expect(t, c.passwordStep("ada@example.com", "another-Passphrase-7", ""), http.StatusUnauthorized, "")
}

func TestRegistrationPasswordAndPhoneErrors(t *testing.T) {
	h := newHarness(t)
	c := h.client()
	c.startRegistration("ada@example.com")
	cases := []struct {
		name, password, phone, want string
	}{
		{"short", "abc123", phoneA, "Password must be at least 8 characters."},
		{"common", "password123", phoneA, "too common"},
		{"sequence", "12345678", phoneA, "Choose another."},
		{"own email", "ada@example.com", phoneA, "must not be your name or email"},
		{"too long", strings.Repeat("x7", 129), phoneA, "at most 256 characters"},
		{"missing phone", testPassword, "", "Enter your phone number."},
		{"bad phone", testPassword, "12", "Enter a valid phone number"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := h.sends()
			r := c.post("/register/credentials", url.Values{"password": {tc.password}, "phone": {tc.phone}})
			expect(t, r, http.StatusUnprocessableEntity, "")
			contains(t, r.body, tc.want, `aria-invalid="true"`)
			if tc.phone != "" {
				contains(t, r.body, `value="`+tc.phone+`"`)
			}
			if tc.password != "" && strings.Contains(r.body, `value="`+tc.password+`"`) {
				t.Error("the password was echoed back")
			}
			if h.sends() != before {
				t.Error("a code was sent for refused input")
			}
		})
	}
}

func TestRegistrationWrongCodeAndCheckCap(t *testing.T) {
	h := newHarness(t)
	c := h.client()
	c.startRegistration("ada@example.com")
	expect(t, c.post("/register/credentials", url.Values{"password": {testPassword}, "phone": {phoneA}}),
		http.StatusSeeOther, "/register/verify")
	right := h.code(phoneAE164)
	wrong := "000000"
	if right == wrong {
		wrong = "111111"
	}

	r := c.post("/register/verify", url.Values{"code": {"12ab"}})
	expect(t, r, http.StatusUnprocessableEntity, "")
	contains(t, r.body, "Enter the 6-digit code.")

	for i := 1; i <= 5; i++ {
		r = c.post("/register/verify", url.Values{"code": {wrong}})
		expect(t, r, http.StatusUnprocessableEntity, "")
		contains(t, r.body, "That code is not correct.", `aria-describedby="code-error"`,
			"Enter the code we sent to <span class=\"number\">(***) ***-6053</span>")
	}
	// The sixth check is refused even with the right code.
	r = c.post("/register/verify", url.Values{"code": {right}})
	expect(t, r, http.StatusTooManyRequests, "")
	contains(t, r.body, "Too many attempts for this code. Wait 10 minutes, then request a new code.")
	if _, err := h.db.UserByEmail(context.Background(), "ada@example.com"); err == nil {
		t.Fatal("account created after the check cap")
	}

	// A resend never resets the count: while the verification lives, no
	// new code is sent (it could not be checked) and no check is made; a new
	// verification starts once this one has expired.
	h.clock.Advance(31 * time.Second)
	sent := h.sends()
	r = c.post("/register/resend", nil)
	expect(t, r, http.StatusTooManyRequests, "")
	contains(t, r.body, "Wait 10 minutes, then request a new code.")
	expect(t, c.post("/register/verify", url.Values{"code": {right}}), http.StatusTooManyRequests, "")
	if h.sends() != sent {
		t.Fatal("a code was sent for a verification out of checks")
	}
	h.clock.Advance(11 * time.Minute)
	expect(t, c.post("/register/resend", nil), http.StatusSeeOther, "/register/verify")
	expect(t, c.post("/register/verify", url.Values{"code": {h.code(phoneAE164)}}), http.StatusSeeOther, "/login")
}

func TestRegistrationResendCooldown(t *testing.T) {
	h := newHarness(t)
	c := h.client()
	c.startRegistration("ada@example.com")
	expect(t, c.post("/register/credentials", url.Values{"password": {testPassword}, "phone": {phoneA}}),
		http.StatusSeeOther, "/register/verify")
	first := h.code(phoneAE164)
	before := h.sends()

	r := c.post("/register/resend", nil)
	expect(t, r, http.StatusTooManyRequests, "")
	contains(t, r.body, "Please wait before requesting another code.")
	if s, err := strconv.Atoi(r.header.Get("Retry-After")); err != nil || s < 1 || s > 30 {
		t.Errorf("Retry-After = %q", r.header.Get("Retry-After"))
	}
	if h.sends() != before {
		t.Fatal("a refused resend reached the provider")
	}

	h.clock.Advance(31 * time.Second)
	expect(t, c.post("/register/resend", nil), http.StatusSeeOther, "/register/verify")
	contains(t, c.get("/register/verify").body, "We sent you a new code.")
	if h.sends() != before+1 {
		t.Fatal("resend did not send")
	}
	// The previous code stopped working; the new one works.
	second := h.code(phoneAE164)
	if first != second {
		expect(t, c.post("/register/verify", url.Values{"code": {first}}), http.StatusUnprocessableEntity, "")
	}
	expect(t, c.post("/register/verify", url.Values{"code": {second}}), http.StatusSeeOther, "/login")
}

func TestRegistrationPerPhoneCap(t *testing.T) {
	h := newHarness(t, withLimits(auth.Limits{SMSPerPhone: 3, SMSPhoneWindow: 10 * time.Minute}))
	// Three sends to one number in ten minutes, from three sign-ups, each
	// past the cooldown of the one before.
	for i := range 3 {
		c := h.client()
		c.startRegistration("user" + strconv.Itoa(i) + "@example.com")
		expect(t, c.post("/register/credentials", url.Values{"password": {testPassword}, "phone": {phoneA}}),
			http.StatusSeeOther, "/register/verify")
		h.clock.Advance(time.Minute)
	}
	before := h.sends()
	c := h.client()
	c.startRegistration("user3@example.com")
	// Another spelling of the same number shares its counter.
	r := c.post("/register/credentials", url.Values{"password": {testPassword}, "phone": {"+1 201-555-6053"}})
	expect(t, r, http.StatusTooManyRequests, "")
	contains(t, r.body, "Too many codes were sent to this number.")
	if ra, err := strconv.Atoi(r.header.Get("Retry-After")); err != nil || ra < 1 || ra > 600 {
		t.Errorf("Retry-After = %q", r.header.Get("Retry-After"))
	}
	if h.sends() != before {
		t.Fatal("a refused send reached the provider")
	}
	// The step can be retried: the registration is kept.
	expect(t, c.get("/register/credentials"), http.StatusOK, "")
}

func TestRegistrationProviderDown(t *testing.T) {
	h := newHarness(t)
	c := h.client()
	c.startRegistration("ada@example.com")
	h.verifier.down.Store(true)
	r := c.post("/register/credentials", url.Values{"password": {testPassword}, "phone": {phoneA}})
	expect(t, r, http.StatusServiceUnavailable, "")
	contains(t, r.body, "The verification service is unavailable. Please try again in a minute.", `value="`+phoneA+`"`)
	// Nothing changed: the same step works once the provider is back.
	h.verifier.down.Store(false)
	expect(t, c.get("/register/verify"), http.StatusSeeOther, "/register/credentials")
	expect(t, c.post("/register/credentials", url.Values{"password": {testPassword}, "phone": {phoneA}}),
		http.StatusSeeOther, "/register/verify")

	h.verifier.down.Store(true)
	r = c.post("/register/verify", url.Values{"code": {h.code(phoneAE164)}})
	expect(t, r, http.StatusServiceUnavailable, "")
	h.verifier.down.Store(false)
	expect(t, c.post("/register/verify", url.Values{"code": {h.code(phoneAE164)}}), http.StatusSeeOther, "/login")
}

func TestRegistrationNeedsAStart(t *testing.T) {
	h := newHarness(t)
	c := h.client()
	for _, p := range []string{"/register/credentials", "/register/verify"} {
		expect(t, c.get(p), http.StatusSeeOther, "/register")
	}
	for _, p := range []string{"/register/credentials", "/register/verify", "/register/resend"} {
		expect(t, c.post(p, url.Values{"password": {testPassword}, "phone": {phoneA}, "code": {"123456"}}),
			http.StatusSeeOther, "/register")
	}
	// Step 3 before step 2 goes back to step 2.
	c.startRegistration("ada@example.com")
	expect(t, c.get("/register/verify"), http.StatusSeeOther, "/register/credentials")
	expect(t, c.post("/register/verify", url.Values{"code": {"123456"}}), http.StatusSeeOther, "/register/credentials")
}

func TestRegistrationExpires(t *testing.T) {
	h := newHarness(t)
	c := h.client()
	c.startRegistration("ada@example.com")
	h.clock.Advance(h.auth.Limits().RegistrationTTL + time.Minute)
	r := c.post("/register/credentials", url.Values{"password": {testPassword}, "phone": {phoneA}})
	expect(t, r, http.StatusSeeOther, "/register")
	contains(t, c.get("/register").body, "Your registration took too long. Start again.")
	expect(t, c.get("/register/credentials"), http.StatusSeeOther, "/register")
}
