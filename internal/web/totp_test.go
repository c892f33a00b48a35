package web_test

import (
	"bytes"
	"encoding/base64"
	"image/png"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"
)

// HTTP tests of issue 4's contract: the authenticator app (TOTP) and the
// backup codes, row by row, plus the pages that use them with and without
// JavaScript. TOTP codes are computed from the secret the portal returns,
// on the harness's clock.

// mfaPost sends body with a content type and extra headers.
func (c *client) mfaPost(path, ctype, body string, hdr ...string) resp {
	c.t.Helper()
	req, err := http.NewRequest(http.MethodPost, c.h.srv.URL+path, strings.NewReader(body))
	if err != nil {
		c.t.Fatal(err)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	return c.do(req)
}

// mfaPage posts a form as a browser without JavaScript does.
func (c *client) mfaPage(path string, form url.Values) resp {
	c.t.Helper()
	return c.mfaPost(path, "application/x-www-form-urlencoded", form.Encode(),
		"Accept", "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8")
}

// jsonHeaders checks the headers every JSON answer carries.
func jsonHeaders(t *testing.T, r resp) {
	t.Helper()
	if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("Content-Type %q", ct)
	}
	if cc := r.header.Values("Cache-Control"); len(cc) != 1 || cc[0] != "no-store" {
		t.Errorf("Cache-Control %q", cc)
	}
	checkHeaders(t, r, false)
}

// onEachBackend runs test on a new harness of each verify backend.
func onEachBackend(t *testing.T, test func(t *testing.T, h *harness)) {
	for _, b := range backends {
		t.Run(b, func(t *testing.T) {
			t.Parallel()
			test(t, newHarness(t, onBackend(b)))
		})
	}
}

// pendingLogin runs the password step for email on a new client.
func (h *harness) pendingLogin(email, next string) *client {
	h.t.Helper()
	c := h.client()
	expect(h.t, c.passwordStep(email, testPassword, next), http.StatusSeeOther, "/login/mfa")
	return c
}

func TestGenerateTOTPFactor(t *testing.T) {
	onEachBackend(t, func(t *testing.T, h *harness) {
		c := h.member("ada@example.com")
		r := c.post(pathGenerateTOTP, nil)
		res := expectJSON(t, r, http.StatusOK)
		jsonHeaders(t, r)
		secret, _ := res["secret"].(string)
		if !regexp.MustCompile(`^[A-Z2-7]{32}$`).MatchString(secret) {
			t.Fatalf("secret %q: want 160 bits of base32", secret)
		}
		uri, _ := res["uri"].(string)
		if !strings.HasPrefix(uri, "otpauth://totp/Gatehouse:ada@example.com?") || !strings.Contains(uri, "secret="+secret) {
			t.Errorf("uri %q", uri)
		}
		// The QR code is a PNG made on the server.
		qr, _ := res["qr"].(string)
		raw, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(qr, "data:image/png;base64,"))
		if err != nil || !strings.HasPrefix(qr, "data:image/png;base64,") {
			t.Fatalf("qr %.60q: %v", qr, err)
		}
		img, err := png.Decode(bytes.NewReader(raw))
		if err != nil || img.Bounds().Dx() < 200 {
			t.Fatalf("qr is not a PNG of a usable size: %v", err)
		}
		// Only the factor SID is stored, unconfirmed.
		if d, ok := h.device("ada@example.com"); !ok || d.Confirmed {
			t.Fatalf("device %+v %v", d, ok)
		}
		if strings.Contains(h.snapshot(), secret) {
			t.Fatal("the secret is in the portal's tables")
		}
		// A JSON body (here an empty object) is accepted too.
		expectJSON(t, c.mfaPost(pathGenerateTOTP, "application/json", `{}`), http.StatusOK)
	})
}

func TestGenerateTOTPFactorNeedsSMSMFA(t *testing.T) {
	h := newHarness(t)
	c := h.member("ada@example.com")
	if _, err := h.db.SQL().Exec(`UPDATE users SET mfa_enabled = 0`); err != nil {
		t.Fatal(err)
	}
	res := expectJSON(t, c.post(pathGenerateTOTP, nil), http.StatusForbidden)
	if res["error"] != "Turn on SMS verification before adding an authenticator app." {
		t.Errorf("403: %v", res)
	}
	if _, ok := h.device("ada@example.com"); ok {
		t.Error("a device was created without SMS MFA")
	}
	expectJSON(t, c.post(pathBackupCodes, nil), http.StatusForbidden)
	// The card is locked: amber state, disabled button.
	r := c.get("/account")
	expect(t, r, http.StatusOK, "")
	contains(t, r.body, `data-state="locked"`, "Locked", "Turn on SMS verification before adding an authenticator app.")
	if !regexp.MustCompile(`<button type="button" class="button button-black" disabled>Enable`).MatchString(r.body) {
		t.Error("the locked card's Enable button is not disabled")
	}
}

