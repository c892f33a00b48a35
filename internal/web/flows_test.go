package web_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"gatehouse/internal/auth"
	"gatehouse/internal/store"
)

// flow is one user journey of the core contract (issue 2) or of the
// authenticator-app contract (issue 4). TestFlows runs each one on every
// database (SQLite, PostgreSQL) and every verify backend, so the Twilio
// adapter, through the real SDK and the emulator, is held to exactly what
// the embedded engine does, and PostgreSQL to exactly what SQLite does.
type flow struct {
	name string
	run  func(t *testing.T, h *harness)
}

var flows = []flow{
	{name: "registration", run: flowRegistration},
	{name: "login flag 1 SMS", run: flowLoginSMS},
	{name: "login flag 0 setup", run: flowLoginSetup},
	{name: "wrong code then right code", run: flowWrongThenRight},
	{name: "pre-auth gating", run: flowPreAuthGating},
	{name: "change phone", run: flowChangePhone},
	{name: "logout", run: flowLogout},
	{name: "TOTP enroll and confirm", run: flowTOTPEnroll},
	{name: "TOTP enable again replaces a pending factor", run: flowTOTPReenroll},
	{name: "TOTP login", run: flowTOTPLogin},
	{name: "TOTP replay refused", run: flowTOTPReplay},
	{name: "TOTP remove", run: flowTOTPRemove},
	{name: "backup codes", run: flowBackupCodes},
}

func TestFlows(t *testing.T) {
	for _, database := range databases {
		for _, backend := range backends {
			t.Run(database+"/"+backend, func(t *testing.T) {
				for _, f := range flows {
					t.Run(f.name, func(t *testing.T) {
						t.Parallel()
						f.run(t, newHarness(t, onDatabase(database), onBackend(backend)))
					})
				}
			})
		}
	}
}

// user returns the account with email, failing when there is none.
func (h *harness) user(email string) store.User {
	h.t.Helper()
	u, err := h.db.UserByEmail(context.Background(), email)
	if err != nil {
		h.t.Fatalf("user %s: %v", email, err)
	}
	return u
}

