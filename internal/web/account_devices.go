package web

import (
	"context"
	"errors"
	"net/http"
	"time"

	"gatehouse/internal/auth"
)

// DeviceCookie is the name of the remembered-device cookie.
const DeviceCookie = "gatehouse_device"

// rememberDays is the "remember this device" period in whole days, for
// the checkbox; 0 hides it.
func (s *server) rememberDays() int {
	if s.remember <= 0 {
		return 0
	}
	return max(int(s.remember/(24*time.Hour)), 1)
}

// deviceToken returns the remembered-device cookie of r, "" when none.
func deviceToken(r *http.Request) string {
	c, err := r.Cookie(DeviceCookie)
	if err != nil || len(c.Value) > 64 {
		return ""
	}
	return c.Value
}

// rememberDevice remembers the browser for the signed-in account and sets
// its cookie. A failure costs only the convenience: it is logged and the
// sign-in goes on.
func (s *server) rememberDevice(ctx context.Context, w http.ResponseWriter, userID string) {
	if s.remember <= 0 {
		return
	}
	token, err := s.auth.RememberDevice(ctx, userID, s.remember)
	if err != nil {
		s.log.Warn("remember device failed", "user", userID, "err", err)
		return
	}
	http.SetCookie(w, &http.Cookie{
		Name: DeviceCookie, Value: token, Path: "/", MaxAge: int(s.remember / time.Second),
		Expires: s.now().Add(s.remember), HttpOnly: true, Secure: s.secure, SameSite: http.SameSiteLaxMode,
	})
}

// deviceLogin completes a login whose password was just right on a
// remembered device of the account; it reports whether it answered.
func (s *server) deviceLogin(w http.ResponseWriter, r *http.Request, pa auth.PreAuth) bool {
	ctx := r.Context()
	tok := deviceToken(r)
	if tok == "" || s.remember <= 0 || s.sessions.GetBool(ctx, keyNoDevice) {
		return false
	}
	u, ok, err := s.auth.LoginWithDevice(ctx, pa, tok)
	if err != nil {
		s.log.Warn("remembered device check failed", "err", err)
		return false
	}
	if !ok {
		return false
	}
	s.secondFactorPassed(w, r, apiInput{html: true}, u.ID, auth.MethodDevice)
	return true
}

// forgetDevices serves POST /account/devices/forget: id forgets one
// remembered device, all=1 every one of the account.
func (s *server) forgetDevices(w http.ResponseWriter, r *http.Request, v visitor) {
	ctx := r.Context()
	f, ok := s.parseForm(w, r, "id", "all")
	if !ok {
		return
	}
	at := s.accountAction(ctx, v)
	switch {
	case f.get("all") == "1":
		if err := s.auth.ForgetAllDevices(ctx, v.userID); err != nil {
			s.fail(w, r, err, at)
			return
		}
		s.sessions.Put(ctx, keyFlash, "Every remembered device has been forgotten.")
	case f.get("id") != "":
		err := s.auth.ForgetDevice(ctx, v.userID, f.get("id"))
		if err != nil && !errors.Is(err, auth.ErrNoRememberedDevice) {
			s.fail(w, r, err, at)
			return
		}
		s.sessions.Put(ctx, keyFlash, "That device has been forgotten.")
	default:
		s.restart(w, r, "/account", "Choose a device to forget.")
		return
	}
	http.Redirect(w, r, "/account", http.StatusSeeOther)
}