func TestConfirmTOTPEnrollment(t *testing.T) {
	onEachBackend(t, func(t *testing.T, h *harness) {
		c := h.member("ada@example.com")
		// Without a pending factor there is nothing to confirm.
		res := expectJSON(t, c.post(pathConfirmTOTP, url.Values{"code": {"123456"}}), http.StatusBadRequest)
		if res["restart"] != true {
			t.Errorf("confirm without Enable: %v", res)
		}
		secret := c.startTOTP()
		code := h.totpCode(secret)
		for _, bad := range []string{otherCode(code), "12345", "abcdef", ""} {
			r := c.post(pathConfirmTOTP, url.Values{"code": {bad}})
			res := expectJSON(t, r, http.StatusBadRequest)
			jsonHeaders(t, r)
			if res["error"] != "That code is not correct. Check the code and try again." || res["restart"] != nil {
				t.Errorf("code %q: %v", bad, res)
			}
		}
		// The factor SID stayed in the session: the right code, sent as JSON,
		// confirms it.
		res = expectJSON(t, c.mfaPost(pathConfirmTOTP, "application/json", `{"code":"`+code+`"}`), http.StatusOK)
		if len(res) != 1 || res["success"] != true {
			t.Fatalf("confirm: %v", res)
		}
		if d, _ := h.device("ada@example.com"); !d.Confirmed {
			t.Fatal("not confirmed")
		}
		// The session keeps the method it was verified with: enrolling an
		// app is not signing in with it.
		contains(t, c.get("/dashboard").body, "Verified with SMS code", "<li>Authenticator app</li>")
		r := c.get("/account")
		contains(t, r.body, `data-state="on"`, "Authenticator App Active", "Remove", "Verified with <span data-session-method>SMS code</span>")
		// 409 once a confirmed device exists; the pending key is gone.
		expectJSON(t, c.post(pathGenerateTOTP, nil), http.StatusConflict)
		expectJSON(t, c.post(pathConfirmTOTP, url.Values{"code": {code}}), http.StatusConflict)
	})
}

func TestConfirmTOTPEnrollmentExpires(t *testing.T) {
	h := newHarness(t)
	c := h.member("ada@example.com")
	secret := c.startTOTP()
	h.clock.Advance(11 * time.Minute)
	res := expectJSON(t, c.post(pathConfirmTOTP, url.Values{"code": {h.totpCode(secret)}}), http.StatusBadRequest)
	if res["restart"] != true || res["error"] != "The set-up expired after 10 minutes. Click Enable to start again; delete the old entry from your app." {
		t.Fatalf("expired factor: %v", res)
	}
	// Enable again works.
	secret = c.startTOTP()
	expectJSON(t, c.post(pathConfirmTOTP, url.Values{"code": {h.totpCode(secret)}}), http.StatusOK)
}

