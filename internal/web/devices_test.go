package web_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"gatehouse/internal/auth"
	"gatehouse/internal/web"
)

func withRememberDevice(d time.Duration) func(*setup) {
	return func(s *setup) { s.web = func(o *web.Options) { o.RememberDevice = d } }
}

// deviceCookie returns the remembered-device cookie of c's jar, "" when none.
func (c *client) deviceCookie() string {
	u, _ := url.Parse(c.h.srv.URL)
	for _, ck := range c.hc.Jar.Cookies(u) {
		if ck.Name == web.DeviceCookie {
			return ck.Value
		}
	}
	return ""
}

// TestRememberDevice: a second factor passed with remember_device=1 sets
// the device cookie; a later sign-in on that browser needs the password
// but not the second factor, until the device is forgotten; the device
// never counts as a recent second factor, and is bound to its account.
func TestRememberDevice(t *testing.T) {
	h := newHarness(t, withRememberDevice(720*time.Hour))
	c := h.client()
	c.register("ada@example.com", phoneA, phoneAE164)
	h.clock.Advance(time.Minute)
	expect(t, c.passwordStep("ada@example.com", testPassword, ""), http.StatusSeeOther, "/login/mfa")
	expect(t, c.post("/login/mfa/sms", nil), http.StatusSeeOther, "/login/mfa/code")
	contains(t, c.get("/login/mfa/code").body, `name="remember_device" value="1"`, "Don't ask again on this device for 30 days")
	r := c.post("/login/mfa/code", url.Values{"code": {h.code(phoneAE164)}, "remember_device": {"1"}})
	expect(t, r, http.StatusSeeOther, "/dashboard")
	var set *http.Cookie
	for _, ck := range (&http.Response{Header: r.header}).Cookies() {
		if ck.Name == web.DeviceCookie {
			set = ck
		}
	}
	if set == nil || !set.HttpOnly || set.SameSite != http.SameSiteLaxMode || len(set.Value) < 22 || set.MaxAge < 29*24*3600 {
		t.Fatalf("device cookie = %+v", set)
	}
	// Only its hash is stored.
	var n int
	if err := h.db.SQL().QueryRowContext(context.Background(),
		`SELECT COUNT(*) FROM remembered_devices WHERE token_hash = ? OR token_hash = ?`, set.Value, set.Value).Scan(&n); err != nil || n != 0 {
		t.Fatalf("token stored in the clear: %d, %v", n, err)
	}
	contains(t, c.get("/account").body, "Remembered devices", "Forget all devices", "Go HTTP client")

	// Signed out and back: the password, then straight in.
	expect(t, c.post("/logout", nil), http.StatusSeeOther, "/login")
	expect(t, c.passwordStep("ada@example.com", testPassword, "/account"), http.StatusSeeOther, "/account")
	contains(t, c.get("/dashboard").body, "Verified with remembered device")
	// A remembered device is no recent second factor.
	expect(t, c.post("/account/sessions/revoke", url.Values{"all": {"others"}}), http.StatusSeeOther, "/account/sessions")
	contains(t, c.get("/account/sessions").body, "Confirm it's you:")
	// A wrong password still fails.
	expect(t, c.post("/logout", nil), http.StatusSeeOther, "/login")
	expect(t, c.passwordStep("ada@example.com", "wrong password!", ""), http.StatusUnauthorized, "")

	// Another account on the same browser still needs its second factor.
	b := h.client()
	b.register("bob@example.com", phoneB, phoneBE164)
	u, _ := url.Parse(h.srv.URL)
	b.hc.Jar.SetCookies(u, []*http.Cookie{{Name: web.DeviceCookie, Value: c.deviceCookie(), Path: "/"}})
	h.clock.Advance(time.Minute)
	expect(t, b.signIn("bob@example.com", phoneBE164, ""), http.StatusSeeOther, "/dashboard")
	expect(t, b.post("/logout", nil), http.StatusSeeOther, "/login")
	expect(t, b.passwordStep("bob@example.com", testPassword, ""), http.StatusSeeOther, "/login/mfa")

	// Forget it: the second factor is due again.
	expect(t, c.passwordStep("ada@example.com", testPassword, ""), http.StatusSeeOther, "/dashboard")
	expect(t, c.post("/account/devices/forget", url.Values{"all": {"1"}}), http.StatusSeeOther, "/account")
	contains(t, c.get("/account").body, "No remembered devices")
	expect(t, c.post("/logout", nil), http.StatusSeeOther, "/login")
	expect(t, c.passwordStep("ada@example.com", testPassword, ""), http.StatusSeeOther, "/login/mfa")

	acct, err := h.auth.AccountByEmail(context.Background(), "ada@example.com")
	if err != nil {
		t.Fatal(err)
	}
	events, err := h.auth.RecentActivity(context.Background(), acct.ID, 0)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range events {
		got = append(got, e.Event)
	}
	all := strings.Join(got, " ")
	for _, want := range []string{auth.EventSignIn, auth.EventDeviceRemembered, auth.EventDeviceForgotten, auth.EventSignInFailed} {
		if !strings.Contains(all, want) {
			t.Errorf("activity %v lacks %s", got, want)
		}
	}
}

