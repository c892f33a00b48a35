package web

import (
	"context"
	"encoding/base64"
	"fmt"
	"html/template"
	"net/http"
	"strings"
	"time"

	"github.com/skip2/go-qrcode"
)

// Enrollment of an authenticator app in Account settings. The endpoints of
// the HTTP contract answer JSON for the page's script and pages for plain
// form posts (routes.go).

// mfaScripts are the scripts of the pages of the authenticator and
// backup-code flows, in the order they run.
var mfaScripts = []string{"js/mfa-base.js", "js/mfa.js", "js/codes.js"}

// enrollView is the new authenticator shown on the page without JavaScript.
type enrollView struct {
	QR     template.URL // data:image/png;base64 URL, made on the server
	URI    template.URL // the otpauth:// URI, for phones (template.URL, or html/template blanks the scheme)
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
func (s *server) accountView(ctx context.Context, v visitor, title string) (*view, error) {
	vw, err := s.memberView(ctx, v, title)
	if err != nil {
		return nil, err
	}
	if vw.MFA, err = s.auth.Status(ctx, v.userID); err != nil {
		return nil, err
	}
	if vw.EmailUnverified, err = s.emailUnverified(ctx, v.userID); err != nil {
		return nil, err
	}
	vw.Scripts = mfaScripts
	return vw, nil
}

// accountAction is an action posted from the account page: a refusal goes
// back there with the reason; an outage draws the page with a 503.
func (s *server) accountAction(ctx context.Context, v visitor) step {
	return step{page: "account", redirect: "/account", view: func() (*view, error) {
		return s.accountPageView(ctx, v)
	}}
}

// generateTOTP serves POST /generate-totp-factor/: a new authenticator
// factor for a member whose SMS verification is on. Only its SID is kept,
// in the session; the secret and QR code go to the browser once.
func (s *server) generateTOTP(w http.ResponseWriter, r *http.Request, v visitor, in apiInput) {
	ctx := r.Context()
	e, err := s.auth.StartTOTPEnrollment(ctx, v.userID)
	if err != nil {
		s.fail(w, r, err, s.accountAction(ctx, v))
		return
	}
	qr, err := qrDataURL(e.URI)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	s.sessions.Put(ctx, keyTOTPFactor, e.FactorSID)
	if !in.html {
		writeJSON(w, http.StatusOK, map[string]any{
			"uri": e.URI, "qr": qr, "secret": e.Secret, "expires_at": e.ExpiresAt.UTC().Format(time.RFC3339),
		})
		return
	}
	s.show(w, r, "account_totp", func() (*view, error) {
		vw, err := s.accountView(ctx, v, "Set up an authenticator app")
		if err == nil {
			vw.Enroll = &enrollView{QR: template.URL(qr), URI: template.URL(e.URI), Secret: groupSecret(e.Secret)}
		}
		return vw, err
	})
}

// confirmTOTP serves POST /confirm-totp-enrollment/: the first code of the
// pending factor confirms it. A wrong code keeps the factor, so the member
// simply tries again. The session keeps the method it was verified with:
// enrolling an app is not signing in with it.
func (s *server) confirmTOTP(w http.ResponseWriter, r *http.Request, v visitor, in apiInput) {
	ctx := r.Context()
	sid := s.sessions.GetString(ctx, keyTOTPFactor)
	if err := s.auth.ConfirmTOTPEnrollment(ctx, v.userID, sid, in.get("code")); err != nil {
		s.fail(w, r, err, step{page: "account_totp", flow: s.flows.enrollment, view: func() (*view, error) {
			return s.accountView(ctx, v, "Set up an authenticator app")
		}})
		return
	}
	s.sessions.Remove(ctx, keyTOTPFactor)
	if !in.html {
		writeJSON(w, http.StatusOK, map[string]any{"success": true})
		return
	}
	msg := "Your authenticator app is set up. Now create backup codes, in case you lose your phone."
	if st, err := s.auth.Status(ctx, v.userID); err == nil && st.BackupCodes > 0 {
		msg = fmt.Sprintf("Your authenticator app is set up. You have %d backup codes left; "+
			"generating new ones replaces them.", st.BackupCodes)
	}
	s.sessions.Put(ctx, keyFlash, msg)
	http.Redirect(w, r, "/account#backup-codes", http.StatusSeeOther)
}