func TestValidateTOTPCode(t *testing.T) {
	onEachBackend(t, func(t *testing.T, h *harness) {
		secret := h.totpMember("ada@example.com")
		c := h.pendingLogin("ada@example.com", "/account")
		r := c.get("/login/mfa")
		totpAt, smsAt := strings.Index(r.body, `href="/login/mfa/totp"`), strings.Index(r.body, `action="/login/mfa/sms"`)
		if totpAt < 0 || smsAt < totpAt {
			t.Fatalf("TOTP at %d, SMS at %d: the authenticator comes first", totpAt, smsAt)
		}
		if strings.Contains(r.body, "Use a backup code") {
			t.Error("backup codes offered to an account without any")
		}
		r = c.get("/login/mfa/totp")
		expect(t, r, http.StatusOK, "")
		contains(t, r.body, "Enter your authenticator code", `action="/validate-totp-code/"`, `name="totp_code"`,
			`autocomplete="one-time-code"`, `maxlength="6"`, `name="format" value="html"`, "/static/js/mfa.js")
		if m := inlineCode(r.body); m != "" {
			t.Errorf("inline code %q", m)
		}

		sends := h.sends()
		code := h.totpCode(secret)
		r = c.post(pathValidateTOTP, url.Values{"totp_code": {otherCode(code)}})
		res := expectJSON(t, r, http.StatusBadRequest)
		jsonHeaders(t, r)
		if res["error"] != "That code is not correct. Check the code and try again." {
			t.Errorf("wrong code: %v", res)
		}
		res = expectJSON(t, c.post(pathValidateTOTP, url.Values{"totp_code": {"12 34"}}), http.StatusBadRequest)
		if res["error"] != "Enter the 6-digit code." {
			t.Errorf("malformed code: %v", res)
		}
		expect(t, c.get("/dashboard"), http.StatusSeeOther, "/login/mfa")

		// The right code, as JSON: the session is renewed and signed in.
		before := c.token()
		r = c.mfaPost(pathValidateTOTP, "application/json", `{"totp_code":"`+code+`"}`)
		res = expectJSON(t, r, http.StatusOK)
		if len(res) != 2 || res["success"] != true || res["redirect_url"] != "/account" {
			t.Fatalf("validate: %v", res)
		}
		after := c.token()
		if after == "" || after == before {
			t.Fatal("session token not renewed after the authenticator code")
		}
		if h.sends() != sends {
			t.Error("an SMS was sent")
		}
		contains(t, c.get("/account").body, "Verified with <span data-session-method>Authenticator app</span>")
		expect(t, c.get("/login/mfa/totp"), http.StatusSeeOther, "/dashboard")
		// The pre-auth token is dead.
		thief := h.client()
		thief.setToken(before)
		expect(t, thief.get("/login/mfa"), http.StatusSeeOther, "/login")
		res = expectJSON(t, thief.post(pathValidateTOTP, url.Values{"totp_code": {code}}), http.StatusUnauthorized)
		if res["redirect_url"] != "/login" {
			t.Errorf("dead token: %v", res)
		}
	})
}

func TestValidateTOTPCodeReplayAcrossSessions(t *testing.T) {
	onEachBackend(t, func(t *testing.T, h *harness) {
		secret := h.totpMember("ada@example.com")
		code := h.totpCode(secret)
		a, b := h.pendingLogin("ada@example.com", ""), h.pendingLogin("ada@example.com", "")
		expectJSON(t, a.post(pathValidateTOTP, url.Values{"totp_code": {code}}), http.StatusOK)
		// (Both providers refuse a spent time step themselves, as a wrong
		// code, before the portal's own record of accepted codes is asked.)
		res := expectJSON(t, b.post(pathValidateTOTP, url.Values{"totp_code": {code}}), http.StatusBadRequest)
		if s, _ := res["error"].(string); s == "" {
			t.Errorf("replay: %v", res)
		}
		expect(t, b.get("/dashboard"), http.StatusSeeOther, "/login/mfa")
		// Later, in a new sign-in, still refused; the next step's code works.
		h.clock.Advance(20 * time.Second)
		c := h.pendingLogin("ada@example.com", "")
		expectJSON(t, c.post(pathValidateTOTP, url.Values{"totp_code": {code}}), http.StatusBadRequest)
		h.clock.Advance(30 * time.Second)
		expectJSON(t, b.post(pathValidateTOTP, url.Values{"totp_code": {h.totpCode(secret)}}), http.StatusOK)
	})
}

func TestValidateTOTPCodeRateLimitedPerIP(t *testing.T) {
	h := newHarness(t)
	h.totpMember("ada@example.com")
	n := 10 // auth's default TOTPPerIP
	c := h.pendingLogin("ada@example.com", "")
	for i := 0; i < n; i++ {
		// Malformed codes count toward the IP limit only, not the login's.
		expectJSON(t, c.post(pathValidateTOTP, url.Values{"totp_code": {"x"}}), http.StatusBadRequest)
	}
	r := c.post(pathValidateTOTP, url.Values{"totp_code": {"123456"}})
	res := expectJSON(t, r, http.StatusTooManyRequests)
	if s, err := strconv.Atoi(r.header.Get("Retry-After")); err != nil || s < 1 || s > 60 {
		t.Errorf("Retry-After %q", r.header.Get("Retry-After"))
	}
	if res["error"] != "Too many codes tried from your network. Wait a minute and try again." {
		t.Errorf("429: %v", res)
	}
	// As a page without JavaScript: 429 too.
	r = c.mfaPage(pathValidateTOTP, url.Values{"totp_code": {"123456"}, "format": {"html"}})
	expect(t, r, http.StatusTooManyRequests, "")
	contains(t, r.body, "Too many codes tried from your network.")
	h.clock.Advance(time.Minute)
	expectJSON(t, c.post(pathValidateTOTP, url.Values{"totp_code": {"x"}}), http.StatusBadRequest)
}

