package web

import (
	"context"
	"net/http"

	"gatehouse/internal/auth"
)

// The second factor by authenticator app at sign-in.

// secondFactorView is the view of the authenticator and backup-code
// pages of a pre-auth login.
func secondFactorView(title string) func(auth.LoginState) *view {
	return func(st auth.LoginState) *view {
		vw := newView(title)
		vw.HasTOTP, vw.BackupCodes = st.HasTOTP, st.BackupCodes
		vw.Scripts = mfaScripts
		return vw
	}
}

// secondFactorPage serves a second-factor page when offered says the
// account has the factor; otherwise the visitor goes back to the chooser.
func (s *server) secondFactorPage(w http.ResponseWriter, r *http.Request, v visitor, page, title string,
	offered func(auth.LoginState) bool) {
	st, err := s.auth.Pending(r.Context(), v.pre)
	switch {
	case err != nil:
		s.fail(w, r, err, step{flow: s.flows.login})
	case !offered(st):
		http.Redirect(w, r, "/login/mfa", http.StatusSeeOther)
	default:
		s.render(w, r, http.StatusOK, page, secondFactorView(title)(st))
	}
}

// totpPage serves GET /login/mfa/totp: only logins whose account has a
// confirmed authenticator reach it. Nothing is sent.
func (s *server) totpPage(w http.ResponseWriter, r *http.Request, v visitor) {
	s.secondFactorPage(w, r, v, "login_mfa_totp", "Enter your authenticator code",
		func(st auth.LoginState) bool { return st.HasTOTP })
}

// totpStep is the authenticator page as a step of the login.
func (s *server) totpStep(ctx context.Context, v visitor) step {
	at := s.loginStep(ctx, v, "login_mfa_totp", secondFactorView("Enter your authenticator code"))
	at.field = "totp_code"
	return at
}

// validateTOTP serves POST /validate-totp-code/: an authenticator code
// completes the sign-in exactly as an SMS code does. The new session is
// saved in the transaction that spends the code (auth.CheckLoginTOTPThen).
func (s *server) validateTOTP(w http.ResponseWriter, r *http.Request, v visitor, in apiInput) {
	s.passInOne(w, r, v, in, auth.MethodTOTP, func(then func(context.Context) error) error {
		_, err := s.auth.CheckLoginTOTPThen(r.Context(), v.pre, in.get("totp_code"), ipOf(r.Context()), then)
		return err
	}, func() step { return s.totpStep(r.Context(), v) })
}
