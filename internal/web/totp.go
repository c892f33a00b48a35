package web

import (
	"encoding/base64"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/skip2/go-qrcode"

	"gatehouse/internal/auth"
)

// The authenticator app (TOTP) and backup-code flows: enrollment, removal
// and backup codes in Account settings, and the two second factors at
// sign-in. The endpoints of the HTTP contract answer JSON for the page's
// script and pages for plain form posts (see api.go).

// mfaScript is the script of the pages of these flows.
const mfaScript = "js/mfa.js"

// enrollView is the new authenticator shown on the page without JavaScript.
type enrollView struct {
	QR     template.URL // data:image/png;base64 URL, made on the server
	Secret string       // base32, in groups of four
}

// groupSecret writes a base32 secret in groups of four for typing by hand.
func groupSecret(secret string) string {
	var b strings.Builder
	for i, r := range secret {
		if i > 0 && i%4 == 0 {
			b.WriteByte(' ')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// qrDataURL draws an otpauth URI as a PNG QR code in a data: URL.
func qrDataURL(uri string) (string, error) {
	png, err := qrcode.Encode(uri, qrcode.Medium, 256)
	if err != nil {
		return "", fmt.Errorf("web: qr code: %w", err)
	}
	return "data:image/png;base64," + base64.StdEncoding.EncodeToString(png), nil
}

// accountView is the account page's view: the member and their second
// factors.
func (s *server) accountView(w http.ResponseWriter, r *http.Request, v visitor, title string) (*view, bool) {
	vw, ok := s.memberView(w, r, v, title)
	if !ok {
		return nil, false
	}
	st, err := s.auth.Status(r.Context(), v.userID)
	if err != nil {
		s.serverError(w, r, err)
		return nil, false
	}
	vw.MFA = st
	vw.Scripts = []string{mfaScript}
	return vw, true
}

// pageFail re-renders a page of these flows after the domain refused a
// step: a wrong or malformed code goes next to field with 422, anything
// else at the top of the page with its status.
func (s *server) pageFail(w http.ResponseWriter, r *http.Request, page string, vw *view, field string, err error) {
	status, msg, retry, ok := classify(err)
	if !ok {
		s.serverError(w, r, err)
		return
	}
	if retry > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(int((retry+time.Second-1)/time.Second)))
	}
	if status == http.StatusBadRequest {
		status = http.StatusUnprocessableEntity
		vw.Fields[field] = msg
	} else {
		vw.Error = msg
	}
	if status == http.StatusServiceUnavailable {
		s.log.Warn("step failed: provider unavailable", "path", r.URL.Path, "err", err)
	}
	s.render(w, r, status, page, vw)
}

// generateTOTP serves POST /generate-totp-factor/: a new authenticator
// factor for a member whose SMS verification is on. Only its SID is kept,
// in the session; the secret and QR code go to the browser once.
func (s *server) generateTOTP(w http.ResponseWriter, r *http.Request, v visitor, in apiInput) {
	ctx := r.Context()
	e, err := s.auth.StartTOTPEnrollment(ctx, v.userID)
	if err != nil {
		if in.html {
			s.accountFailed(w, r, v, err)
			return
		}
		s.apiFail(w, r, err, nil)
		return
	}
	qr, err := qrDataURL(e.URI)
	if err != nil {
		s.apiFail(w, r, err, nil)
		return
	}
	s.sessions.Put(ctx, keyTOTPFactor, e.FactorSID)
	if in.html {
		vw, ok := s.accountView(w, r, v, "Set up an authenticator app")
		if !ok {
			return
		}
		vw.Enroll = &enrollView{QR: template.URL(qr), Secret: groupSecret(e.Secret)}
		s.render(w, r, http.StatusOK, "account_totp", vw)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"uri": e.URI, "qr": qr, "secret": e.Secret, "expires_at": e.ExpiresAt.UTC().Format(time.RFC3339),
	})
}

// accountFailed answers a refused account action posted as a plain form:
// back to Account settings with the reason, or the 503 page for an outage.
func (s *server) accountFailed(w http.ResponseWriter, r *http.Request, v visitor, err error) {
	status, msg, _, ok := classify(err)
	switch {
	case !ok:
		s.serverError(w, r, err)
	case status == http.StatusServiceUnavailable:
		vw, ok := s.accountView(w, r, v, "Account settings")
		if !ok {
			return
		}
		s.pageFail(w, r, "account", vw, "", err)
	default:
		s.restart(w, r, "/account", msg)
	}
}

// enrollmentEnds reports whether err means the pending factor is gone, so
// the member must click Enable again.
func enrollmentEnds(err error) bool {
	return errors.Is(err, auth.ErrStepExpired) || errors.Is(err, auth.ErrEnrollmentLocked) ||
		errors.Is(err, auth.ErrDeviceExists)
}

