package web

import (
	"errors"
	"net/http"

	"gatehouse/internal/auth"
)

// removePage serves GET /account/authenticator/remove: the confirmation
// of a removal for browsers without JavaScript (the script asks inline).
func (s *server) removePage(w http.ResponseWriter, r *http.Request, v visitor) {
	vw, err := s.accountView(r.Context(), v, "Remove authenticator app?")
	switch {
	case err != nil:
		s.fail(w, r, err, step{})
	case !vw.MFA.TOTP:
		http.Redirect(w, r, "/account", http.StatusSeeOther)
	default:
		s.render(w, r, http.StatusOK, "account_totp_remove", vw)
	}
}

// removeTOTP serves POST /remove-totp-device/. The factor is deleted at the
// provider, then the device; when the provider fails the device stays (503)
// so the member can retry. A session verified by the authenticator is
// re-stamped with SMS, which keeps protecting the account.
func (s *server) removeTOTP(w http.ResponseWriter, r *http.Request, v visitor, in apiInput) {
	ctx := r.Context()
	if err := s.auth.RemoveTOTP(ctx, v.userID); err != nil && !errors.Is(err, auth.ErrNoDevice) {
		s.fail(w, r, err, s.accountAction(ctx, v))
		return
	}
	s.sessions.Remove(ctx, keyTOTPFactor)
	// Devices remembered while the authenticator protected the account
	// must pass a second factor again.
	// A retry is safe: a removed authenticator is no error above.
	if err := s.auth.ForgetAllDevices(ctx, v.userID); err != nil {
		s.fail(w, r, err, s.accountAction(ctx, v))
		return
	}
	if v.method == auth.MethodTOTP {
		s.sessions.Put(ctx, keyMethod, auth.MethodSMS)
	}
	if !in.html {
		writeJSON(w, http.StatusOK, map[string]any{"success": true})
		return
	}
	s.sessions.Put(ctx, keyFlash, "Your authenticator app has been removed. SMS codes keep protecting your account.")
	http.Redirect(w, r, "/account", http.StatusSeeOther)
}