func flowRegistration(t *testing.T, h *harness) {
	c := h.client()
	c.startRegistration("ada@example.com")
	m := h.mark()
	before := h.sends()
	expect(t, c.post("/register/credentials", url.Values{"password": {testPassword}, "phone": {phoneA}}),
		http.StatusSeeOther, "/register/verify")
	if h.sends() != before+1 {
		t.Fatalf("sends = %d, want %d", h.sends(), before+1)
	}
	first := h.code(phoneAE164)

	// A wrong code: an error on the same page, no account.
	r := c.post("/register/verify", url.Values{"code": {otherCode(first)}})
	expect(t, r, http.StatusUnprocessableEntity, "")
	contains(t, r.body, "That code is not correct.", "Enter the code we sent to <span class=\"number\">(***) ***-6053</span>", `action="/register/resend"`)
	if _, err := h.db.UserByEmail(context.Background(), "ada@example.com"); err == nil {
		t.Fatal("account created by a wrong code")
	}

	// Resend: refused within the cooldown without reaching the provider,
	// then a fresh code that replaces the first.
	r = c.post("/register/resend", nil)
	expect(t, r, http.StatusTooManyRequests, "")
	contains(t, r.body, "Please wait before requesting another code.")
	h.clock.Advance(31 * time.Second)
	expect(t, c.post("/register/resend", nil), http.StatusSeeOther, "/register/verify")
	contains(t, c.get("/register/verify").body, "We sent you a new code.")
	if h.sends() != before+2 {
		t.Fatalf("sends = %d, want %d", h.sends(), before+2)
	}
	second := h.code(phoneAE164)
	calls := []string{callSend, callCheck, callSend}
	if second != first {
		expect(t, c.post("/register/verify", url.Values{"code": {first}}), http.StatusUnprocessableEntity, "")
		calls = append(calls, callCheck)
	}
	expect(t, c.post("/register/verify", url.Values{"code": {second}}), http.StatusSeeOther, "/login")
	contains(t, c.get("/login").body, "Your account has been created. Sign in to continue.")
	h.expectCalls(m, append(calls, callCheck)...)

	u := h.user("ada@example.com")
	if !u.MFAEnabled || u.Phone != phoneAE164 {
		t.Errorf("user: MFA %v, phone %s", u.MFAEnabled, u.Phone)
	}
	// The provider identity is opaque: a random UUID, no PII.
	if !regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`).MatchString(u.VerifyIdentity) {
		t.Errorf("verify identity %q is not a random UUID", u.VerifyIdentity)
	}
	// The same email cannot register again, yet step 1 answers as for a
	// new address (issue 13: no answer tells which emails have accounts);
	// TestRegistrationDuplicateEmail follows it to the end.
	c2 := h.client()
	r = c2.post("/register", url.Values{"first_name": {"Ada"}, "last_name": {"L"}, "email": {"ada@example.com"}, "captcha": {c2.captcha()}})
	expect(t, r, http.StatusSeeOther, "/register/credentials")
}

func flowLoginSMS(t *testing.T, h *harness) {
	h.client().register("ada@example.com", phoneA, phoneAE164)
	h.clock.Advance(time.Minute)
	c := h.client()
	expect(t, c.passwordStep("ada@example.com", testPassword, ""), http.StatusSeeOther, "/login/mfa")
	r := c.get("/login/mfa")
	expect(t, r, http.StatusOK, "")
	contains(t, r.body, "Choose Verification Method", "SMS to (***) ***-6053")

	m, before := h.mark(), h.sends()
	expect(t, c.post("/login/mfa/sms", nil), http.StatusSeeOther, "/login/mfa/code")
	if h.sends() != before+1 {
		t.Fatal("no code sent")
	}
	contains(t, c.get("/login/mfa/code").body, "Enter the code sent to <span class=\"number\">(***) ***-6053</span>")
	expect(t, c.post("/login/mfa/code", url.Values{"code": {h.code(phoneAE164)}}), http.StatusSeeOther, "/dashboard")
	h.expectCalls(m, callSend, callCheck)
	r = c.get("/dashboard")
	expect(t, r, http.StatusOK, "")
	contains(t, r.body, "Welcome, Ada Lovelace")
}

func flowLoginSetup(t *testing.T, h *harness) {
	if _, err := h.auth.CreateUser(context.Background(), auth.CreateUserInput{
		Email: "grace@example.com", FirstName: "Grace", LastName: "Hopper", Password: testPassword, Phone: phoneA,
	}); err != nil {
		t.Fatal(err)
	}
	c := h.client()
	expect(t, c.passwordStep("grace@example.com", testPassword, ""), http.StatusSeeOther, "/login/mfa")
	r := c.get("/login/mfa")
	expect(t, r, http.StatusOK, "")
	contains(t, r.body, "Set Up Two-Factor Authentication", "(***) ***-6053", `action="/login/mfa/setup"`)

	m := h.mark()
	expect(t, c.post("/login/mfa/setup", url.Values{"phone": {phoneB}}), http.StatusSeeOther, "/login/mfa/code")
	if _, ok := h.lastCode(phoneAE164); ok {
		t.Error("a code went to the number on file instead of the typed one")
	}
	expect(t, c.get("/dashboard"), http.StatusSeeOther, "/login/mfa")
	if u := h.user("grace@example.com"); u.MFAEnabled || u.Phone != phoneAE164 {
		t.Fatalf("user changed before the code was checked: %+v", u)
	}
	expect(t, c.post("/login/mfa/code", url.Values{"code": {h.code(phoneBE164)}}), http.StatusSeeOther, "/dashboard")
	h.expectCalls(m, callSend, callCheck)
	if u := h.user("grace@example.com"); !u.MFAEnabled || u.Phone != phoneBE164 {
		t.Fatalf("after set-up: MFA %v, phone %s", u.MFAEnabled, u.Phone)
	}
	expect(t, c.get("/dashboard"), http.StatusOK, "")
}

func flowWrongThenRight(t *testing.T, h *harness) {
	h.client().register("ada@example.com", phoneA, phoneAE164)
	h.clock.Advance(time.Minute)
	c := h.client()
	expect(t, c.passwordStep("ada@example.com", testPassword, ""), http.StatusSeeOther, "/login/mfa")
	expect(t, c.post("/login/mfa/sms", nil), http.StatusSeeOther, "/login/mfa/code")
	code := h.code(phoneAE164)
	m := h.mark()
	r := c.post("/login/mfa/code", url.Values{"code": {otherCode(code)}})
	expect(t, r, http.StatusUnprocessableEntity, "")
	contains(t, r.body, "That code is not correct.", "Enter the code sent to <span class=\"number\">(***) ***-6053</span>")
	if u := h.user("ada@example.com"); u.FailedAttempts != 1 {
		t.Errorf("failed attempts = %d after a wrong code, want 1", u.FailedAttempts)
	}
	expect(t, c.get("/dashboard"), http.StatusSeeOther, "/login/mfa")
	expect(t, c.post("/login/mfa/code", url.Values{"code": {code}}), http.StatusSeeOther, "/dashboard")
	h.expectCalls(m, callCheck, callCheck)
	if u := h.user("ada@example.com"); u.FailedAttempts != 0 {
		t.Errorf("failed attempts = %d after success, want 0", u.FailedAttempts)
	}
	expect(t, c.get("/dashboard"), http.StatusOK, "")
}

func flowPreAuthGating(t *testing.T, h *harness) {
	h.client().register("ada@example.com", phoneA, phoneAE164)
	c := h.client()
	expect(t, c.passwordStep("ada@example.com", testPassword, ""), http.StatusSeeOther, "/login/mfa")
	m, before := h.mark(), h.sends()
	for _, p := range []string{"/", "/dashboard", "/account", "/account/phone", "/account/phone/verify",
		"/account/phone/confirm", "/login", "/register", "/register/credentials"} {
		expect(t, c.get(p), http.StatusSeeOther, "/login/mfa")
	}
	for _, p := range []string{"/account/phone", "/account/phone/verify", "/account/phone/confirm",
		"/account/phone/resend", "/login", "/register", "/register/credentials", "/register/verify"} {
		expect(t, c.post(p, url.Values{"phone": {phoneB}, "code": {"123456"}}), http.StatusSeeOther, "/login/mfa")
	}
	if h.sends() != before {
		t.Errorf("the pre-auth state sent %d code(s)", h.sends()-before)
	}
	h.expectCalls(m)
	expect(t, c.get("/login/mfa"), http.StatusOK, "")
}

func flowChangePhone(t *testing.T, h *harness) {
	c := h.member("ada@example.com")
	m := h.mark()
	expect(t, c.post("/account/phone", url.Values{"phone": {phoneB}}), http.StatusSeeOther, "/account/phone/verify")
	contains(t, c.get("/account/phone/verify").body, "We sent a code to <span class=\"number\">(***) ***-1234</span>")
	code := h.code(phoneBE164)
	r := c.post("/account/phone/verify", url.Values{"code": {otherCode(code)}})
	expect(t, r, http.StatusUnprocessableEntity, "")
	contains(t, r.body, "That code is not correct.")
	expect(t, c.post("/account/phone/verify", url.Values{"code": {code}}), http.StatusSeeOther, "/account/phone/confirm")
	if u := h.user("ada@example.com"); u.Phone != phoneAE164 {
		t.Fatal("the new number is in force before it was confirmed")
	}
	expect(t, c.post("/account/phone/confirm", nil), http.StatusSeeOther, "/account")
	h.expectCalls(m, callSend, callCheck, callCheck, callText) // and the notice to the old number
	r = c.get("/account")
	contains(t, r.body, "Your phone number has been updated.", "(***) ***-1234")
	if u := h.user("ada@example.com"); u.Phone != phoneBE164 || !u.MFAEnabled {
		t.Fatalf("after the change: phone %s, MFA %v", u.Phone, u.MFAEnabled)
	}
}

func flowLogout(t *testing.T, h *harness) {
	c := h.member("ada@example.com")
	old := c.token()
	m := h.mark()
	expect(t, c.post("/logout", nil), http.StatusSeeOther, "/login")
	expect(t, c.get("/dashboard"), http.StatusSeeOther, "/login?next=%2Fdashboard")
	c.setToken(old)
	expect(t, c.get("/dashboard"), http.StatusSeeOther, "/login?next=%2Fdashboard")
	h.expectCalls(m)
}

func flowTOTPEnroll(t *testing.T, h *harness) {
	c := h.member("ada@example.com")
	u := h.user("ada@example.com")
	m := h.mark()
	r := c.post(pathGenerateTOTP, nil)
	res := expectJSON(t, r, http.StatusOK)
	secret, _ := res["secret"].(string)
	uri, _ := res["uri"].(string)
	qr, _ := res["qr"].(string)
	if !regexp.MustCompile(`^[A-Z2-7]{16,}=*$`).MatchString(secret) {
		t.Errorf("secret %q is not base32", secret)
	}
	if !strings.HasPrefix(qr, "data:image/png;base64,") {
		t.Errorf("qr = %.40q", qr)
	}
	pu, err := url.Parse(uri)
	if err != nil || pu.Scheme != "otpauth" || pu.Host != "totp" {
		t.Fatalf("uri = %q", uri)
	}
	if pu.Path != "/Gatehouse:ada@example.com" || pu.Query().Get("issuer") != "Gatehouse" {
		t.Errorf("uri label %q, issuer %q; want the portal's issuer and the user's email", pu.Path, pu.Query().Get("issuer"))
	}
	d, ok := h.device("ada@example.com")
	if !ok || d.Confirmed || !strings.HasPrefix(d.FactorSID, "YF") {
		t.Fatalf("device after generate: %+v, %v", d, ok)
	}
	if strings.Contains(h.snapshot(), secret) {
		t.Fatal("the portal's tables hold the TOTP secret")
	}

	wrong := otherCode(h.totpCode(secret))
	res = expectJSON(t, c.post(pathConfirmTOTP, url.Values{"code": {wrong}}), http.StatusBadRequest)
	if res["error"] != "That code is not correct. Check the code and try again." {
		t.Errorf("wrong code: %v", res)
	}
	if d, _ := h.device("ada@example.com"); d.Confirmed {
		t.Fatal("confirmed by a wrong code")
	}
	// The pending factor stays in the session: the user simply retries.
	res = expectJSON(t, c.post(pathConfirmTOTP, url.Values{"code": {h.totpCode(secret)}}), http.StatusOK)
	if res["success"] != true {
		t.Fatalf("confirm: %v", res)
	}
	if d, _ := h.device("ada@example.com"); !d.Confirmed {
		t.Fatal("device not confirmed")
	}
	h.expectCalls(m, callCreateFactor, callVerifyFactor, callVerifyFactor)
	// A confirmed device cannot be enrolled over.
	expectJSON(t, c.post(pathGenerateTOTP, nil), http.StatusConflict)

	if h.emu != nil {
		// Twilio sees an opaque identity, never the user's email or name.
		for _, req := range h.emu.Requests()[m:] {
			if !strings.Contains(req.Path, "/Entities/"+u.VerifyIdentity+"/") {
				t.Errorf("request %s %s does not use the user's opaque identity", req.Method, req.Path)
			}
			all := req.Path + " " + req.Form.Encode()
			for _, pii := range []string{"ada@example.com", "ada%40example.com", "Ada", "Lovelace", "6053"} {
				if strings.Contains(all, pii) {
					t.Errorf("request %s %s carries PII %q: %s", req.Method, req.Path, pii, all)
				}
			}
		}
	}
}

func flowTOTPReenroll(t *testing.T, h *harness) {
	c := h.member("ada@example.com")
	first := c.startTOTP()
	d1, _ := h.device("ada@example.com")
	m := h.mark()
	second := c.startTOTP()
	d2, _ := h.device("ada@example.com")
	if d2.FactorSID == d1.FactorSID || d2.Confirmed {
		t.Fatalf("device after Enable again: %+v (was %s)", d2, d1.FactorSID)
	}
	h.expectCalls(m, callDeleteFactor, callCreateFactor)
	if first != second {
		expectJSON(t, c.post(pathConfirmTOTP, url.Values{"code": {h.totpCode(first)}}), http.StatusBadRequest)
	}
	expectJSON(t, c.post(pathConfirmTOTP, url.Values{"code": {h.totpCode(second)}}), http.StatusOK)
}

// totpMember is a signed-out user with a confirmed authenticator, past the
// time step of the enrollment code.
func (h *harness) totpMember(email string) string {
	h.t.Helper()
	c := h.member(email)
	secret := c.enrollTOTP()
	expect(h.t, c.post("/logout", nil), http.StatusSeeOther, "/login")
	h.clock.Advance(30 * time.Second)
	return secret
}

func flowTOTPLogin(t *testing.T, h *harness) {
	secret := h.totpMember("ada@example.com")
	c := h.client()
	expect(t, c.passwordStep("ada@example.com", testPassword, "/account"), http.StatusSeeOther, "/login/mfa")
	r := c.get("/login/mfa")
	expect(t, r, http.StatusOK, "")
	contains(t, r.body, "Choose Verification Method", "Authenticator app")

	m, before := h.mark(), h.sends()
	code := h.totpCode(secret)
	res := expectJSON(t, c.post(pathValidateTOTP, url.Values{"totp_code": {otherCode(code)}}), http.StatusBadRequest)
	if s, _ := res["error"].(string); s == "" {
		t.Errorf("wrong code: no error message in %v", res)
	}
	expect(t, c.get("/dashboard"), http.StatusSeeOther, "/login/mfa")
	res = expectJSON(t, c.post(pathValidateTOTP, url.Values{"totp_code": {code}}), http.StatusOK)
	if res["success"] != true || res["redirect_url"] != "/account" {
		t.Fatalf("validate: %v", res)
	}
	if h.sends() != before {
		t.Error("signing in with the authenticator sent an SMS")
	}
	h.expectCalls(m, callChallengeTOTP, callChallengeTOTP)
	expect(t, c.get("/account"), http.StatusOK, "")
}

func flowTOTPReplay(t *testing.T, h *harness) {
	secret := h.totpMember("ada@example.com")
	code := h.totpCode(secret)
	c1 := h.client()
	expect(t, c1.passwordStep("ada@example.com", testPassword, ""), http.StatusSeeOther, "/login/mfa")
	expectJSON(t, c1.post(pathValidateTOTP, url.Values{"totp_code": {code}}), http.StatusOK)

	// The same code, from another session, in the same time step.
	c2 := h.client()
	expect(t, c2.passwordStep("ada@example.com", testPassword, ""), http.StatusSeeOther, "/login/mfa")
	res := expectJSON(t, c2.post(pathValidateTOTP, url.Values{"totp_code": {code}}), http.StatusBadRequest)
	if s, _ := res["error"].(string); s == "" {
		t.Errorf("replay: no error message in %v", res)
	}
	expect(t, c2.get("/dashboard"), http.StatusSeeOther, "/login/mfa")
	// The next code works.
	h.clock.Advance(30 * time.Second)
	expectJSON(t, c2.post(pathValidateTOTP, url.Values{"totp_code": {h.totpCode(secret)}}), http.StatusOK)
}

func flowTOTPRemove(t *testing.T, h *harness) {
	c := h.member("ada@example.com")
	secret := c.enrollTOTP()
	m := h.mark()
	res := expectJSON(t, c.post(pathRemoveTOTP, nil), http.StatusOK)
	if res["success"] != true {
		t.Fatalf("remove: %v", res)
	}
	h.expectCalls(m, callDeleteFactor)
	if _, ok := h.device("ada@example.com"); ok {
		t.Fatal("device row kept after removal")
	}
	// Still signed in, now on SMS.
	expect(t, c.get("/dashboard"), http.StatusOK, "")
	expect(t, c.get("/account"), http.StatusOK, "")

	// The authenticator no longer signs in; SMS does.
	expect(t, c.post("/logout", nil), http.StatusSeeOther, "/login")
	h.clock.Advance(time.Minute)
	c2 := h.client()
	expect(t, c2.passwordStep("ada@example.com", testPassword, ""), http.StatusSeeOther, "/login/mfa")
	m = h.mark()
	if r := c2.post(pathValidateTOTP, url.Values{"totp_code": {h.totpCode(secret)}}); r.status < 400 || r.status >= 500 {
		t.Fatalf("a removed authenticator: status %d\n%s", r.status, r.body)
	}
	h.expectCalls(m)
	expect(t, c2.post("/login/mfa/sms", nil), http.StatusSeeOther, "/login/mfa/code")
	expect(t, c2.post("/login/mfa/code", url.Values{"code": {h.code(phoneAE164)}}), http.StatusSeeOther, "/dashboard")
}

func flowBackupCodes(t *testing.T, h *harness) {
	c := h.member("ada@example.com")
	res := expectJSON(t, c.post(pathBackupCodes, nil), http.StatusOK)
	codes := backupCodes(t, res)
	snap := h.snapshot()
	for _, code := range codes {
		if strings.Contains(snap, code) || strings.Contains(snap, strings.ReplaceAll(code, "-", "")) {
			t.Fatalf("the portal's tables hold backup code %s", code)
		}
	}
	expect(t, c.post("/logout", nil), http.StatusSeeOther, "/login")

	login := func() *client {
		t.Helper()
		c := h.client()
		expect(t, c.passwordStep("ada@example.com", testPassword, ""), http.StatusSeeOther, "/login/mfa")
		return c
	}
	m, before := h.mark(), h.sends()
	c2 := login()
	expect(t, c2.post(pathLoginBackup, url.Values{"code": {codes[0]}}), http.StatusSeeOther, "/dashboard")
	expect(t, c2.get("/dashboard"), http.StatusOK, "")
	// Each code works once.
	c3 := login()
	expect(t, c3.post(pathLoginBackup, url.Values{"code": {codes[0]}}), http.StatusUnprocessableEntity, "")
	expect(t, c3.get("/dashboard"), http.StatusSeeOther, "/login/mfa")
	if h.sends() != before {
		t.Error("a backup-code sign-in sent an SMS")
	}
	h.expectCalls(m)

	// A new set replaces the old one.
	res = expectJSON(t, c2.post(pathBackupCodes, nil), http.StatusOK)
	fresh := backupCodes(t, res)
	expect(t, c3.post(pathLoginBackup, url.Values{"code": {codes[1]}}), http.StatusUnprocessableEntity, "")
	expect(t, c3.post(pathLoginBackup, url.Values{"code": {fresh[0]}}), http.StatusSeeOther, "/dashboard")
}

// backupCodes reads the 10 codes of a /generate-backup-codes/ answer.
func backupCodes(t *testing.T, res map[string]any) []string {
	t.Helper()
	list, _ := res["codes"].([]any)
	if len(list) != 10 {
		t.Fatalf("codes: %v", res)
	}
	seen := map[string]bool{}
	var out []string
	for _, v := range list {
		s, _ := v.(string)
		if len(strings.NewReplacer("-", "", " ", "").Replace(s)) < 12 || seen[s] {
			t.Fatalf("bad or repeated code %q in %v", s, list)
		}
		seen[s] = true
		out = append(out, s)
	}
	return out
}