// confirmTOTP serves POST /confirm-totp-enrollment/: the first code of the
// pending factor confirms it. A wrong code keeps the factor, so the member
// simply tries again; a right one stamps the session with the authenticator.
func (s *server) confirmTOTP(w http.ResponseWriter, r *http.Request, v visitor, in apiInput) {
	ctx := r.Context()
	sid := s.sessions.GetString(ctx, keyTOTPFactor)
	err := s.auth.ConfirmTOTPEnrollment(ctx, v.userID, sid, in.get("code"))
	switch {
	case err == nil:
		s.sessions.Remove(ctx, keyTOTPFactor)
		s.sessions.Put(ctx, keyMethod, auth.MethodTOTP)
		if in.html {
			s.sessions.Put(ctx, keyFlash, "Your authenticator app is set up. Now create backup codes, in case you lose your phone.")
			http.Redirect(w, r, "/account#backup-codes", http.StatusSeeOther)
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"success": true})
	case enrollmentEnds(err):
		s.sessions.Remove(ctx, keyTOTPFactor)
		if in.html {
			s.accountFailed(w, r, v, err)
			return
		}
		s.apiFail(w, r, err, map[string]any{"restart": true})
	case in.html:
		vw, ok := s.accountView(w, r, v, "Set up an authenticator app")
		if !ok {
			return
		}
		s.pageFail(w, r, "account_totp", vw, "code", err)
	default:
		s.apiFail(w, r, err, nil)
	}
}

// removePage serves GET /account/authenticator/remove: the confirmation
// of a removal for browsers without JavaScript (the script asks inline).
func (s *server) removePage(w http.ResponseWriter, r *http.Request, v visitor) {
	vw, ok := s.accountView(w, r, v, "Remove authenticator app?")
	if !ok {
		return
	}
	if !vw.MFA.TOTP {
		http.Redirect(w, r, "/account", http.StatusSeeOther)
		return
	}
	s.render(w, r, http.StatusOK, "account_totp_remove", vw)
}

// removeTOTP serves POST /remove-totp-device/. The factor is deleted at the
// provider, then the device; when the provider fails the device stays (503)
// so the member can retry. A session verified by the authenticator is
// re-stamped with SMS, which keeps protecting the account.
func (s *server) removeTOTP(w http.ResponseWriter, r *http.Request, v visitor, in apiInput) {
	ctx := r.Context()
	err := s.auth.RemoveTOTP(ctx, v.userID)
	if err != nil && !errors.Is(err, auth.ErrNoDevice) {
		if in.html {
			s.accountFailed(w, r, v, err)
			return
		}
		s.apiFail(w, r, err, nil)
		return
	}
	s.sessions.Remove(ctx, keyTOTPFactor)
	if v.method == auth.MethodTOTP {
		s.sessions.Put(ctx, keyMethod, auth.MethodSMS)
	}
	if in.html {
		s.sessions.Put(ctx, keyFlash, "Your authenticator app has been removed. SMS codes keep protecting your account.")
		http.Redirect(w, r, "/account", http.StatusSeeOther)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"success": true})
}

// backupCodesPage serves GET /account/backup-codes: the warning and the
// confirmation before a new set, for browsers without JavaScript.
func (s *server) backupCodesPage(w http.ResponseWriter, r *http.Request, v visitor) {
	vw, ok := s.accountView(w, r, v, "Backup codes")
	if !ok {
		return
	}
	s.render(w, r, http.StatusOK, "account_backup_codes", vw)
}

// generateBackupCodes serves POST /generate-backup-codes/: a new set of 10
// replaces the old one, shown this once.
func (s *server) generateBackupCodes(w http.ResponseWriter, r *http.Request, v visitor, in apiInput) {
	codes, err := s.auth.GenerateBackupCodes(r.Context(), v.userID)
	if err != nil {
		if in.html {
			s.accountFailed(w, r, v, err)
			return
		}
		s.apiFail(w, r, err, nil)
		return
	}
	if !in.html {
		writeJSON(w, http.StatusOK, map[string]any{"codes": codes})
		return
	}
	vw, ok := s.accountView(w, r, v, "Your backup codes")
	if !ok {
		return
	}
	vw.Codes = codes
	s.render(w, r, http.StatusOK, "account_backup_codes", vw)
}

// secondFactorPage loads a pre-auth login for one of the second-factor
// pages; offered says whether the factor is available to the account.
func (s *server) secondFactorPage(w http.ResponseWriter, r *http.Request, v visitor, title string,
	offered func(auth.LoginState) bool) (*view, bool) {
	st, err := s.auth.Pending(r.Context(), v.pre)
	if err != nil {
		s.endLogin(w, r, err)
		return nil, false
	}
	if !offered(st) {
		http.Redirect(w, r, "/login/mfa", http.StatusSeeOther)
		return nil, false
	}
	vw := newView(title)
	vw.HasTOTP, vw.BackupCodes = st.HasTOTP, st.BackupCodes
	vw.Scripts = []string{mfaScript}
	return vw, true
}