// TestRememberDeviceTOTPAndRemoval: the authenticator check accepts
// remember_device too; removing the authenticator forgets every device.
func TestRememberDeviceTOTPAndRemoval(t *testing.T) {
	h := newHarness(t, withRememberDevice(time.Hour))
	c := h.member("ada@example.com")
	secret := c.enrollTOTP()
	expect(t, c.post("/logout", nil), http.StatusSeeOther, "/login")
	h.clock.Advance(30 * time.Second)
	expect(t, c.passwordStep("ada@example.com", testPassword, ""), http.StatusSeeOther, "/login/mfa")
	contains(t, c.get("/login/mfa/totp").body, "Don't ask again on this device for 1 days")
	m := expectJSON(t, c.post("/validate-totp-code/", url.Values{"totp_code": {h.totpCode(secret)}, "remember_device": {"1"}}), http.StatusOK)
	if m["success"] != true || c.deviceCookie() == "" {
		t.Fatalf("totp with remember: %v, cookie %q", m, c.deviceCookie())
	}
	expect(t, c.post("/logout", nil), http.StatusSeeOther, "/login")
	expect(t, c.passwordStep("ada@example.com", testPassword, ""), http.StatusSeeOther, "/dashboard")
	// A remembered device skipped the second factor of the sign-in, never a
	// step-up: removing the authenticator asks for a fresh code first.
	m = expectJSON(t, c.post("/remove-totp-device/", nil), http.StatusForbidden)
	if m["step_up"] != true {
		t.Fatalf("removal from a remembered device without a step-up: %v", m)
	}
	h.clock.Advance(30 * time.Second)
	expect(t, c.post("/account/step-up", url.Values{"method": {"totp"}, "code": {h.totpCode(secret)},
		"next": {"/account"}}), http.StatusSeeOther, "/account")
	expectJSON(t, c.post("/remove-totp-device/", nil), http.StatusOK)
	expect(t, c.post("/logout", nil), http.StatusSeeOther, "/login")
	expect(t, c.passwordStep("ada@example.com", testPassword, ""), http.StatusSeeOther, "/login/mfa")
}

// TestRememberDeviceOff: without the setting the box is not offered and
// the field changes nothing.
func TestRememberDeviceOff(t *testing.T) {
	h := newHarness(t)
	c := h.client()
	c.register("ada@example.com", phoneA, phoneAE164)
	h.clock.Advance(time.Minute)
	expect(t, c.passwordStep("ada@example.com", testPassword, ""), http.StatusSeeOther, "/login/mfa")
	expect(t, c.post("/login/mfa/sms", nil), http.StatusSeeOther, "/login/mfa/code")
	if strings.Contains(c.get("/login/mfa/code").body, "remember_device") {
		t.Fatal("remember box offered while turned off")
	}
	expect(t, c.post("/login/mfa/code", url.Values{"code": {h.code(phoneAE164)}, "remember_device": {"1"}}), http.StatusSeeOther, "/dashboard")
	if c.deviceCookie() != "" {
		t.Fatal("device remembered while turned off")
	}
}

// TestActivityAndDisabled: failures and changes appear in the activity
// list; a disabled account is refused at the password step exactly as a
// wrong password is, and its sessions end.
func TestActivityAndDisabled(t *testing.T) {
	h := newHarness(t)
	c := h.member("ada@example.com")
	x := h.client()
	wrong := x.passwordStep("ada@example.com", "not the password", "")
	expect(t, wrong, http.StatusUnauthorized, "")
	r := c.get("/account")
	contains(t, r.body, "Recent security activity", "Failed sign-in", "Signed in", "SMS code", "See all activity")
	contains(t, c.get("/account/activity").body, "Failed sign-in", "wrong password")

	ctx := context.Background()
	acct, err := h.auth.AccountByEmail(ctx, "ada@example.com")
	if err != nil {
		t.Fatal(err)
	}
	if err := h.auth.SetDisabled(ctx, acct.ID, true); err != nil {
		t.Fatal(err)
	}
	expect(t, c.get("/dashboard"), http.StatusSeeOther, "/login?next=%2Fdashboard")
	refused := x.passwordStep("ada@example.com", testPassword, "")
	expect(t, refused, http.StatusUnauthorized, "")
	if refused.body != wrong.body {
		t.Error("a disabled account answers differently from a wrong password")
	}
	if err := h.auth.SetDisabled(ctx, acct.ID, false); err != nil {
		t.Fatal(err)
	}
	expect(t, x.passwordStep("ada@example.com", testPassword, ""), http.StatusSeeOther, "/login/mfa")
}
