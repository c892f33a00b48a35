package web

import (
	"net/http"
)

// backupCodesPage serves GET /account/backup-codes: the warning and the
// confirmation before a new set, for browsers without JavaScript.
func (s *server) backupCodesPage(w http.ResponseWriter, r *http.Request, v visitor) {
	s.show(w, r, "account_backup_codes", func() (*view, error) { return s.accountView(r.Context(), v, "Backup codes") })
}

// generateBackupCodes serves POST /generate-backup-codes/: a new set of 10
// replaces the old one, shown this once.
func (s *server) generateBackupCodes(w http.ResponseWriter, r *http.Request, v visitor, in apiInput) {
	ctx := r.Context()
	codes, err := s.auth.GenerateBackupCodes(ctx, v.userID)
	if err != nil {
		s.fail(w, r, err, s.accountAction(ctx, v))
		return
	}
	if !in.html {
		writeJSON(w, http.StatusOK, map[string]any{"codes": codes})
		return
	}
	s.show(w, r, "account_backup_codes", func() (*view, error) {
		vw, err := s.accountView(ctx, v, "Your backup codes")
		if err == nil {
			vw.Codes = codes
		}
		return vw, err
	})
}
