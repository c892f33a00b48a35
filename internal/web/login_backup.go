package web

import (
	"net/http"

	"gatehouse/internal/auth"
)

// The second factor by backup code at sign-in.

// backupPage serves GET /login/mfa/backup.
func (s *server) backupPage(w http.ResponseWriter, r *http.Request, v visitor) {
	s.secondFactorPage(w, r, v, "login_mfa_backup", "Use a backup code",
		func(st auth.LoginState) bool { return st.BackupCodes > 0 })
}

// backupLogin serves POST /login/mfa/backup: a backup code completes the
// sign-in once.
func (s *server) backupLogin(w http.ResponseWriter, r *http.Request, v visitor, in apiInput) {
	ctx := r.Context()
	u, err := s.auth.CheckLoginBackup(ctx, v.pre, in.get("code"))
	if err != nil {
		s.fail(w, r, err, s.loginStep(ctx, v, "login_mfa_backup", secondFactorView("Use a backup code")))
		return
	}
	s.secondFactorPassed(w, r, in, u.ID, auth.MethodBackup)
}
