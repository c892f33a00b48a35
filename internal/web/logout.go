package web

import (
	"fmt"
	"net/http"
)

// logout serves POST /logout: the session is destroyed on the server and
// the browser gets a new token carrying only the goodbye message.
func (s *server) logout(w http.ResponseWriter, r *http.Request, v visitor) {
	ctx := r.Context()
	if err := s.sessions.Destroy(ctx); err != nil {
		s.serverError(w, r, fmt.Errorf("web: destroy session: %w", err))
		return
	}
	if err := s.sessions.RenewToken(ctx); err != nil {
		s.serverError(w, r, fmt.Errorf("web: renew token at logout: %w", err))
		return
	}
	switch v.stage {
	case signedIn:
		s.sessions.Put(ctx, keyFlash, "You have been signed out.")
	case preAuth:
		// "Cancel and sign in again": nobody was signed in.
		s.sessions.Put(ctx, keyFlash, "Sign-in cancelled. Sign in again when you're ready.")
	}
	http.Redirect(w, r, "/login", http.StatusSeeOther)
}