// Wrong codes of every second factor share the cap of 5 per login; the
// last one ends the login.
func TestWrongCodesShareTheLoginCap(t *testing.T) {
	h := newHarness(t)
	secret := h.totpMember("ada@example.com")
	c := h.pendingLogin("ada@example.com", "")
	if _, err := h.auth.GenerateBackupCodes(t.Context(), h.user("ada@example.com").ID); err != nil {
		t.Fatal(err)
	}
	wrong := otherCode(h.totpCode(secret))
	for range 2 {
		expect(t, c.post(pathLoginBackup, url.Values{"code": {"aaaa-bbbb-cccc"}}), http.StatusUnprocessableEntity, "")
	}
	for range 2 {
		expectJSON(t, c.post(pathValidateTOTP, url.Values{"totp_code": {wrong}}), http.StatusBadRequest)
	}
	r := c.post(pathValidateTOTP, url.Values{"totp_code": {wrong}})
	res := expectJSON(t, r, http.StatusBadRequest)
	if res["error"] != "Too many wrong codes. Please sign in again." || res["redirect_url"] != "/login" {
		t.Fatalf("fifth wrong code: %v", res)
	}
	expect(t, c.get("/login/mfa"), http.StatusSeeOther, "/login")
	contains(t, c.get("/login").body, "Too many wrong codes. Please sign in again.")
	res = expectJSON(t, c.post(pathValidateTOTP, url.Values{"totp_code": {h.totpCode(secret)}}), http.StatusUnauthorized)
	if res["redirect_url"] != "/login" {
		t.Errorf("after the end: %v", res)
	}

	// The same with a backup code last, as a page: back to the password.
	// (Wrong authenticator codes are kept under the factor's own limit of 5
	// in a row, which the first login has used 3 of.)
	c = h.pendingLogin("ada@example.com", "")
	for range 3 {
		expect(t, c.post(pathLoginBackup, url.Values{"code": {"aaaa-bbbb-cccc"}}), http.StatusUnprocessableEntity, "")
	}
	expectJSON(t, c.post(pathValidateTOTP, url.Values{"totp_code": {wrong}}), http.StatusBadRequest)
	expect(t, c.post(pathLoginBackup, url.Values{"code": {"aaaa-bbbb-cccc"}}), http.StatusSeeOther, "/login")
	expect(t, c.get("/login/mfa"), http.StatusSeeOther, "/login")
}

func TestValidateTOTPCodeExpiredLogin(t *testing.T) {
	h := newHarness(t)
	secret := h.totpMember("ada@example.com")
	c := h.pendingLogin("ada@example.com", "")
	h.clock.Advance(h.auth.Limits().PreAuthTTL + time.Second)
	res := expectJSON(t, c.post(pathValidateTOTP, url.Values{"totp_code": {h.totpCode(secret)}}), http.StatusUnauthorized)
	if res["redirect_url"] != "/login" {
		t.Errorf("expired login: %v", res)
	}
	expect(t, c.get("/login/mfa"), http.StatusSeeOther, "/login")
}

