package web

import (
	"context"
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
// sign-in once. The new session is saved in the transaction that spends
// the code (auth.CheckLoginBackupThen).
func (s *server) backupLogin(w http.ResponseWriter, r *http.Request, v visitor, in apiInput) {
	s.passInOne(w, r, v, in, auth.MethodBackup, func(then func(context.Context) error) error {
		_, err := s.auth.CheckLoginBackupThen(r.Context(), v.pre, in.get("code"), then)
		return err
	}, func() step {
		return s.loginStep(r.Context(), v, "login_mfa_backup", secondFactorView("Use a backup code"))
	})
}
