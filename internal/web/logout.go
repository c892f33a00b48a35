package web

import (
	"fmt"
	"net/http"
)

// logout serves POST /logout: the session is destroyed on the server and
// the browser gets a new token carrying only the goodbye message.
func (s *server) logout(w http.ResponseWriter, r *http.Request, _ visitor) {
	ctx := r.Context()
	if err := s.sessions.Destroy(ctx); err != nil {
		s.serverError(w, r, fmt.Errorf("web: destroy session: %w", err))
		return
	}
	if err := s.sessions.RenewToken(ctx); err != nil {
		s.serverError(w, r, fmt.Errorf("web: renew token at logout: %w", err))
		return
	}
	s.sessions.Put(ctx, keyFlash, "You have been signed out.")
	http.Redirect(w, r, "/login", http.StatusSeeOther)
}