// has_totp gating: the authenticator step exists only for accounts with a
// confirmed device, and each endpoint only for its stage of the session.
func TestTOTPGating(t *testing.T) {
	h := newHarness(t)
	member := h.member("ada@example.com")
	member.startTOTP() // pending, not confirmed
	expect(t, member.post("/logout", nil), http.StatusSeeOther, "/login")

	c := h.pendingLogin("ada@example.com", "")
	contains(t, c.get("/login/mfa").body, "Set up an authenticator app in Account settings to use it")
	expect(t, c.get("/login/mfa/totp"), http.StatusSeeOther, "/login/mfa")
	expect(t, c.get("/login/mfa/backup"), http.StatusSeeOther, "/login/mfa")
	res := expectJSON(t, c.post(pathValidateTOTP, url.Values{"totp_code": {"123456"}}), http.StatusBadRequest)
	if res["redirect_url"] != "/login/mfa" || res["error"] != "No authenticator app is set up." {
		t.Errorf("no device: %v", res)
	}
	// Pre-auth reaches none of the signed-in endpoints.
	for _, p := range []string{pathGenerateTOTP, pathConfirmTOTP, pathRemoveTOTP, pathBackupCodes} {
		r := c.post(p, url.Values{"code": {"123456"}})
		res := expectJSON(t, r, http.StatusForbidden)
		if res["redirect_url"] != "/login/mfa" {
			t.Errorf("%s from pre-auth: %v", p, res)
		}
		expect(t, c.mfaPage(p, url.Values{"format": {"html"}}), http.StatusSeeOther, "/login/mfa")
	}
	for _, p := range []string{"/account/backup-codes", "/account/authenticator/remove"} {
		expect(t, c.get(p), http.StatusSeeOther, "/login/mfa")
	}
	if _, ok := h.device("ada@example.com"); !ok {
		t.Fatal("the pending device went away")
	}

	// Anonymous: 401 everywhere, or the login page for a form.
	anon := h.client()
	for _, p := range []string{pathGenerateTOTP, pathConfirmTOTP, pathRemoveTOTP, pathBackupCodes, pathValidateTOTP} {
		res := expectJSON(t, anon.post(p, nil), http.StatusUnauthorized)
		if res["redirect_url"] != "/login" {
			t.Errorf("%s anonymous: %v", p, res)
		}
	}
	expect(t, anon.mfaPage(pathValidateTOTP, url.Values{"totp_code": {"123456"}}), http.StatusSeeOther, "/login")
	expect(t, anon.post(pathLoginBackup, url.Values{"code": {"aaaa-bbbb-cccc"}}), http.StatusSeeOther, "/login")
	expect(t, anon.get("/login/mfa/totp"), http.StatusSeeOther, "/login")

	// Signed in: the pre-auth endpoints are over.
	h.clock.Advance(time.Minute)
	s := h.client()
	expect(t, s.signIn("ada@example.com", phoneAE164, ""), http.StatusSeeOther, "/dashboard")
	res = expectJSON(t, s.post(pathValidateTOTP, url.Values{"totp_code": {"123456"}}), http.StatusForbidden)
	if res["redirect_url"] != "/dashboard" {
		t.Errorf("validate when signed in: %v", res)
	}
	expect(t, s.post(pathLoginBackup, url.Values{"code": {"aaaa-bbbb-cccc"}}), http.StatusSeeOther, "/dashboard")
	expect(t, s.get("/login/mfa/totp"), http.StatusSeeOther, "/dashboard")
}

func TestRemoveTOTPDevice(t *testing.T) {
	onEachBackend(t, func(t *testing.T, h *harness) {
		c := h.totpSession("ada@example.com", h.totpMember("ada@example.com"))
		contains(t, c.get("/dashboard").body, "Verified with Authenticator app")
		r := c.post(pathRemoveTOTP, nil)
		res := expectJSON(t, r, http.StatusOK)
		jsonHeaders(t, r)
		if len(res) != 1 || res["success"] != true {
			t.Fatalf("remove: %v", res)
		}
		if _, ok := h.device("ada@example.com"); ok {
			t.Fatal("device kept")
		}
		// Still signed in, re-stamped with SMS; the card is back to Not set up.
		contains(t, c.get("/dashboard").body, "Verified with SMS code")
		contains(t, c.get("/account").body, `data-state="off"`, "Not set up", "Enable")
		// Removing again is no error.
		expectJSON(t, c.post(pathRemoveTOTP, nil), http.StatusOK)
		// A session signed in with SMS keeps its stamp.
		c.enrollTOTP()
		expect(t, c.post("/logout", nil), http.StatusSeeOther, "/login")
		h.clock.Advance(time.Minute)
		s := h.client()
		expect(t, s.signIn("ada@example.com", phoneAE164, ""), http.StatusSeeOther, "/dashboard")
		expectJSON(t, s.post(pathRemoveTOTP, nil), http.StatusOK)
		contains(t, s.get("/dashboard").body, "Verified with SMS code")
	})
}

// The provider failing a removal: 503 and the device kept (the Twilio
// backend, whose emulator can fail a call; the embedded engine cannot fail).
func TestRemoveTOTPDeviceProviderDown(t *testing.T) {
	h := newHarness(t, onBackend(backendTwilio))
	c := h.totpSession("ada@example.com", h.totpMember("ada@example.com"))
	h.emu.ErrorNext("DELETE /Factors/", 20003, 401)
	r := c.post(pathRemoveTOTP, nil)
	res := expectJSON(t, r, http.StatusServiceUnavailable)
	jsonHeaders(t, r)
	if res["error"] != "The verification service is unavailable. Please try again in a minute." {
		t.Errorf("503: %v", res)
	}
	if d, ok := h.device("ada@example.com"); !ok || !d.Confirmed {
		t.Fatal("device lost after a failed removal")
	}
	contains(t, c.get("/dashboard").body, "Verified with Authenticator app")
	contains(t, c.get("/account").body, `data-state="on"`)
	// As a page without JavaScript: 503 on the account page.
	h.emu.ErrorNext("DELETE /Factors/", 20003, 401)
	r = c.mfaPage(pathRemoveTOTP, url.Values{"format": {"html"}})
	expect(t, r, http.StatusServiceUnavailable, "")
	contains(t, r.body, "The verification service is unavailable.", "Authenticator App Active")
	expectJSON(t, c.post(pathRemoveTOTP, nil), http.StatusOK)
}