func hasTOTP(st auth.LoginState) bool        { return st.HasTOTP }
func hasBackupCodes(st auth.LoginState) bool { return st.BackupCodes > 0 }

// totpPage serves GET /login/mfa/totp: only logins whose account has a
// confirmed authenticator reach it. Nothing is sent.
func (s *server) totpPage(w http.ResponseWriter, r *http.Request, v visitor) {
	if vw, ok := s.secondFactorPage(w, r, v, "Enter your authenticator code", hasTOTP); ok {
		s.render(w, r, http.StatusOK, "login_mfa_totp", vw)
	}
}

// backupPage serves GET /login/mfa/backup.
func (s *server) backupPage(w http.ResponseWriter, r *http.Request, v visitor) {
	if vw, ok := s.secondFactorPage(w, r, v, "Use a backup code", hasBackupCodes); ok {
		s.render(w, r, http.StatusOK, "login_mfa_backup", vw)
	}
}

// validateTOTP serves POST /validate-totp-code/: an authenticator code
// completes the sign-in exactly as an SMS code does.
func (s *server) validateTOTP(w http.ResponseWriter, r *http.Request, v visitor, in apiInput) {
	ctx := r.Context()
	u, err := s.auth.CheckLoginTOTP(ctx, v.pre, in.get("totp_code"), ipOf(ctx))
	if err != nil {
		s.secondFactorFailed(w, r, v, in, err, secondFactorForm{
			page: "login_mfa_totp", title: "Enter your authenticator code", field: "totp_code", wrong: http.StatusBadRequest,
		})
		return
	}
	s.secondFactorPassed(w, r, in, u.ID, auth.MethodTOTP)
}

// backupLogin serves POST /login/mfa/backup: a backup code completes the
// sign-in once.
func (s *server) backupLogin(w http.ResponseWriter, r *http.Request, v visitor, in apiInput) {
	u, err := s.auth.CheckLoginBackup(r.Context(), v.pre, in.get("code"))
	if err != nil {
		s.secondFactorFailed(w, r, v, in, err, secondFactorForm{
			page: "login_mfa_backup", title: "Use a backup code", field: "code", wrong: http.StatusUnprocessableEntity,
		})
		return
	}
	s.secondFactorPassed(w, r, in, u.ID, auth.MethodBackup)
}

// secondFactorPassed signs the visitor in (see completeLogin) and sends
// them on: a redirect for a form post, the URL in JSON for the script.
func (s *server) secondFactorPassed(w http.ResponseWriter, r *http.Request, in apiInput, userID, method string) {
	to, err := s.completeLogin(r.Context(), userID, method)
	switch {
	case err != nil && in.html:
		s.serverError(w, r, err)
	case err != nil:
		s.apiFail(w, r, err, nil)
	case in.html:
		http.Redirect(w, r, to, http.StatusSeeOther)
	default:
		writeJSON(w, http.StatusOK, map[string]any{"success": true, "redirect_url": to})
	}
}

// secondFactorForm describes the page of a second factor and how its JSON
// answers a wrong code.
type secondFactorForm struct {
	page, title, field string
	wrong              int // status of a wrong or malformed code in JSON
}

// secondFactorFailed answers a refused second factor. A login that cannot
// go on (expired, too many wrong codes) is dropped and the visitor sent to
// the password step with the reason; a factor the account lacks sends
// them back to the method chooser; anything else stays on the page.
func (s *server) secondFactorFailed(w http.ResponseWriter, r *http.Request, v visitor, in apiInput, err error, f secondFactorForm) {
	ctx := r.Context()
	switch {
	case restarts(err):
		if in.html {
			s.endLogin(w, r, err)
			return
		}
		s.dropPreAuth(ctx)
		s.sessions.Put(ctx, keyFlashError, auth.Message(err))
		status := http.StatusBadRequest
		if errors.Is(err, auth.ErrStepExpired) {
			status = http.StatusUnauthorized
		}
		writeJSON(w, status, map[string]any{"error": auth.Message(err), "redirect_url": "/login"})
	case errors.Is(err, auth.ErrNoDevice) && in.html:
		http.Redirect(w, r, "/login/mfa", http.StatusSeeOther)
	case errors.Is(err, auth.ErrNoDevice):
		writeJSON(w, http.StatusBadRequest, map[string]any{"error": auth.Message(err), "redirect_url": "/login/mfa"})
	case in.html:
		st, perr := s.auth.Pending(ctx, v.pre)
		if perr != nil {
			s.endLogin(w, r, perr)
			return
		}
		vw := newView(f.title)
		vw.HasTOTP, vw.BackupCodes = st.HasTOTP, st.BackupCodes
		vw.Scripts = []string{mfaScript}
		s.pageFail(w, r, f.page, vw, f.field, err)
	default:
		if status, msg, _, ok := classify(err); ok && status == http.StatusBadRequest {
			writeJSON(w, f.wrong, map[string]any{"error": msg})
			return
		}
		s.apiFail(w, r, err, nil)
	}
}