func TestBackupCodes(t *testing.T) {
	h := newHarness(t)
	c := h.member("ada@example.com")
	r := c.get("/account")
	contains(t, r.body, "Backup codes", "None yet", `href="/account/backup-codes"`, "Generate backup codes",
		"You get 10 codes.")
	if strings.Contains(r.body, "A new set invalidates the old one") {
		t.Error("the first set warns that it replaces an old one")
	}
	r = c.post(pathBackupCodes, nil)
	res := expectJSON(t, r, http.StatusOK)
	jsonHeaders(t, r)
	codes := backupCodes(t, res)
	for _, code := range codes {
		if !regexp.MustCompile(`^[0-9a-z]{4}-[0-9a-z]{4}-[0-9a-z]{4}$`).MatchString(code) {
			t.Fatalf("code %q", code)
		}
	}
	contains(t, c.get("/account").body, "10 codes left", "A new set invalidates the old one")
	expect(t, c.post("/logout", nil), http.StatusSeeOther, "/login")

	p := h.pendingLogin("ada@example.com", "/account")
	r = p.get("/login/mfa")
	smsAt, backupAt := strings.Index(r.body, `action="/login/mfa/sms"`), strings.Index(r.body, `href="/login/mfa/backup"`)
	if smsAt < 0 || backupAt < smsAt {
		t.Fatalf("SMS at %d, backup at %d", smsAt, backupAt)
	}
	contains(t, r.body, "Use a backup code")
	r = p.get("/login/mfa/backup")
	expect(t, r, http.StatusOK, "")
	contains(t, r.body, `action="/login/mfa/backup"`, `name="code"`)
	if m := inlineCode(r.body); m != "" {
		t.Errorf("inline code %q", m)
	}
	r = p.post(pathLoginBackup, url.Values{"code": {"aaaa-bbbb-cccc"}})
	expect(t, r, http.StatusUnprocessableEntity, "")
	contains(t, r.body, "That code is not correct.", `aria-invalid="true"`)
	before := p.token()
	sends := h.sends()
	// Typed in capitals, without dashes: it still works, once.
	expect(t, p.post(pathLoginBackup, url.Values{"code": {strings.ToUpper(strings.ReplaceAll(codes[0], "-", ""))}}),
		http.StatusSeeOther, "/account")
	if p.token() == before {
		t.Fatal("session token not renewed after the backup code")
	}
	if h.sends() != sends {
		t.Error("an SMS was sent")
	}
	contains(t, p.get("/dashboard").body, "Verified with backup code")
	contains(t, p.get("/account").body, "9 codes left")

	q := h.pendingLogin("ada@example.com", "")
	r = q.post(pathLoginBackup, url.Values{"code": {codes[0]}})
	expect(t, r, http.StatusUnprocessableEntity, "")
	contains(t, r.body, "That backup code was already used.")
	// JSON in, JSON out. A used code says so; an unknown one is wrong.
	r = q.mfaPost(pathLoginBackup, "application/json", `{"code":"`+codes[0]+`"}`)
	res = expectJSON(t, r, http.StatusUnprocessableEntity)
	if res["error"] != "That backup code was already used. Each code works once: try another one." {
		t.Errorf("reused code as JSON: %v", res)
	}
	res = expectJSON(t, q.mfaPost(pathLoginBackup, "application/json", `{"code":"zzzz-zzzz-zzzz"}`), http.StatusUnprocessableEntity)
	if !strings.HasPrefix(res["error"].(string), "That code is not correct. Check the code and try again.") {
		t.Errorf("unknown code as JSON: %v", res)
	}
	res = expectJSON(t, q.mfaPost(pathLoginBackup, "application/json", `{"code":"`+codes[1]+`"}`), http.StatusOK)
	if res["success"] != true || res["redirect_url"] != "/dashboard" {
		t.Fatalf("backup code as JSON: %v", res)
	}

	// A new set voids the old one.
	fresh := backupCodes(t, expectJSON(t, q.post(pathBackupCodes, nil), http.StatusOK))
	contains(t, q.get("/account").body, "10 codes left")
	z := h.pendingLogin("ada@example.com", "")
	expect(t, z.post(pathLoginBackup, url.Values{"code": {codes[2]}}), http.StatusUnprocessableEntity, "")
	expect(t, z.post(pathLoginBackup, url.Values{"code": {fresh[0]}}), http.StatusSeeOther, "/dashboard")
}

// Without JavaScript: the login TOTP page, backup codes and even the
// enrollment and removal work as plain forms.
func TestMFAWithoutJavaScript(t *testing.T) {
	h := newHarness(t)
	c := h.member("ada@example.com")

	// Enrollment: the QR code is drawn in the page.
	r := c.mfaPage(pathGenerateTOTP, url.Values{"format": {"html"}})
	expect(t, r, http.StatusOK, "")
	contains(t, r.body, `src="data:image/png;base64,`, `action="/confirm-totp-enrollment/"`)
	if m := inlineCode(r.body); m != "" {
		t.Errorf("inline code %q", m)
	}
	m := regexp.MustCompile(`data-qr-secret>([A-Z2-7 ]+)</code>`).FindStringSubmatch(r.body)
	if m == nil || !regexp.MustCompile(`^([A-Z2-7]{4} ){7}[A-Z2-7]{4}$`).MatchString(m[1]) {
		t.Fatalf("no secret in groups of four: %v", m)
	}
	secret := strings.ReplaceAll(m[1], " ", "")
	r = c.mfaPage(pathConfirmTOTP, url.Values{"code": {otherCode(h.totpCode(secret))}, "format": {"html"}})
	expect(t, r, http.StatusUnprocessableEntity, "")
	contains(t, r.body, "That code is not correct. Check the code and try again.", `aria-invalid="true"`)
	expect(t, c.mfaPage(pathConfirmTOTP, url.Values{"code": {h.totpCode(secret)}}), http.StatusSeeOther, "/account#backup-codes")
	contains(t, c.get("/account").body, "Your authenticator app is set up.", "Authenticator App Active")

	// Backup codes: a warning page, then the codes.
	r = c.get("/account/backup-codes")
	expect(t, r, http.StatusOK, "")
	contains(t, r.body, "You get 10 codes.", `action="/generate-backup-codes/"`, `href="/account"`)
	r = c.mfaPage(pathBackupCodes, url.Values{"format": {"html"}})
	expect(t, r, http.StatusOK, "")
	codes := regexp.MustCompile(`<li><code>([0-9a-z-]{14})</code></li>`).FindAllStringSubmatch(r.body, -1)
	if len(codes) != 10 {
		t.Fatalf("%d codes in the page", len(codes))
	}
	contains(t, r.body, "shown only once", "data-backup-copy", "data-backup-download")
	if m := inlineCode(r.body); m != "" {
		t.Errorf("inline code %q", m)
	}
	expect(t, c.post("/logout", nil), http.StatusSeeOther, "/login")

	// Sign in with the authenticator, as a plain form.
	h.clock.Advance(30 * time.Second)
	p := h.pendingLogin("ada@example.com", "/account")
	r = p.mfaPage(pathValidateTOTP, url.Values{"totp_code": {otherCode(h.totpCode(secret))}, "format": {"html"}})
	expect(t, r, http.StatusUnprocessableEntity, "")
	contains(t, r.body, "That code is not correct.", `id="totp_code-error"`, `aria-invalid="true"`, "Use a backup code")
	if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
		t.Errorf("Content-Type %q", ct)
	}
	before := p.token()
	expect(t, p.mfaPage(pathValidateTOTP, url.Values{"totp_code": {h.totpCode(secret)}, "format": {"html"}}),
		http.StatusSeeOther, "/account")
	if p.token() == before {
		t.Fatal("token not renewed")
	}

	// Remove: a confirmation page, then the form.
	r = p.get("/account/authenticator/remove")
	expect(t, r, http.StatusOK, "")
	contains(t, r.body, "Remove authenticator app?", "Yes, remove it", `href="/account"`)
	expect(t, p.mfaPage(pathRemoveTOTP, url.Values{"format": {"html"}}), http.StatusSeeOther, "/account")
	r = p.get("/account")
	contains(t, r.body, "Your authenticator app has been removed.", `data-state="off"`, "Verified with <span data-session-method>SMS code</span>")
	expect(t, p.get("/account/authenticator/remove"), http.StatusSeeOther, "/account")
}

// The JSON endpoints sit behind the same cross-origin protection and body
// limit as every other POST and refuse malformed bodies cleanly.
func TestMFAEndpointsRequestHygiene(t *testing.T) {
	h := newHarness(t)
	c := h.member("ada@example.com")
	for _, p := range []string{pathGenerateTOTP, pathConfirmTOTP, pathRemoveTOTP, pathBackupCodes, pathValidateTOTP, pathLoginBackup} {
		for _, hdr := range [][]string{{"Sec-Fetch-Site", "cross-site"}, {"Origin", "https://evil.example"}} {
			r := c.mfaPost(p, "application/x-www-form-urlencoded", "code=123456", hdr...)
			expect(t, r, http.StatusForbidden, "")
			checkHeaders(t, r, false)
		}
		big := "code=" + strings.Repeat("1", 65<<10)
		expect(t, c.mfaPost(p, "application/x-www-form-urlencoded", big), http.StatusRequestEntityTooLarge, "")
	}
	if _, ok := h.device("ada@example.com"); ok {
		t.Fatal("a refused request created a device")
	}
	// A body without a length is limited while reading.
	req, _ := http.NewRequest(http.MethodPost, h.srv.URL+pathConfirmTOTP, strings.NewReader(`{"code":"`+strings.Repeat("1", 65<<10)+`"}`))
	req.ContentLength = -1
	req.Header.Set("Content-Type", "application/json")
	expectJSON(t, c.do(req), http.StatusRequestEntityTooLarge)

	for _, tc := range []struct {
		ctype, body string
		status      int
	}{
		{"application/x-www-form-urlencoded", "code=1&code=2", http.StatusBadRequest},
		{"application/x-www-form-urlencoded", "code=%zz", http.StatusBadRequest},
		{"application/json", `{"code":123456}`, http.StatusBadRequest},
		{"application/json", `["123456"]`, http.StatusBadRequest},
		{"application/json", `{"code":`, http.StatusBadRequest},
		{"text/plain", "code=123456", http.StatusUnsupportedMediaType},
		{"", "code=123456", http.StatusUnsupportedMediaType},
	} {
		r := c.mfaPost(pathConfirmTOTP, tc.ctype, tc.body)
		res := expectJSON(t, r, tc.status)
		if s, _ := res["error"].(string); s == "" {
			t.Errorf("%s %q: no error in %v", tc.ctype, tc.body, res)
		}
	}
	// State never changes on GET.
	for _, p := range []string{pathGenerateTOTP, pathConfirmTOTP, pathRemoveTOTP, pathBackupCodes, pathValidateTOTP} {
		expect(t, c.get(p), http.StatusMethodNotAllowed, "")
	}
}

// The account page in each state of the card, and the new pages, carry no
// inline code and load the card's script.
func TestAuthenticatorPagesHaveNoInlineCode(t *testing.T) {
	h := newHarness(t)
	c := h.member("ada@example.com")
	check := func(p string) string {
		t.Helper()
		r := c.get(p)
		expect(t, r, http.StatusOK, "")
		checkHeaders(t, r, false)
		if m := inlineCode(r.body); m != "" {
			t.Errorf("%s: inline code %q", p, m)
		}
		return r.body
	}
	body := check("/account")
	contains(t, body, `data-state="off"`, `<script src="/static/js/mfa.js?v=`, "Not set up", "Enable", "Authenticator App",
		`action="/generate-totp-factor/"`, "QR code", "Reveal QR Code", "Remove authenticator app?", "Yes, remove it", "Cancel")
	c.enrollTOTP()
	check("/account")
	check("/account/authenticator/remove")
	check("/account/backup-codes")
	expect(t, h.client().get("/static/js/mfa.js"), http.StatusOK, "")
}

// TestValidateTOTPCodeClockDrift: on the embedded engine, a code from a
// device whose clock is minutes off is refused with a hint to sync it.
func TestValidateTOTPCodeClockDrift(t *testing.T) {
	h := newHarness(t)
	secret := h.totpMember("ada@example.com")
	c := h.client()
	expect(t, c.passwordStep("ada@example.com", testPassword, ""), http.StatusSeeOther, "/login/mfa")
	behind, err := totp.GenerateCode(secret, h.clock.Now().Add(-2*time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	res := expectJSON(t, c.post(pathValidateTOTP, url.Values{"totp_code": {behind}}), http.StatusBadRequest)
	msg, _ := res["error"].(string)
	if !strings.Contains(msg, "clock appears to be behind by about 120 seconds") || !strings.Contains(msg, "automatic date and time") {
		t.Fatalf("no clock hint: %q", msg)
	}
}
